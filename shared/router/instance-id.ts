/**
 * Deterministic orchestration instance ids from business keys.
 *
 * Invariants:
 * - The same business identity always yields the same id, so a redelivered or re-polled event finds the run it
 *   already started instead of starting a second one.
 * - Ids contain none of the characters Durable storage providers forbid (`/ \ # ?`, control characters) and are at
 *   most 100 characters (the Azure Storage provider's limit); longer keys become `<workflow>:sha256:<digest>`.
 * - Pure: no clock, no randomness (also used from orchestrator code).
 */
import { createHash } from 'node:crypto';

export const MAX_INSTANCE_ID_LENGTH = 100;

function escapePart(part: string): string {
  return part.replace(/[%:/\\#?\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function instanceIdFor(workflow: string, ...parts: Array<string | number>): string {
  const id = [workflow, ...parts.map((p) => escapePart(String(p)))].join(':');
  if (id.length <= MAX_INSTANCE_ID_LENGTH) return id;
  return `${workflow}:sha256:${createHash('sha256').update(id, 'utf8').digest('base64url')}`;
}
