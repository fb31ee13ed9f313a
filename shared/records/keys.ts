/**
 * PartitionKey/RowKey escaping. Azure Tables forbid `/`, `\`, `#`, `?` and control characters (U+0000-U+001F,
 * U+007F-U+009F) in keys, and keys are at most 1 KiB. Escaping is percent-style and reversible: `%` itself becomes
 * `%25`, so two distinct natural ids never map to the same key.
 */
import { ValidationError } from '../errors';

export const MAX_KEY_CHARS = 512; // 1 KiB of UTF-16

const FORBIDDEN = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;

export function escapeKey(natural: string): string {
  const key = natural.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  if (key.length > MAX_KEY_CHARS) {
    throw new ValidationError('RECORD_KEY_TOO_LONG', `table key is ${key.length} chars after escaping; the limit is ${MAX_KEY_CHARS}`, { details: { keyPrefix: natural.slice(0, 40) } });
  }
  return key;
}

export function unescapeKey(key: string): string {
  return key.replace(/%([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Joins natural id parts into one key (`:` separated, parts escaped so the separator is unambiguous). */
export function compositeKey(...parts: string[]): string {
  return escapeKey(parts.map((p) => p.replace(/%/g, '%25').replace(/:/g, '%3A')).join(':'));
}
