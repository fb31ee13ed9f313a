/**
 * Azure Table entity limits, enforced before writing because Azurite does not enforce them all (it accepts
 * 1.2 MB inserts and 300 properties). Sizes follow the service's accounting: strings count UTF-16 bytes.
 */
export const MAX_ENTITY_BYTES = 1024 * 1024;
export const MAX_PROPERTY_BYTES = 64 * 1024;
/** 255 minus PartitionKey, RowKey, Timestamp. */
export const MAX_CUSTOM_PROPERTIES = 252;
export const MAX_STRING_CHARS = MAX_PROPERTY_BYTES / 2;

export type EntityValue = string | number | boolean | Date | Uint8Array;

export function propertyValueBytes(value: EntityValue): number {
  if (typeof value === 'string') return 4 + value.length * 2;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 8;
  if (value instanceof Date) return 8;
  return 4 + value.byteLength;
}

/** Approximate stored size: 4 + 2·|PK| + 2·|RK| + Σ(8 + 2·|name| + value). */
export function entityBytes(partitionKey: string, rowKey: string, props: Readonly<Record<string, EntityValue>>): number {
  let size = 4 + partitionKey.length * 2 + rowKey.length * 2;
  for (const [name, value] of Object.entries(props)) size += 8 + name.length * 2 + propertyValueBytes(value);
  return size;
}
