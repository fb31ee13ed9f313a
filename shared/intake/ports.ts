/**
 * Ports the intake service depends on. Implementations: shared/bus (Service Bus publisher), shared/records
 * (Table-backed receipts), and in-memory ones for tests and benches.
 */
import type { StagecraftEvent } from '../events';

export interface EventPublisher {
  /** Publishes every event (messageId = event id). Resolves once the broker accepted all of them; throws otherwise. */
  publish(events: readonly StagecraftEvent[]): Promise<void>;
}

export type ReceiptOutcome = 'accepted' | 'ignored' | 'duplicate' | 'rejected' | 'failed';

/** One delivery as received. Holds no secrets and no body, only its size and hash. */
export interface Receipt {
  receiptId: string;
  source: string;
  /** Source delivery id (header, body id, or `sha256:<body hash>` when the source has none); absent when refused before it was known. */
  deliveryId?: string;
  receivedAt: string;
  outcome: ReceiptOutcome;
  httpStatus: number;
  code?: string;
  reason?: string;
  eventIds: string[];
  eventTypes: string[];
  bodyBytes: number;
  bodySha256: string;
  /** Verifier scheme that ran (e.g. `standard-webhooks`). */
  scheme: string;
  /** For duplicates: the receipt that first accepted this delivery. */
  firstReceiptId?: string;
}

export interface FirstAcceptance {
  firstReceiptId: string;
  eventIds: string[];
}

export type AcceptResult = { first: true } | ({ first: false } & FirstAcceptance);

/**
 * Receipts plus the accepted-delivery index that makes intake idempotent per (source, delivery id).
 * Invariants:
 * - `accept` runs only after the delivery's events were published; it inserts the (source, delivery id) row if absent,
 *   so exactly one receipt per delivery id is `first` and every other is a duplicate naming it.
 * - Publishing first and indexing second means a crash in between, or two copies racing, can publish a delivery's
 *   events twice; they carry the same messageIds, which Service Bus duplicate detection drops, and the router's
 *   deterministic instance ids absorb anything older than that window. Nothing is ever indexed unpublished.
 */
export interface ReceiptStore {
  accept(
    source: string,
    deliveryId: string,
    receiptId: string,
    eventIds: readonly string[],
    nowMs: number,
  ): Promise<AcceptResult>;
  /** A delivery this process already saw accepted (memory only, no I/O), so a local retry skips publishing. */
  recall(source: string, deliveryId: string): FirstAcceptance | undefined;
  record(receipt: Receipt): Promise<void>;
}

/** Structured log sink; fields never carry secrets. */
export interface IntakeLogger {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export const silentLogger: IntakeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
