/**
 * Receipts of every intake delivery (accepted, ignored, duplicate, rejected, failed) and the delivery-claim index
 * that makes intake idempotent per (source, delivery id). Tables:
 * - `<prefix>Receipts`: PK = source, RK = `<receivedAt>:<receiptId>` (chronological per source);
 * - `<prefix>Deliveries`: PK = source, RK = delivery id; one row per accepted delivery (see ReceiptStore invariants).
 * Both are written through RecordTable's group commit, so concurrent deliveries share transactions.
 */
import { z } from 'zod';
import type { AcceptResult, FirstAcceptance, Receipt, ReceiptStore } from '../intake/ports';
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

/** One accepted delivery: the index row that makes every later copy of it a duplicate. */
export const AcceptedDelivery = z.object({
  source: z.string().min(1),
  deliveryId: z.string().min(1),
  receiptId: z.string().min(1),
  /** Epoch ms when the delivery's events had been published. */
  acceptedAt: z.number().int(),
  eventIds: z.array(z.string()),
});
export type AcceptedDelivery = z.output<typeof AcceptedDelivery>;

/** How many accepted deliveries each process remembers for `recall` (oldest forgotten first). */
export const RECALL_ENTRIES = 10_000;

/** Insertion-ordered memo of accepted deliveries, bounded: the oldest entries are forgotten first. */
export class AcceptedMemo {
  private readonly map = new Map<string, FirstAcceptance>();
  constructor(private readonly max = RECALL_ENTRIES) {}
  get(source: string, deliveryId: string): FirstAcceptance | undefined {
    return this.map.get(`${source}\u0000${deliveryId}`);
  }
  set(source: string, deliveryId: string, first: FirstAcceptance): void {
    const key = `${source}\u0000${deliveryId}`;
    if (this.map.has(key)) return;
    this.map.set(key, first);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

export class TableReceiptStore implements ReceiptStore {
  readonly receipts: RecordTable<Receipt>;
  readonly deliveries: RecordTable<AcceptedDelivery>;
  private readonly memo = new AcceptedMemo();

  constructor(tableClient: (name: string) => TableClient, prefix: string) {
    this.receipts = new RecordTable<Receipt>({
      client: tableClient(`${prefix}Receipts`),
      schema: ReceiptRecord,
      partitionKey: (r) => r.source,
      rowKey: (r) => compositeKey(r.receivedAt, r.receiptId),
    });
    this.deliveries = new RecordTable<AcceptedDelivery>({
      client: tableClient(`${prefix}Deliveries`),
      schema: AcceptedDelivery,
      partitionKey: (r) => r.source,
      rowKey: (r) => r.deliveryId,
    });
  }

  async accept(
    source: string,
    deliveryId: string,
    receiptId: string,
    eventIds: readonly string[],
    nowMs: number,
  ): Promise<AcceptResult> {
    if (
      (await this.deliveries.insert({ source, deliveryId, receiptId, acceptedAt: nowMs, eventIds: [...eventIds] })) ===
      'created'
    ) {
      this.memo.set(source, deliveryId, { firstReceiptId: receiptId, eventIds: [...eventIds] });
      return { first: true };
    }
    // The row exists, so this copy is a duplicate even if the first row cannot be read back (older layout).
    const row = await this.deliveries.get(source, deliveryId).catch(() => undefined);
    const first = { firstReceiptId: row?.receiptId ?? 'unknown', eventIds: row?.eventIds ?? [] };
    if (row !== undefined) this.memo.set(source, deliveryId, first);
    return { first: false, ...first };
  }

  recall(source: string, deliveryId: string): FirstAcceptance | undefined {
    return this.memo.get(source, deliveryId);
  }

  async record(receipt: Receipt): Promise<void> {
    await this.receipts.upsert(receipt);
  }

  /** Receipts of one source, oldest first. */
  listReceipts(source: string, limit = 1000): Promise<Receipt[]> {
    return this.receipts.listPartition(source, limit);
  }
}
