/** Reconciler watermarks in Azure Tables: partition `reconciler`, one row per model (idempotent upserts). */
import { z } from 'zod';
import type { StorageConfig } from '../config';
import { RecordTable, storageClients } from '../records';
import type { Watermark, WatermarkPort } from './reconcile';

const WatermarkSchema = z.object({
  model: z.string().min(1),
  createdAtMs: z.number().int().nonnegative(),
  versionsAtMark: z.array(z.string()),
  updatedAt: z.string(),
});

export function tableWatermarks(storage: StorageConfig, tablePrefix: string): WatermarkPort {
  const table = new RecordTable<Watermark>({
    client: storageClients(storage).tableClient(`${tablePrefix}Watermarks`),
    schema: WatermarkSchema,
    partitionKey: () => 'reconciler',
    rowKey: (w) => w.model,
  });
  return { get: (model) => table.get('reconciler', model), put: (mark) => table.upsert(mark) };
}
