/**
 * Receipts of every intake delivery (accepted, ignored, duplicate, rejected, failed) and the delivery-claim index
 * that makes intake idempotent per (source, delivery id). Tables:
 * - `<prefix>Receipts`: PK = source, RK = `<receivedAt>:<receiptId>` (chronological per source);
 * - `<prefix>Deliveries`: PK = source, RK = delivery id; one claim per delivery (see ReceiptStore invariants).
 */
import { z } from 'zod';
import type { ClaimResult, Receipt, ReceiptStore } from '../intake/ports';
import { compositeKey } from './keys';
import { RecordTable } from './record-table';
import type { TableClient } from '@azure/data-tables';

export const ReceiptRecord = z.object({
  receiptId: z.string().min(1),
  source: z.string().min(1),
  deliveryId: z.string().optional(),
  receivedAt: z.string().min(1),
  outcome: z.enum(['accepted', 'ignored', 'duplicate', 'rejected', 'failed']),
  httpStatus: z.number().int(),
  code: z.string().optional(),
  reason: z.string().optional(),
  eventIds: z.array(z.string()),
  eventTypes: z.array(z.string()),
  bodyBytes: z.number().int().nonnegative(),
  bodySha256: z.string(),
  scheme: z.string(),
  firstReceiptId: z.string().optional(),
}) satisfies z.ZodType<Receipt>;

export const DeliveryClaim = z.object({
  source: z.string().min(1),
  deliveryId: z.string().min(1),
  receiptId: z.string().min(1),
  state: z.enum(['pending', 'done']),
  claimedAt: z.number().int(),
  eventIds: z.array(z.string()),
});
export type DeliveryClaim = z.output<typeof DeliveryClaim>;

/** A pending claim older than this is presumed abandoned (its claimant crashed) and may be taken over. */
export const CLAIM_LEASE_MS = 60_000;

export class TableReceiptStore implements ReceiptStore {
  readonly receipts: RecordTable<Receipt>;
  readonly deliveries: RecordTable<DeliveryClaim>;

  constructor(tableClient: (name: string) => TableClient, prefix: string, private readonly leaseMs = CLAIM_LEASE_MS) {
    this.receipts = new RecordTable<Receipt>({
      client: tableClient(`${prefix}Receipts`),
      schema: ReceiptRecord,
      partitionKey: (r) => r.source,
      rowKey: (r) => compositeKey(r.receivedAt, r.receiptId),
    });
    this.deliveries = new RecordTable<DeliveryClaim>({
      client: tableClient(`${prefix}Deliveries`),
      schema: DeliveryClaim,
      partitionKey: (r) => r.source,
      rowKey: (r) => r.deliveryId,
    });
  }

  async claim(source: string, deliveryId: string, receiptId: string, nowMs: number): Promise<ClaimResult> {
    const mine: DeliveryClaim = { source, deliveryId, receiptId, state: 'pending', claimedAt: nowMs, eventIds: [] };
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await this.deliveries.insert(mine)) === 'created') return { claimed: true };
      const existing = await this.deliveries.getVersioned(source, deliveryId);
      if (existing === undefined) continue; // released between our insert and read: try again
      const c = existing.record;
      if (c.state === 'pending' && nowMs - c.claimedAt > this.leaseMs) {
        if ((await this.deliveries.replaceIfMatch(mine, existing.etag)) === 'updated') return { claimed: true };
        continue;
      }
      return { claimed: false, firstReceiptId: c.receiptId, state: c.state, eventIds: c.eventIds };
    }
    const c = await this.deliveries.get(source, deliveryId);
    return { claimed: false, firstReceiptId: c?.receiptId ?? 'unknown', state: c?.state ?? 'pending', eventIds: c?.eventIds ?? [] };
  }

  async complete(source: string, deliveryId: string, receiptId: string, eventIds: readonly string[]): Promise<void> {
    const existing = await this.deliveries.getVersioned(source, deliveryId);
    const done: DeliveryClaim = { source, deliveryId, receiptId, state: 'done', claimedAt: existing?.record.claimedAt ?? 0, eventIds: [...eventIds] };
    if (existing === undefined || existing.record.receiptId !== receiptId) {
      // Our lease was taken over (or the claim vanished); the events are published, so record them as done anyway:
      // the messageIds are the same, so the taker's publish is a Service Bus duplicate.
      await this.deliveries.upsert(done);
      return;
    }
    await this.deliveries.replaceIfMatch(done, existing.etag);
  }

  async release(source: string, deliveryId: string, receiptId: string): Promise<void> {
    const existing = await this.deliveries.getVersioned(source, deliveryId);
    if (existing === undefined || existing.record.receiptId !== receiptId || existing.record.state !== 'pending') return;
    await this.deliveries.delete(source, deliveryId, existing.etag);
  }

  async record(receipt: Receipt): Promise<void> {
    await this.receipts.upsert(receipt);
  }

  /** Receipts of one source, oldest first. */
  listReceipts(source: string, limit = 1000): Promise<Receipt[]> {
    return this.receipts.listPartition(source, limit);
  }
}
