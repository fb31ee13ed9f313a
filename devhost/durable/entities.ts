/**
 * Durable entities (durable-protocol.md §7): operations queued per entity, run in batches through the app's
 * `entityTrigger` function (the SDK's Entity handler), state persisted per entity, replies to calling
 * orchestrations as `EventRaised{Name: requestId}`, and signals the entity sends forwarded to their targets.
 *
 * Invariants:
 * - One batch per entity at a time; operations run in arrival order.
 * - A batch's new state, consumed operations, replies and outgoing signals commit in one transaction; replies and
 *   signals are delivered only after it. A crash before the commit re-runs the batch (at-least-once, like DTFx).
 * - Critical sections (`context.df.lock`) are not offered: the engine advertises replay schema V3, so the SDK itself
 *   rejects `lock()` with a clear error.
 */
import type { HostLogger } from '../host/types';
import type { Clock } from '../lib/clock';
import type { CommitQueue } from '../lib/commit-queue';
import type { DurableStore } from './store';
import { EventType, type EntityOperation, type EntityRow, type HistoryEvent, type InboxMessage } from './types';

export interface EntityDeps {
  store: DurableStore;
  /** The engine's clock: entity `updatedAt` and reply timestamps. */
  clock: Clock;
  commits: CommitQueue;
  log: HostLogger;
  maxConcurrent: number;
  rowId(): number;
  /** Canonical entity function name for a (case-insensitive) name. */
  resolveEntity(name: string): string | undefined;
  invokeEntity(functionName: string, payload: unknown, entityId: string): Promise<unknown>;
  /** Deliver a committed inbox message to an orchestration instance. */
  deliverToInstance(instanceId: string, rowId: number, message: InboxMessage): void;
  /** Whether an orchestration instance is active (replies to finished callers are dropped). */
  isInstanceActive(instanceId: string): boolean;
}

interface Pending {
  rowId: number;
  op: EntityOperation;
}

interface EntityRt {
  entityId: string;
  name: string;
  key: string;
  pending: Pending[];
  busy: boolean;
  queued: boolean;
}

interface EntityResult {
  results?: Array<{ isError?: boolean; result?: string }>;
  signals?: Array<{ target: { name: string; key: string }; name: string; input?: string }>;
  entityExists?: boolean;
  entityState?: string;
}

export function parseSchedulerId(id: string): { name: string; key: string } | undefined {
  if (!id.startsWith('@')) return undefined;
  const pos = id.indexOf('@', 1);
  if (pos < 0) return undefined;
  return { name: id.slice(1, pos), key: id.slice(pos + 1) };
}

export class EntityRunner {
  private readonly entities = new Map<string, EntityRt>();
  private readonly ready: EntityRt[] = [];
  private running = 0;
  private stopped = false;
  batches = 0;

  constructor(private readonly d: EntityDeps) {}

  stop(): void {
    this.stopped = true;
  }

  get busy(): boolean {
    return this.running > 0;
  }

  private rt(entityId: string): EntityRt | undefined {
    let rt = this.entities.get(entityId);
    if (!rt) {
      const parsed = parseSchedulerId(entityId);
      if (!parsed) return undefined;
      rt = { entityId, name: parsed.name, key: parsed.key, pending: [], busy: false, queued: false };
      this.entities.set(entityId, rt);
    }
    return rt;
  }

  /** A committed operation for an entity (from the store on start, or after a commit). */
  enqueue(entityId: string, rowId: number, op: EntityOperation): void {
    const rt = this.rt(entityId);
    if (!rt) return;
    rt.pending.push({ rowId, op });
    this.schedule(rt);
  }

  /** Signal from a client: commit, then run. */
  async signal(entityId: string, op: EntityOperation): Promise<void> {
    const rowId = this.d.rowId();
    const message: InboxMessage = { kind: 'entityOp', op };
    await this.d.commits.run(() => this.d.store.insertInbox(rowId, entityId, null, message));
    this.enqueue(entityId, rowId, op);
  }

  private schedule(rt: EntityRt): void {
    if (this.stopped || rt.busy || rt.queued || !rt.pending.length) return;
    rt.queued = true;
    this.ready.push(rt);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.d.maxConcurrent && this.ready.length) {
      const rt = this.ready.shift()!;
      rt.queued = false;
      if (rt.busy) continue;
      rt.busy = true;
      this.running++;
      void this.batch(rt).catch((e: unknown) => {
        this.running--;
        this.d.log.log('error', 'Entity batch failed inside the engine; will retry', {
          entityId: rt.entityId,
          error: (e as Error).stack ?? String(e),
        });
        setTimeout(() => {
          rt.busy = false;
          this.schedule(rt);
        }, 1000).unref();
      });
    }
  }

  private async batch(rt: EntityRt): Promise<void> {
    const taken = rt.pending;
    rt.pending = [];
    const fnName = this.d.resolveEntity(rt.name);
    const row: EntityRow = this.d.store.getEntity(rt.entityId) ?? {
      entityId: rt.entityId,
      name: rt.name,
      key: rt.key,
      state: null,
      exists: false,
      updatedAt: this.d.clock.now(),
    };
    const replies: Array<{ instanceId: string; rowId: number; message: InboxMessage }> = [];
    const signals: Array<{ entityId: string; rowId: number; op: EntityOperation }> = [];
    let newRow = row;
    const reply = (op: EntityOperation, result: string | undefined, error: boolean) => {
      if (op.isSignal || !op.id || !op.parent) return;
      const payload = JSON.stringify({
        ...(result !== undefined ? { result } : {}),
        ...(error ? { exceptionType: 'Error' } : {}),
      });
      const event: HistoryEvent = {
        EventType: EventType.EventRaised,
        EventId: -1,
        IsPlayed: false,
        Timestamp: new Date(this.d.clock.now()).toISOString(),
        Name: op.id,
        Input: payload,
      };
      replies.push({ instanceId: op.parent, rowId: this.d.rowId(), message: { kind: 'event', event } });
    };
    try {
      if (!fnName) {
        for (const p of taken) reply(p.op, JSON.stringify(`No entity function named '${rt.name}' is registered`), true);
      } else {
        const payload = {
          self: { name: rt.name, key: rt.key },
          exists: row.exists,
          state: row.state ?? undefined,
          batch: taken.map((p) => ({ name: p.op.name, input: p.op.input ?? undefined, isSignal: p.op.isSignal })),
        };
        const result = ((await this.d.invokeEntity(fnName, payload, rt.entityId)) ?? {}) as EntityResult;
        this.batches++;
        taken.forEach((p, i) => {
          const r = result.results?.[i];
          if (r?.isError) {
            this.d.log.log('warning', 'Entity operation failed', {
              entityId: rt.entityId,
              operation: p.op.name,
              error: r.result,
            });
            reply(
              p.op,
              JSON.stringify(
                `Entity operation '${p.op.name}' on ${rt.entityId} failed: ${r.result ?? 'unknown error'}`,
              ),
              true,
            );
          } else reply(p.op, r?.result, false);
        });
        for (const s of result.signals ?? []) {
          signals.push({
            entityId: `@${s.target.name.toLowerCase()}@${s.target.key}`,
            rowId: this.d.rowId(),
            op: { name: s.name, input: s.input ? s.input : null, isSignal: true },
          });
        }
        newRow = {
          ...row,
          state: result.entityExists === false ? null : (result.entityState ?? null),
          exists: result.entityExists ?? row.exists,
          updatedAt: this.d.clock.now(),
        };
      }
    } catch (e) {
      // The whole batch failed (not one operation): every caller gets the error, the state is unchanged.
      const message = (e as Error).message;
      this.d.log.log('warning', 'Entity batch failed', { entityId: rt.entityId, error: message });
      for (const p of taken) reply(p.op, JSON.stringify(`Entity ${rt.entityId} failed: ${message}`), true);
    }
    const liveReplies = replies.filter((r) => this.d.isInstanceActive(r.instanceId));
    try {
      await this.d.commits.run(() => {
        const s = this.d.store;
        s.deleteInbox(taken.map((p) => p.rowId));
        if (fnName) s.upsertEntity(newRow);
        for (const r of liveReplies) s.insertInbox(r.rowId, r.instanceId, null, r.message);
        for (const sig of signals) s.insertInbox(sig.rowId, sig.entityId, null, { kind: 'entityOp', op: sig.op });
      });
    } catch (e) {
      rt.pending = taken.concat(rt.pending);
      throw e;
    }
    rt.busy = false;
    this.running--;
    for (const r of liveReplies) this.d.deliverToInstance(r.instanceId, r.rowId, r.message);
    for (const sig of signals) this.enqueue(sig.entityId, sig.rowId, sig.op);
    if (!rt.pending.length && !rt.queued) this.entities.delete(rt.entityId);
    else this.schedule(rt);
    this.pump();
  }
}
