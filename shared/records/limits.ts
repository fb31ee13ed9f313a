/**
 * Azure Table entity limits, enforced before writing because Azurite does not enforce them all (it accepts
 * 1.2 MB inserts and 300 properties). Sizes follow the service's accounting: strings count UTF-16 bytes.
 */
export const MAX_ENTITY_BYTES = 1024 * 1024;
export const MAX_PROPERTY_BYTES = 64 * 1024;
/** 255 minus PartitionKey, RowKey, Timestamp. */
export const MAX_CUSTOM_PROPERTIES = 252;
/**
 * Largest string property, counted in UTF-8 bytes. Azure counts UTF-16 (32K chars); Azurite counts the UTF-8 bytes
 * of the request. UTF-8 bytes ≥ UTF-16 units for every character, so this bound satisfies both.
 */
export const MAX_STRING_UNITS = MAX_PROPERTY_BYTES / 2;

export type EntityValue = string | number | boolean | Date | Uint8Array;

export function propertyValueBytes(value: EntityValue): number {
  // The larger of the service's UTF-16 accounting and Azurite's UTF-8 accounting.
  if (typeof value === 'string') return 4 + Math.max(value.length * 2, Buffer.byteLength(value, 'utf8'));
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 8;
  if (value instanceof Date) return 8;
  // Binary travels base64-encoded; counting the encoded size keeps Azurite's JSON-length check satisfied too.
  return 4 + Math.ceil(value.byteLength / 3) * 4;
}

/** Approximate stored size: 4 + 2·|PK| + 2·|RK| + Σ(8 + 2·|name| + value). */
export function entityBytes(
  partitionKey: string,
  rowKey: string,
  props: Readonly<Record<string, EntityValue>>,
): number {
  let size = 4 + partitionKey.length * 2 + rowKey.length * 2;
  for (const [name, value] of Object.entries(props)) size += 8 + name.length * 2 + propertyValueBytes(value);
  return size;
}

/** Splits text into pieces of at most `maxBytes` UTF-8 bytes, never inside a surrogate pair. */
export function chunkText(text: string, maxBytes = MAX_STRING_UNITS): string[] {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return [text];
  const chunks: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      chunks.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  chunks.push(text.slice(start));
  return chunks;
}

/** Largest string property in UTF-16 characters (Azure's rule; see MAX_STRING_UNITS for the portable bound). */
export const MAX_STRING_CHARS = MAX_STRING_UNITS;
