import { createHmac } from 'node:crypto';
import { anySecretMatches } from '../../crypto/constant-time';

/** Constant-time equality for secrets and signatures (shared/crypto/constant-time.ts: length-safe). */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  return anySecretMatches(a, [b]);
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
  for (const c of candidates) if (anySecretMatches(c, expected)) found = true;
  return found;
}
