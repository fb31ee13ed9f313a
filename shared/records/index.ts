/**
 * Records: typed tables and report blobs over Azure Storage (Azurite locally). `getRecords(config)` gives the
 * process-wide set for a storage config; tables and containers are created lazily on first use.
 */
import type { StagecraftConfig } from '../config';
import { BlobStore } from './blobs';
import { storageClients } from './clients';
import { TableReceiptStore } from './receipts';
import { WorkflowRunsTable } from './workflow-runs';

export { BlobStore, validateBlobPath, type BlobKind } from './blobs';
export { storageClients, type StorageClients } from './clients';
export { escapeKey, unescapeKey, compositeKey, blobSegment, MAX_KEY_CHARS, MAX_BLOB_SEGMENT_CHARS } from './keys';
export * from './limits';
export { RecordTable, type RecordTableOptions, type Versioned } from './record-table';
export { TableReceiptStore, ReceiptRecord, AcceptedDelivery } from './receipts';
export { TableBatcher, type BatchedWrite, type BatchedWriteResult } from './table-batcher';
export { WorkflowRunsTable, WorkflowRunRecord } from './workflow-runs';
export { MemoryReceiptStore } from './memory';

export interface Records {
  receipts: TableReceiptStore;
  workflowRuns: WorkflowRunsTable;
  reports: BlobStore;
}

const cache = new Map<string, Records>();

export function getRecords(config: Pick<StagecraftConfig, 'storage' | 'records'>): Records {
  const s = config.storage;
  const key = `${s.kind === 'connectionString' ? s.connectionString : s.accountName}|${config.records.tablePrefix}|${config.records.reportsContainer}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const clients = storageClients(config.storage);
  const reports = new BlobStore(clients.blobService, config.records.reportsContainer);
  const records: Records = {
    receipts: new TableReceiptStore((name) => clients.tableClient(name), config.records.tablePrefix),
    workflowRuns: new WorkflowRunsTable((name) => clients.tableClient(name), config.records.tablePrefix, reports),
    reports,
  };
  cache.set(key, records);
  return records;
}
