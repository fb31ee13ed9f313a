/**
 * In-memory ReceiptStore with the same semantics as TableReceiptStore, for unit tests and benches that measure
 * intake without storage. Not for production: state dies with the process.
 */
import type { AcceptResult, FirstAcceptance, Receipt, ReceiptStore } from '../intake/ports';
import type { AcceptedDelivery } from './receipts';

export class MemoryReceiptStore implements ReceiptStore {
  readonly receipts: Receipt[] = [];
  /** Whether `recall` answers (false: every copy goes through publish + accept, like a fresh process). */
  recallEnabled = true;
  private readonly accepted = new Map<string, AcceptedDelivery>();

  async accept(
    source: string,
    deliveryId: string,
    receiptId: string,
    eventIds: readonly string[],
    nowMs: number,
  ): Promise<AcceptResult> {
    const key = `${source}\u0000${deliveryId}`;
    const first = this.accepted.get(key);
    if (first !== undefined) return { first: false, firstReceiptId: first.receiptId, eventIds: first.eventIds };
    this.accepted.set(key, { source, deliveryId, receiptId, acceptedAt: nowMs, eventIds: [...eventIds] });
    return { first: true };
  }

  recall(source: string, deliveryId: string): FirstAcceptance | undefined {
    const first = this.recallEnabled ? this.accepted.get(`${source}\u0000${deliveryId}`) : undefined;
    return first && { firstReceiptId: first.receiptId, eventIds: first.eventIds };
  }

  async record(receipt: Receipt): Promise<void> {
    this.receipts.push(receipt);
  }
}
