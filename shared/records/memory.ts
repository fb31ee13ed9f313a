/**
 * In-memory ReceiptStore with the same claim semantics as TableReceiptStore, for unit tests and benches that
 * measure intake without storage. Not for production: state dies with the process.
 */
import type { ClaimResult, Receipt, ReceiptStore } from '../intake/ports';
import { CLAIM_LEASE_MS, type DeliveryClaim } from './receipts';

export class MemoryReceiptStore implements ReceiptStore {
  readonly receipts: Receipt[] = [];
  private readonly claims = new Map<string, DeliveryClaim>();

  constructor(private readonly leaseMs = CLAIM_LEASE_MS) {}

  private key(source: string, deliveryId: string): string {
    return `${source}\u0000${deliveryId}`;
  }

  async claim(source: string, deliveryId: string, receiptId: string, nowMs: number): Promise<ClaimResult> {
    const k = this.key(source, deliveryId);
    const c = this.claims.get(k);
    if (c === undefined || (c.state === 'pending' && nowMs - c.claimedAt > this.leaseMs)) {
      this.claims.set(k, { source, deliveryId, receiptId, state: 'pending', claimedAt: nowMs, eventIds: [] });
      return { claimed: true };
    }
    return { claimed: false, firstReceiptId: c.receiptId, state: c.state, eventIds: c.eventIds };
  }

  async complete(source: string, deliveryId: string, receiptId: string, eventIds: readonly string[]): Promise<void> {
    const k = this.key(source, deliveryId);
    const c = this.claims.get(k);
    this.claims.set(k, { source, deliveryId, receiptId, state: 'done', claimedAt: c?.claimedAt ?? 0, eventIds: [...eventIds] });
  }

  async release(source: string, deliveryId: string, receiptId: string): Promise<void> {
    const k = this.key(source, deliveryId);
    const c = this.claims.get(k);
    if (c?.receiptId === receiptId && c.state === 'pending') this.claims.delete(k);
  }

  async record(receipt: Receipt): Promise<void> {
    this.receipts.push(receipt);
  }
}
