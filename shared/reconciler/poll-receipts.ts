/**
 * What a reconciler tick leaves in the intake receipts: each version event it published is a receipt too (source
 * `reconciler`, scheme `poll`, delivery id `poll:<event id>`), so operators see how a run was triggered, as they do
 * for webhook deliveries. Used by both reconciler timers (MLflow and Unity Catalog).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ReceiptStore } from '../intake/ports';

export interface PolledEvent {
  id: string;
  type: string;
  data: unknown;
}

export async function recordPolledReceipts(
  receipts: ReceiptStore,
  events: readonly PolledEvent[],
  now: () => Date = () => new Date(),
): Promise<void> {
  for (const e of events) {
    const body = JSON.stringify(e.data);
    await receipts.record({
      receiptId: randomUUID(),
      source: 'reconciler',
      deliveryId: `poll:${e.id}`,
      receivedAt: now().toISOString(),
      outcome: 'accepted',
      httpStatus: 202,
      eventIds: [e.id],
      eventTypes: [e.type],
      bodyBytes: Buffer.byteLength(body),
      bodySha256: createHash('sha256').update(body).digest('hex'),
      scheme: 'poll',
    });
  }
}
