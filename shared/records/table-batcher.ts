/**
 * Group commit for the writes of one table: writes issued while a transaction is being committed (or in the same
 * event-loop turn) coalesce into entity-group transactions, so N concurrent writers cost ~N/100 round trips instead
 * of N. Used by RecordTable for `insert` and `upsert`; reads and conditional writes go straight to the table.
 *
 * Invariants:
 * - A write's promise settles only after the transaction that holds it committed or failed: nothing is acknowledged
 *   before it is durable, exactly like a single write.
 * - A transaction holds one partition, at most MAX_TRANSACTION_OPS operations, at most one operation per row key
 *   (the service forbids two) and at most MAX_TRANSACTION_BYTES of entity payload; a later write to a row already in
 *   this batch or in a transaction still in flight waits for a later batch, so writes to one row are applied in the
 *   order they were issued.
 * - Transactions are all-or-nothing, so a failed multi-write transaction (one `create` hitting an existing row, one
 *   bad entity) is retried write by write: one conflict answers `exists` to its own writer and never fails its
 *   neighbours.
 */
import { RestError, type TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { GroupCommitQueue } from '../group-commit';

export type BatchedWrite =
  { kind: 'create'; entity: TableEntity } | { kind: 'upsert'; entity: TableEntity; mode: 'Replace' | 'Merge' };

export type BatchedWriteResult = 'created' | 'exists' | 'written';

/** Azure Tables limits for one entity-group transaction. */
export const MAX_TRANSACTION_OPS = 100;
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024 - 64 * 1024; // 4 MiB minus room for the multipart envelope

interface Pending {
  write: BatchedWrite;
  bytes: number;
  resolve: (r: BatchedWriteResult) => void;
  reject: (e: unknown) => void;
}

export interface TableBatcherOptions {
  /** Transactions in flight at once per table (default 4). More groups wait for one to finish. */
  maxInFlight?: number;
}

function isStatus(e: unknown, status: number): boolean {
  return e instanceof RestError
    ? e.statusCode === status
    : (e as { statusCode?: unknown } | undefined)?.statusCode === status;
}

function rowKeyOf(p: Pending): string {
  return `${p.write.entity.partitionKey}\u0000${p.write.entity.rowKey}`;
}

function approxBytes(entity: TableEntity): number {
  let n = 64;
  for (const [k, v] of Object.entries(entity)) {
    n += k.length * 2 + 16;
    if (typeof v === 'string') n += v.length * 2;
    else if (v instanceof Uint8Array) n += Math.ceil((v.byteLength * 4) / 3);
    else n += 16;
  }
  return n;
}

export class TableBatcher {
  private readonly pending: GroupCommitQueue<Pending>;
  /** `partition\u0000row` of writes in transactions not yet settled: a later write to one of them waits. */
  private readonly busyRows = new Set<string>();

  constructor(
    private readonly client: TableClient,
    options: TableBatcherOptions = {},
  ) {
    this.pending = new GroupCommitQueue(
      (group) => this.commitTracked(group),
      (queue) => this.takeGroup(queue),
      Math.max(1, options.maxInFlight ?? 4),
    );
  }

  write(write: BatchedWrite): Promise<BatchedWriteResult> {
    return new Promise<BatchedWriteResult>((resolve, reject) =>
      this.pending.push({ write, bytes: approxBytes(write.entity), resolve, reject }),
    );
  }

  /** Marks the group's rows busy (synchronously, before the next group is taken) until its transaction settled. */
  private async commitTracked(group: Pending[]): Promise<void> {
    const keys = group.map((p) => rowKeyOf(p));
    for (const k of keys) this.busyRows.add(k);
    try {
      await this.commit(group);
    } finally {
      for (const k of keys) this.busyRows.delete(k);
    }
  }

  /**
   * The partition of the oldest write whose row is not in flight: up to the limits, skipping (never reordering)
   * writes to rows already taken or in flight.
   */
  private takeGroup(queue: Pending[]): { group: Pending[]; rest: Pending[] } {
    const first = queue.find((p) => !this.busyRows.has(rowKeyOf(p)));
    if (first === undefined) return { group: [], rest: queue };
    const partition = first.write.entity.partitionKey;
    const rows = new Set<string>();
    const group: Pending[] = [];
    const rest: Pending[] = [];
    let bytes = 0;
    const blockedRows = new Set<string>();
    for (const p of queue) {
      const row = p.write.entity.rowKey;
      const fits =
        p.write.entity.partitionKey === partition &&
        group.length < MAX_TRANSACTION_OPS &&
        !rows.has(row) &&
        !blockedRows.has(row) &&
        !this.busyRows.has(`${partition}\u0000${row}`) &&
        (group.length === 0 || bytes + p.bytes <= MAX_TRANSACTION_BYTES);
      if (fits) {
        group.push(p);
        rows.add(row);
        bytes += p.bytes;
      } else {
        rest.push(p);
        // A later write to this row must not overtake the one left behind.
        if (p.write.entity.partitionKey === partition) blockedRows.add(row);
      }
    }
    return { group, rest };
  }

  private async commit(group: Pending[]): Promise<void> {
    if (group.length === 1) {
      await this.one(group[0]!);
      return;
    }
    const actions: TransactionAction[] = group.map(({ write }) =>
      write.kind === 'create' ? ['create', write.entity] : ['upsert', write.entity, write.mode],
    );
    try {
      await this.client.submitTransaction(actions);
    } catch {
      // All or nothing: find out write by write which one failed (a conflicting create, a bad entity).
      await Promise.all(group.map((p) => this.one(p)));
      return;
    }
    for (const p of group) p.resolve(p.write.kind === 'create' ? 'created' : 'written');
  }

  private async one(p: Pending): Promise<void> {
    try {
      if (p.write.kind === 'create') {
        try {
          await this.client.createEntity(p.write.entity);
          p.resolve('created');
        } catch (e) {
          if (isStatus(e, 409)) p.resolve('exists');
          else throw e;
        }
      } else {
        await this.client.upsertEntity(p.write.entity, p.write.mode);
        p.resolve('written');
      }
    } catch (e) {
      p.reject(e);
    }
  }
}
