/**
 * PartitionKey/RowKey escaping. Azure Tables forbid `/`, `\`, `#`, `?` and control characters (U+0000-U+001F,
 * U+007F-U+009F) in keys, and keys are at most 1 KiB. Escaping is percent-style: `%` itself becomes `%25`, so two
 * distinct natural ids never map to the same key.
 *
 * Invariants:
 * - Every well-formed natural id has a key (≤ MAX_KEY_CHARS): an id whose escaped form is longer keeps a prefix of
 *   it and ends in `%h<sha256 of the natural id, base64url>`. `%h` never occurs in an escaped id (escapes are `%`
 *   and two upper-case hex digits), so a hashed key never equals a plain one; keys stay deterministic (point reads
 *   and partition queries derive the same key) and ids sharing a prefix still sort together.
 * - Short ids keep exactly the key they always had (stored data stays addressable).
 * - An ill-formed id (lone UTF-16 surrogate) is refused: the service cannot store it.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';
import { isWellFormed } from '../events/identifiers';

export const MAX_KEY_CHARS = 512; // 1 KiB of UTF-16

const FORBIDDEN = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;
const HASH_MARK = '%h';
/** `%h` + 43 base64url chars of a SHA-256. */
const HASH_SUFFIX_CHARS = HASH_MARK.length + 43;

export function escapeKey(natural: string): string {
  if (!isWellFormed(natural)) {
    throw new ValidationError(
      'RECORD_KEY_INVALID',
      'table key contains a lone UTF-16 surrogate (not well-formed Unicode)',
      { details: { keyPrefix: natural.slice(0, 40).replace(/[\uD800-\uDFFF]/g, '\uFFFD') } },
    );
  }
  const key = natural.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  if (key.length <= MAX_KEY_CHARS) return key;
  let cut = MAX_KEY_CHARS - HASH_SUFFIX_CHARS;
  // Never cut inside a `%XX` escape or a surrogate pair.
  const pct = key.lastIndexOf('%', cut - 1);
  if (pct >= 0 && pct > cut - 3) cut = pct;
  const code = key.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${key.slice(0, cut)}${HASH_MARK}${createHash('sha256').update(natural, 'utf8').digest('base64url')}`;
}

/** The natural id of a key; a hashed key (`%h…`) cannot be reversed and is returned unchanged. */
export function unescapeKey(key: string): string {
  if (key.includes(HASH_MARK)) return key;
  return key.replace(/%([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Joins natural id parts into one key (`:` separated, parts escaped so the separator is unambiguous). */
export function compositeKey(...parts: string[]): string {
  return escapeKey(parts.map((p) => p.replace(/%/g, '%25').replace(/:/g, '%3A')).join(':'));
}

/** Longest blob path segment built from an id (blob paths are at most 1024 chars in all). */
export const MAX_BLOB_SEGMENT_CHARS = 240;

/**
 * A blob path segment for an already-escaped id (no `/`): unchanged when short, else a prefix plus `~<sha256>`, so
 * paths built from any accepted identifier stay within the blob name limit. Deterministic.
 */
export function blobSegment(segment: string, max = MAX_BLOB_SEGMENT_CHARS): string {
  if (segment.length <= max) return segment;
  let cut = max - 44;
  const code = segment.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${segment.slice(0, cut)}~${createHash('sha256').update(segment, 'utf8').digest('base64url')}`;
}
