/** UC reconciler cursors in Azure Tables: partition `unity-catalog`, one row per model plus the round-robin offset. */
import { z } from 'zod';
import type { StorageConfig } from '../config';
import { RecordTable, storageClients } from '../records';
import type { UcCursor, UcCursorPort } from './unity-catalog';

const Row = z.object({
  model: z.string().min(1),
  doneThrough: z.number().int().nonnegative(),
  emitted: z.array(z.string()),
  updatedAt: z.string(),
});

const OFFSET_ROW = '~offset';

export function tableUcCursors(storage: StorageConfig, tablePrefix: string): UcCursorPort {
  const table = new RecordTable<UcCursor>({
    client: storageClients(storage).tableClient(`${tablePrefix}Watermarks`),
    schema: Row,
    partitionKey: () => 'unity-catalog',
    rowKey: (c) => c.model,
  });
  return {
    get: (model) => table.get('unity-catalog', model),
    put: (c) => table.upsert(c),
    getOffset: async () => (await table.get('unity-catalog', OFFSET_ROW))?.doneThrough ?? 0,
    putOffset: (offset) =>
      table.upsert({ model: OFFSET_ROW, doneThrough: offset, emitted: [], updatedAt: new Date().toISOString() }),
  };
}

/** In memory (tests, embedded use). */
export function memoryUcCursors(): UcCursorPort & { rows: Map<string, UcCursor> } {
  const rows = new Map<string, UcCursor>();
  let offset = 0;
  return {
    rows,
    get: async (m) => (rows.has(m) ? structuredClone(rows.get(m)) : undefined),
    put: async (c) => {
      rows.set(c.model, structuredClone(c));
    },
    getOffset: async () => offset,
    putOffset: async (o) => {
      offset = o;
    },
  };
}
