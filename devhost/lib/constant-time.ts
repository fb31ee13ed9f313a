import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time secret comparison, the local host's one helper for "does the presented value match any key"
 * (function, master and system keys, SAS signatures). The app has its twin in shared/crypto/constant-time.ts
 * (devhost never imports shared/).
 *
 * Invariants:
 * - Length-safe: both sides are hashed (SHA-256) before `timingSafeEqual`, so neither a secret's length nor where
 *   it first differs shows in the timing; digests equal exactly when the values are equal (barring a collision).
 * - No early exit: every secret in the list is compared, whether or not one already matched, so timing does not
 *   reveal which secret matched or how many were tried.
 * Strings are compared as their UTF-8 bytes.
 */
export type Secret = string | Buffer;

const digest = (v: Secret): Buffer =>
  createHash('sha256')
    .update(typeof v === 'string' ? Buffer.from(v, 'utf8') : v)
    .digest();

/** Whether `candidate` equals any of `secrets`. */
export function anySecretMatches(candidate: Secret, secrets: Iterable<Secret>): boolean {
  return firstMatchingSecret(candidate, secrets, (s) => s) !== undefined;
}

/** The first item (in order) whose secret equals `candidate`; every item is compared. */
export function firstMatchingSecret<T>(
  candidate: Secret,
  items: Iterable<T>,
  secretOf: (item: T) => Secret | undefined,
): T | undefined {
  const c = digest(candidate);
  let hit: T | undefined;
  let found = false;
  for (const item of items) {
    const s = secretOf(item);
    if (s === undefined) continue;
    const equal = timingSafeEqual(c, digest(s));
    if (equal && !found) {
      found = true;
      hit = item;
    }
  }
  return hit;
}
