/**
 * Deterministic orchestration instance ids from business keys.
 *
 * Invariants:
 * - The same business identity always yields the same id, so a redelivered or re-polled event finds the run it
 *   already started instead of starting a second one.
 * - Ids contain none of the characters Durable storage providers forbid (`/ \ # ?`, control characters) and are at
 *   most 100 characters (the Azure Storage provider's limit); longer keys become `<workflow>:sha256:<digest>`.
 * - Ids are URL-safe as they are: the durable client puts them into URL paths unencoded, so every character outside
 *   `[A-Za-z0-9._-]` in a part is written as `~XX` (UTF-8 bytes in hex), never `%XX`, which a server would decode.
 * - Pure: no clock, no randomness (also used from orchestrator code).
 */
import { createHash } from 'node:crypto';

export const MAX_INSTANCE_ID_LENGTH = 100;

function escapePart(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `~${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export function instanceIdFor(workflow: string, ...parts: Array<string | number>): string {
  const id = [workflow, ...parts.map((p) => escapePart(String(p)))].join(':');
  if (id.length <= MAX_INSTANCE_ID_LENGTH) return id;
  return `${workflow}:sha256:${createHash('sha256').update(id, 'utf8').digest('base64url')}`;
}
