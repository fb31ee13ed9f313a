import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality for secrets and signatures. Unequal lengths return false early: that reveals only the
 * length of the expected value, which is public for every scheme here (fixed-size digests) or a secret's length.
 */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/** HMAC-SHA256 with a UTF-8 string key over byte chunks. */
export function hmacSha256(secret: string, ...chunks: Array<Buffer | string>): Buffer {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  for (const chunk of chunks) mac.update(chunk);
  return mac.digest();
}

/** True when any candidate matches; every candidate is compared (no early exit on the secret list). */
export function anyEqual(candidates: readonly Buffer[], expected: readonly Buffer[]): boolean {
  let found = false;
  for (const c of candidates) for (const e of expected) if (safeEqual(c, e)) found = true;
  return found;
}
