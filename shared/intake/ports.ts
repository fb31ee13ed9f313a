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

export type ClaimResult =
  | { claimed: true }
  | { claimed: false; firstReceiptId: string; state: 'pending' | 'done'; eventIds: string[] };

/**
 * Receipts plus the delivery-claim index that makes intake idempotent per (source, delivery id).
 * Invariant: a delivery id is claimed by at most one receipt at a time; a claim is `pending` while its events are
 * being published and `done` after. A pending claim older than the lease may be taken over (the claimant crashed);
 * a failed publish releases the claim so the sender's retry is processed normally.
 */
export interface ReceiptStore {
  claim(source: string, deliveryId: string, receiptId: string, nowMs: number): Promise<ClaimResult>;
  complete(source: string, deliveryId: string, receiptId: string, eventIds: readonly string[]): Promise<void>;
  release(source: string, deliveryId: string, receiptId: string): Promise<void>;
  record(receipt: Receipt): Promise<void>;
}

/** Structured log sink; fields never carry secrets. */
export interface IntakeLogger {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export const silentLogger: IntakeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
