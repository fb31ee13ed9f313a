/**
 * Approval requests and their audit trail, over RecordTable:
 * - `<prefix>Approvals`: one row per request (PartitionKey 'approvals', RowKey = approval id) holding the whole
 *   state, votes included, so a decision is ONE conditional write;
 * - `<prefix>ApprovalAttempts`: every decision attempt, accepted or refused, with its message (PartitionKey =
 *   approval id);
 * - `<prefix>ApprovalLinks`: one-click link nonces already used (PartitionKey = approval id, RowKey = nonce).
 *
 * Invariants:
 * - Every state change is a replace with If-Match on the ETag read: two writers never both win; the loser re-reads
 *   and re-decides (service.ts), so concurrent decisions and the deadline serialise into one outcome.
 * - create() is idempotent: a retried or replayed activity gets the request already stored, unchanged.
 * - A link nonce is claimed by an insert, which fails for the second claimant: single use.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RecordTable } from '../records';
import { ApprovalRequestSchema, type ApprovalRequest } from './model';
import { storageFromEnv, type Env, type Storage } from './storage';

export const DecisionAttemptSchema = z.object({
  approvalId: z.string(),
  attemptId: z.string(),
  at: z.string(),
  actor: z.string(),
  via: z.string(),
  verdict: z.string(),
  accepted: z.boolean(),
  /** Refusal code (NOT_AN_APPROVER, ...), 'ACCEPTED', or 'DEADLINE'. */
  code: z.string(),
  message: z.string(),
  comment: z.string().optional(),
});
export type DecisionAttempt = z.output<typeof DecisionAttemptSchema>;

const LinkUse = z.object({ approvalId: z.string(), nonce: z.string(), approver: z.string(), at: z.string() });

export interface ApprovalStore {
  /** Stores `request` unless a request with its id exists; returns the stored one either way. */
  create(request: ApprovalRequest): Promise<ApprovalRequest>;
  get(approvalId: string): Promise<{ request: ApprovalRequest; etag: string } | undefined>;
  /** Replace if the ETag still matches; 'conflict' when someone else wrote first. */
  replace(request: ApprovalRequest, etag: string): Promise<'ok' | 'conflict'>;
  list(filter: { status?: string; model?: string; limit?: number }): Promise<ApprovalRequest[]>;
  recordAttempt(attempt: Omit<DecisionAttempt, 'attemptId'>): Promise<void>;
  attempts(approvalId: string): Promise<DecisionAttempt[]>;
  /** true for the first claimant of a nonce, false afterwards. */
  claimLinkNonce(approvalId: string, nonce: string, approver: string, at: string): Promise<boolean>;
}

const PARTITION = 'approvals';
const stores = new WeakMap<Storage, TableApprovalStore>();

export class TableApprovalStore implements ApprovalStore {
  private readonly requests: RecordTable<ApprovalRequest>;
  private readonly attemptTable: RecordTable<DecisionAttempt>;
  private readonly links: RecordTable<z.output<typeof LinkUse>>;

  constructor(storage: Storage) {
    this.requests = new RecordTable({
      client: storage.table('Approvals'),
      schema: ApprovalRequestSchema,
      partitionKey: () => PARTITION,
      rowKey: (r) => r.approvalId,
    });
    this.attemptTable = new RecordTable({
      client: storage.table('ApprovalAttempts'),
      schema: DecisionAttemptSchema,
      partitionKey: (a) => a.approvalId,
      rowKey: (a) => a.attemptId,
    });
    this.links = new RecordTable({
      client: storage.table('ApprovalLinks'),
      schema: LinkUse,
      partitionKey: (l) => l.approvalId,
      rowKey: (l) => l.nonce,
    });
  }

  /** One store per storage config per process (tables are created once per store). */
  static fromEnv(env: Env = process.env): TableApprovalStore {
    const storage = storageFromEnv(env);
    let store = stores.get(storage);
    if (!store) {
      store = new TableApprovalStore(storage);
      stores.set(storage, store);
    }
    return store;
  }

  async create(request: ApprovalRequest): Promise<ApprovalRequest> {
    if ((await this.requests.insert(request)) === 'created') return request;
    const existing = await this.get(request.approvalId);
    if (!existing) throw new Error(`approval ${request.approvalId} exists but cannot be read`);
    return existing.request;
  }

  async get(approvalId: string): Promise<{ request: ApprovalRequest; etag: string } | undefined> {
    const v = await this.requests.getVersioned(PARTITION, approvalId);
    return v ? { request: v.record, etag: v.etag } : undefined;
  }

  async replace(request: ApprovalRequest, etag: string): Promise<'ok' | 'conflict'> {
    return (await this.requests.replaceIfMatch(request, etag)) === 'updated' ? 'ok' : 'conflict';
  }

  async list(filter: { status?: string; model?: string; limit?: number }): Promise<ApprovalRequest[]> {
    const all = await this.requests.listPartition(PARTITION, 5000);
    return all
      .filter(
        (r) =>
          (filter.status === undefined || r.status === filter.status) &&
          (filter.model === undefined || r.model === filter.model),
      )
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
      .slice(0, filter.limit ?? 200);
  }

  async recordAttempt(a: Omit<DecisionAttempt, 'attemptId'>): Promise<void> {
    await this.attemptTable.insert({ ...a, attemptId: `${a.at}|${randomBytes(6).toString('hex')}` });
  }

  async attempts(approvalId: string): Promise<DecisionAttempt[]> {
    return this.attemptTable.listPartition(approvalId);
  }

  async claimLinkNonce(approvalId: string, nonce: string, approver: string, at: string): Promise<boolean> {
    return (await this.links.insert({ approvalId, nonce, approver, at })) === 'created';
  }
}
