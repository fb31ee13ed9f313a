/**
 * The messaging engine: entities, messages, locks, scheduling, expiry, dead-lettering, persistence.
 * Knows nothing about AMQP links; the broker adapts links to `Consumer`s.
 *
 * Invariants:
 * - A message is visible to receivers only after the transaction inserting it committed, and a send is
 *   acknowledged only then (durability of accepted messages).
 * - A complete is acknowledged only after the delete committed, and the message is removed from memory at once,
 *   so a completed message is never delivered again (not even before the commit).
 * - Locks live in memory only: after a restart every previously locked message is available again, with the
 *   delivery count it had (Azure increments at lock time; we increment at abandon/expiry, so a crash while
 *   locked does not count as a delivery attempt).
 * - Store operations run in the order they were issued (the CommitQueue preserves order).
 * - Sessions: a session is held by at most one consumer; its messages go out in sequence order, only to that
 *   consumer; a message of a session can be settled only while the session lock it was received under is held.
 * - Time: every time the engine reads (lock and session-lock expiry, renewals, scheduled enqueue time, TTL, the
 *   duplicate-detection window) comes from its `Clock`, and every wait for such a time is scheduled on it, so a
 *   test clock's `advance` expires locks and activates scheduled messages at once. Dispatch and store flushes are
 *   work loops on real `nextTick`/`setImmediate`.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';
import { decodeMessage, encodeMessage, messageIdString, newLockTag, stamp, type IncomingItem } from './amqp-util';
import type { EntitiesConfig, QueueSettings, RuleDef, DedupSettings } from './config';
import { applyView, filterView } from './filter-message';
import { systemClock, type Clock, type ClockTimer } from '../lib/clock';
import { CommitQueue } from '../lib/commit-queue';
import { ascending, MinHeap } from '../lib/heap';
import { MessageState, type MessageStore, type StoredMessage } from './store';

export const DLQ_SUFFIX = '/$deadletterqueue';

export interface Entry {
  rec: StoredMessage;
  msg: Message;
  queue: MessageQueue;
  lock: Lock | null;
}

export interface Lock {
  token: string;
  /** Expiry (ms); for messages of a session the session lock governs instead (see `session`). */
  until: number;
  /** Set for messages received through a session: the lock is valid while this session is held by `consumer`. */
  session?: SessionRec;
  entry: Entry;
  /** Set when delivered on a link; undefined for locks taken by receive-by-sequence-number. */
  consumer: Consumer | undefined;
  /** What the consumer returned from deliver() (its delivery handle). */
  handle?: unknown;
}

/** A session of a session-enabled queue or subscription. */
export interface SessionRec {
  readonly id: string;
  /** Sequence numbers of its active messages (FIFO per session); stale entries are skipped on pop. */
  readonly available: MinHeap<number>;
  holder: { consumer: Consumer; until: number; linkName: string } | null;
  state: Buffer | null;
}

/** A receiver waiting in acceptNextSession for a session with messages. */
export interface SessionWaiter {
  consumer: Consumer;
  linkName: string;
  accepted(s: SessionRec): void;
}

export interface Consumer {
  readonly mode: 'peekLock' | 'receiveAndDelete';
  /** The session this consumer holds (session receivers only). */
  session?: SessionRec | undefined;
  /** The session lock expired without renewal: the receiver must be detached (session-lock-lost). */
  sessionLost?(): void;
  /** How many more messages the consumer can take now. */
  credit(): number;
  /** Deliver a stamped message. `tag` is the lock tag in peek-lock mode. */
  deliver(msg: Message, tag: Buffer | undefined): unknown;
  /** A lock taken by this consumer expired without settlement. */
  lockExpired?(handle: unknown): void;
  /** For receive-and-delete: a message was reserved (taken from the queue) and will be delivered after commit. */
  reserve?(delta: number): void;
}

export type Outcome =
  | { kind: 'complete' }
  | { kind: 'abandon'; properties?: Record<string, unknown> }
  | { kind: 'defer'; properties?: Record<string, unknown> }
  | { kind: 'deadletter'; reason?: string; description?: string; properties?: Record<string, unknown> };

export class EngineError extends Error {
  constructor(
    readonly condition: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export class MessageQueue {
  readonly entries = new Map<number, Entry>();
  readonly available = new MinHeap<number>(ascending);
  readonly consumers: Consumer[] = [];
  /** Session-enabled entities: sessions by id, and receivers waiting for the next available session. */
  readonly sessions = new Map<string, SessionRec>();
  readonly waiting: SessionWaiter[] = [];
  private rr = 0;
  dlq: MessageQueue | undefined;

  constructor(
    /** Lower-case path used for lookups and storage. */
    readonly path: string,
    /** Path as configured (for display and x-opt-deadletter-source). */
    readonly displayPath: string,
    readonly settings: QueueSettings,
    readonly isDlq: boolean,
  ) {}

  get requiresSession(): boolean {
    return this.settings.requiresSession && !this.isDlq;
  }

  session(id: string): SessionRec {
    let s = this.sessions.get(id);
    if (!s) {
      s = { id, available: new MinHeap<number>(ascending), holder: null, state: null };
      this.sessions.set(id, s);
    }
    return s;
  }

  nextConsumer(): Consumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.rr + i) % n] as Consumer;
      if (c.credit() > 0) {
        this.rr = (this.rr + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  counts(): { active: number; scheduled: number; deferred: number; locked: number } {
    let active = 0;
    let scheduled = 0;
    let deferred = 0;
    let locked = 0;
    for (const e of this.entries.values()) {
      if (e.rec.state === MessageState.Active) active++;
      else if (e.rec.state === MessageState.Scheduled) scheduled++;
      else deferred++;
      if (e.lock) locked++;
    }
    return { active, scheduled, deferred, locked };
  }
}

interface SendTarget {
  kind: 'queue' | 'topic';
  name: string;
  dedup: DedupSettings;
  dedupSeen: Map<string, number>;
  /** queue: [itself]; topic: subscriptions with their rules. */
  queue?: MessageQueue;
  subscriptions?: Array<{ queue: MessageQueue; rules: RuleDef[] }>;
}

export interface EngineLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export class Engine {
  private readonly queues = new Map<string, MessageQueue>();
  private readonly targets = new Map<string, SendTarget>();
  private readonly locks = new Map<string, Lock>();
  private readonly scheduled = new MinHeap<Entry>((a, b) => (a.rec.scheduledAt ?? 0) - (b.rec.scheduledAt ?? 0));
  private readonly expiring = new MinHeap<{ entry: Entry; at: number }>((a, b) => a.at - b.at);
  private readonly committer: CommitQueue;
  private lastSeq = 0;
  private purgeTimer: NodeJS.Timeout | undefined;
  private scheduleTimer: { at: number; timer: ClockTimer } | undefined;
  /** One clock timer for lock, session-lock and TTL deadlines, armed for the earliest one (see `wakeSweepAt`). */
  private sweepTimer: { at: number; timer: ClockTimer } | undefined;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private started = false;
  private dispatchPending = new Set<MessageQueue>();
  private dispatchScheduled = false;
  private readonly clock: Clock;

  constructor(
    private readonly store: MessageStore,
    config: EntitiesConfig,
    private readonly log: EngineLogger,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.committer = new CommitQueue(store, {
      onError: (err) => log.warn('servicebus store commit failed', { error: err.message }),
    });
    for (const q of config.queues) {
      const queue = this.addQueue(q.name, q.settings);
      this.targets.set(q.name.toLowerCase(), {
        kind: 'queue',
        name: q.name,
        dedup: q.dedup,
        dedupSeen: new Map(),
        queue,
      });
    }
    for (const t of config.topics) {
      const subscriptions = t.subscriptions.map((s) => ({
        queue: this.addQueue(`${t.name}/Subscriptions/${s.name}`, s.settings),
        rules: s.rules,
      }));
      this.targets.set(t.name.toLowerCase(), {
        kind: 'topic',
        name: t.name,
        dedup: t.dedup,
        dedupSeen: new Map(),
        subscriptions,
      });
    }
  }

  private addQueue(display: string, settings: QueueSettings): MessageQueue {
    const q = new MessageQueue(display.toLowerCase(), display, settings, false);
    const dlq = new MessageQueue(
      q.path + DLQ_SUFFIX,
      display + '/$DeadLetterQueue',
      { ...settings, defaultTtlMs: null, requiresSession: false },
      true,
    );
    q.dlq = dlq;
    this.queues.set(q.path, q);
    this.queues.set(dlq.path, dlq);
    return q;
  }

  /** Load persisted messages; drop rows of entities no longer configured (logged). Starts the timers. */
  start(): void {
    const now = this.clock.now();
    this.store.saveEntities(
      [...this.queues.values()]
        .filter((q) => !q.isDlq)
        .map((q) => ({ path: q.displayPath, kind: q.path.includes('/subscriptions/') ? 'subscription' : 'queue' })),
    );
    this.lastSeq = this.store.lastSequence();
    let dropped = 0;
    for (const rec of this.store.loadAll()) {
      const queue = this.queues.get(rec.entity);
      if (!queue) {
        dropped++;
        continue;
      }
      const msg = decodeMessage(rec.raw);
      if (msg.message_id === undefined || msg.message_id === null) msg.message_id = rec.messageId;
      const entry: Entry = { rec, msg, queue, lock: null };
      rec.raw = EMPTY;
      this.index(entry);
    }
    if (dropped > 0)
      this.log.warn('servicebus: messages of entities no longer configured are kept on disk but not served', {
        count: dropped,
      });
    for (const st of this.store.loadSessionStates()) {
      const q = this.queues.get(st.entity);
      if (q?.requiresSession) q.session(st.sessionId).state = st.state;
    }
    for (const d of this.store.loadDedup(now)) {
      this.targets.get(d.entity)?.dedupSeen.set(d.messageId, d.expiresAt);
    }
    // Housekeeping only: the window itself is enforced when a send is checked against `dedupSeen`.
    this.purgeTimer = setInterval(() => {
      const t = this.clock.now();
      for (const target of this.targets.values())
        for (const [id, exp] of target.dedupSeen) if (exp < t) target.dedupSeen.delete(id);
      this.committer.enqueue(() => this.store.purgeDedup(t));
    }, 30_000);
    this.purgeTimer.unref();
    this.started = true;
    this.armScheduleTimer();
    this.sweep();
  }

  close(): void {
    this.started = false;
    clearInterval(this.purgeTimer);
    this.scheduleTimer?.timer.cancel();
    this.scheduleTimer = undefined;
    this.sweepTimer?.timer.cancel();
    this.sweepTimer = undefined;
    this.committer.close();
  }

  /** Flush pending store work now (tests/shutdown). */
  flush(): void {
    this.committer.flush();
  }

  // ---------------------------------------------------------------- lookup

  sendTarget(path: string): SendTarget | undefined {
    return this.targets.get(path.toLowerCase());
  }

  receiveQueue(path: string): MessageQueue | undefined {
    return this.queues.get(path.toLowerCase());
  }

  /** Queues and subscriptions (not DLQs) with counts, for listings. */
  listEntities(): Array<{
    path: string;
    kind: 'queue' | 'subscription';
    active: number;
    scheduled: number;
    deferred: number;
    deadLetter: number;
  }> {
    const out = [];
    for (const q of this.queues.values()) {
      if (q.isDlq) continue;
      const c = q.counts();
      out.push({
        path: q.displayPath,
        kind: q.path.includes('/subscriptions/') ? ('subscription' as const) : ('queue' as const),
        active: c.active,
        scheduled: c.scheduled,
        deferred: c.deferred,
        deadLetter: q.dlq?.entries.size ?? 0,
      });
    }
    return out;
  }

  /** Receivers attached to a queue or subscription that have credit now (diagnostics; tests wait on it). */
  readyReceivers(path: string): number {
    return this.queues.get(path.toLowerCase())?.consumers.filter((c) => c.credit() > 0).length ?? 0;
  }

  // ---------------------------------------------------------------- send

  /**
   * Enqueue messages sent to a queue or topic. `done` runs after they are durable (or with the error).
   * `scheduleAt` overrides each message's scheduled time (for $management schedule-message).
   */
  send(
    target: SendTarget,
    items: IncomingItem[],
    done: (err: Error | undefined, seqs: number[]) => void,
    scheduleAt?: number,
  ): void {
    const now = this.clock.now();
    const entries: Entry[] = [];
    const dedupRows: Array<[string, number]> = [];
    const seqs: number[] = [];
    let refused: EngineError | undefined;
    for (const item of items) {
      const msg = item.msg;
      let raw = item.raw;
      // Service Bus assigns a message id when the sender set none. The stored bytes keep the message as sent
      // (no re-encode); the id lives in the message_id column and is put back on load.
      if (msg.message_id === undefined || msg.message_id === null) msg.message_id = randomUUID().replace(/-/g, '');
      const messageId = messageIdString(msg.message_id) ?? '';
      if (target.dedup.enabled && scheduleAt === undefined) {
        const seen = target.dedupSeen.get(messageId);
        if (seen !== undefined && seen >= now) continue;
        const exp = now + target.dedup.windowMs;
        target.dedupSeen.set(messageId, exp);
        dedupRows.push([messageId, exp]);
      }
      const ann = msg.message_annotations;
      const schedRaw: unknown = scheduleAt ?? ann?.['x-opt-scheduled-enqueue-time'];
      const sched = schedRaw instanceof Date ? schedRaw.getTime() : typeof schedRaw === 'number' ? schedRaw : undefined;
      if (ann && 'x-opt-scheduled-enqueue-time' in ann) {
        delete ann['x-opt-scheduled-enqueue-time'];
        raw = undefined;
      }
      const isScheduled = sched !== undefined && (sched > now || scheduleAt !== undefined);
      const seq = ++this.lastSeq;
      seqs.push(seq);
      raw ??= encodeMessage(msg);
      // Where the message goes, and as what: rules without actions together yield the message once; each matching
      // rule with an action yields its own changed copy (application property RuleName), as Azure documents.
      const destinations: Array<{ queue: MessageQueue; msg: Message; raw: Buffer; seq: number }> = [];
      if (target.queue) destinations.push({ queue: target.queue, msg, raw, seq });
      else {
        const view = filterView(msg);
        for (const sub of target.subscriptions ?? []) {
          let plain = sub.rules.length === 0;
          let usedSeq = false;
          // Each message of one entity needs its own sequence number.
          const seqFor = (): number => (usedSeq ? ++this.lastSeq : ((usedSeq = true), seq));
          for (const r of sub.rules) {
            if (!r.filter(view)) continue;
            if (!r.action) {
              plain = true;
              continue;
            }
            const after = { sys: { ...view.sys }, user: { ...view.user } };
            r.action(after);
            after.user.RuleName = r.name;
            const copy = applyView(msg, view, after);
            destinations.push({ queue: sub.queue, msg: copy, raw: encodeMessage(copy), seq: seqFor() });
          }
          if (plain) destinations.push({ queue: sub.queue, msg, raw, seq: seqFor() });
        }
      }
      for (const { queue, msg, raw, seq } of destinations) {
        if (queue.requiresSession && sessionIdOf(msg) === undefined) {
          refused = new EngineError(
            'amqp:not-allowed',
            `The SessionId was not set on a message, and it cannot be sent to the entity '${queue.displayPath}'. Entities that have session support enabled can only receive messages that have the SessionId set to a valid value.`,
            400,
          );
          break;
        }
        const enqueuedAt = isScheduled ? sched : now;
        const ttl = minTtl(typeof msg.ttl === 'number' && msg.ttl > 0 ? msg.ttl : null, queue.settings.defaultTtlMs);
        entries.push({
          rec: {
            entity: queue.path,
            seq,
            state: isScheduled ? MessageState.Scheduled : MessageState.Active,
            enqueuedAt,
            scheduledAt: isScheduled ? sched : null,
            expiresAt: ttl === null ? null : enqueuedAt + ttl,
            deliveryCount: 0,
            messageId: msg === item.msg ? messageId : (messageIdString(msg.message_id) ?? messageId),
            dlSource: null,
            raw,
          },
          msg,
          queue,
          lock: null,
        });
      }
    }
    if (refused) {
      for (const [id] of dedupRows) target.dedupSeen.delete(id);
      done(refused, []);
      return;
    }
    const last = this.lastSeq;
    const entityKey = target.name.toLowerCase();
    this.committer.enqueue(
      () => {
        for (const e of entries) this.store.insert(e.rec);
        for (const [id, exp] of dedupRows) this.store.putDedup(entityKey, id, exp);
        this.store.setLastSequence(last);
      },
      (err) => {
        if (err) {
          for (const [id] of dedupRows) target.dedupSeen.delete(id);
          done(err, []);
          return;
        }
        for (const e of entries) {
          e.rec.raw = EMPTY;
          this.index(e);
        }
        done(undefined, seqs);
      },
    );
  }

  /** Put a loaded or newly committed entry into the in-memory indexes. */
  private index(e: Entry): void {
    e.queue.entries.set(e.rec.seq, e);
    if (e.rec.state === MessageState.Scheduled) {
      this.scheduled.push(e);
      this.armScheduleTimer();
    } else if (e.rec.state === MessageState.Active) {
      this.makeAvailable(e);
    }
    if (e.rec.expiresAt !== null && !e.queue.isDlq) {
      this.expiring.push({ entry: e, at: e.rec.expiresAt });
      this.wakeSweepAt(e.rec.expiresAt);
    }
  }

  cancelScheduled(target: SendTarget, seqs: number[], done: (err?: Error) => void): void {
    const queues = target.queue ? [target.queue] : (target.subscriptions ?? []).map((s) => s.queue);
    const removed: Entry[] = [];
    for (const seq of seqs) {
      for (const q of queues) {
        const e = q.entries.get(seq);
        if (e && e.rec.state === MessageState.Scheduled) {
          q.entries.delete(seq);
          removed.push(e);
        }
      }
    }
    if (removed.length === 0) {
      done();
      return;
    }
    this.committer.enqueue(() => {
      for (const e of removed) this.store.remove(e.rec.entity, e.rec.seq);
    }, done);
  }

  // ---------------------------------------------------------------- delivery

  addConsumer(q: MessageQueue, c: Consumer): void {
    q.consumers.push(c);
    this.requestDispatch(q);
  }

  removeConsumer(q: MessageQueue, c: Consumer): void {
    const i = q.consumers.indexOf(c);
    if (i >= 0) q.consumers.splice(i, 1);
    const w = q.waiting.findIndex((x) => x.consumer === c);
    if (w >= 0) q.waiting.splice(w, 1);
    // Closing a session receiver releases the session; its locked messages can no longer be settled.
    if (c.session && c.session.holder?.consumer === c) this.releaseSession(q, c.session, false);
  }

  // ---------------------------------------------------------------- sessions

  /** acceptSession(id): lock the named session (an empty one too, as Azure does). 'locked' while another holds it. */
  acceptSession(q: MessageQueue, id: string, c: Consumer, linkName: string): SessionRec | 'locked' {
    const now = this.clock.now();
    const s = q.session(id);
    if (s.holder) {
      if (s.holder.until >= now) return 'locked';
      this.releaseSession(q, s, true);
      if (s.holder) return 'locked';
    }
    this.holdSession(q, s, c, linkName, now);
    return s;
  }

  /** acceptNextSession: lock the unlocked session whose oldest message is oldest, or queue the waiter. */
  acceptNextSession(q: MessageQueue, w: SessionWaiter): SessionRec | undefined {
    const s = this.nextFreeSession(q);
    if (s) {
      this.holdSession(q, s, w.consumer, w.linkName, this.clock.now());
      return s;
    }
    q.waiting.push(w);
    return undefined;
  }

  private holdSession(q: MessageQueue, s: SessionRec, c: Consumer, linkName: string, now: number): void {
    s.holder = { consumer: c, until: now + q.settings.lockDurationMs, linkName };
    this.wakeSweepAt(s.holder.until + 1);
    c.session = s;
    this.addConsumer(q, c);
  }

  private nextFreeSession(q: MessageQueue): SessionRec | undefined {
    let best: SessionRec | undefined;
    let bestSeq = Number.POSITIVE_INFINITY;
    for (const s of q.sessions.values()) {
      if (s.holder) continue;
      for (;;) {
        const seq = s.available.peek();
        if (seq === undefined) break;
        const e = q.entries.get(seq);
        if (e && !e.lock && e.rec.state === MessageState.Active) break;
        s.available.pop();
      }
      const top = s.available.peek();
      if (top === undefined) {
        if (s.state === null) q.sessions.delete(s.id);
        continue;
      }
      if (top < bestSeq) {
        best = s;
        bestSeq = top;
      }
    }
    return best;
  }

  /** Hand sessions with messages to receivers waiting in acceptNextSession, oldest waiter first. */
  private offerSessions(q: MessageQueue): void {
    while (q.waiting.length > 0) {
      const s = this.nextFreeSession(q);
      if (!s) return;
      const w = q.waiting.shift() as SessionWaiter;
      this.holdSession(q, s, w.consumer, w.linkName, this.clock.now());
      w.accepted(s);
    }
  }

  /** Release a session lock (receiver closed, or the lock expired: `lost`). Its locked messages become available. */
  private releaseSession(q: MessageQueue, s: SessionRec, lost: boolean): void {
    const holder = s.holder;
    if (!holder) return;
    s.holder = null;
    if (holder.consumer.session === s) holder.consumer.session = undefined;
    const i = q.consumers.indexOf(holder.consumer);
    if (i >= 0) q.consumers.splice(i, 1);
    for (const lock of [...this.locks.values()]) if (lock.session === s) this.expireLock(lock);
    if (lost) holder.consumer.sessionLost?.();
    if (s.holder === null) {
      if (s.available.size === 0 && s.state === null) q.sessions.delete(s.id);
      else this.offerSessions(q);
    }
  }

  private heldSession(
    q: MessageQueue,
    id: string,
    linkName: string | undefined,
  ): SessionRec & { holder: NonNullable<SessionRec['holder']> } {
    const s = q.sessions.get(id);
    if (!s?.holder || s.holder.until < this.clock.now() || (linkName !== undefined && linkName !== s.holder.linkName)) {
      throw new EngineError(
        'com.microsoft:session-lock-lost',
        `The session lock has expired on the session with id ${id}, or the session is not locked by this receiver. Accept the session again.`,
        410,
      );
    }
    return s as SessionRec & { holder: NonNullable<SessionRec['holder']> };
  }

  renewSessionLock(q: MessageQueue, id: string, linkName: string | undefined): number {
    const s = this.heldSession(q, id, linkName);
    s.holder.until = this.clock.now() + q.settings.lockDurationMs;
    return s.holder.until;
  }

  getSessionState(q: MessageQueue, id: string, linkName: string | undefined): Buffer | null {
    return this.heldSession(q, id, linkName).state;
  }

  setSessionState(
    q: MessageQueue,
    id: string,
    state: Buffer | null,
    linkName: string | undefined,
    done: (err?: Error) => void,
  ): void {
    const s = this.heldSession(q, id, linkName);
    s.state = state;
    this.committer.enqueue(() => this.store.putSessionState(q.path, id, state), done);
  }

  /** Ids of sessions with messages (get-message-sessions). */
  listSessions(q: MessageQueue): string[] {
    const ids = new Set<string>();
    for (const e of q.entries.values()) {
      const id = sessionIdOf(e.msg);
      if (id !== undefined) ids.add(id);
    }
    return [...ids];
  }

  /** Coalesce dispatch requests into one pass per tick. */
  requestDispatch(q: MessageQueue): void {
    if (q.consumers.length === 0) return;
    this.dispatchPending.add(q);
    if (!this.dispatchScheduled) {
      this.dispatchScheduled = true;
      process.nextTick(() => {
        this.dispatchScheduled = false;
        const qs = [...this.dispatchPending];
        this.dispatchPending.clear();
        for (const x of qs) this.dispatch(x);
      });
    }
  }

  /** Queue an active message for delivery: per session (FIFO within it) or on the entity. */
  private makeAvailable(e: Entry): void {
    const q = e.queue;
    if (q.requiresSession) {
      const s = q.session(sessionIdOf(e.msg) ?? '');
      s.available.push(e.rec.seq);
      if (!s.holder) this.offerSessions(q);
    } else {
      q.available.push(e.rec.seq);
    }
    this.requestDispatch(q);
  }

  /** Deliver available messages to consumers with credit, in sequence order. */
  dispatch(q: MessageQueue): void {
    const now = this.clock.now();
    if (q.requiresSession) {
      for (const c of q.consumers) this.dispatchSession(q, c, now);
      return;
    }
    for (;;) {
      if (q.available.size === 0) return;
      const c = q.nextConsumer();
      if (!c) return;
      const seq = q.available.pop() as number;
      const e = q.entries.get(seq);
      if (!e || e.lock || e.rec.state !== MessageState.Active) continue;
      if (e.rec.expiresAt !== null && e.rec.expiresAt <= now && !q.isDlq) {
        this.expire(e);
        continue;
      }
      this.deliverTo(c, e, now, undefined);
    }
  }

  /** A session receiver gets only its session's messages, in sequence order. */
  private dispatchSession(q: MessageQueue, c: Consumer, now: number): void {
    const s = c.session;
    if (!s || s.holder?.consumer !== c) return;
    while (s.available.size > 0 && c.credit() > 0) {
      const seq = s.available.pop() as number;
      const e = q.entries.get(seq);
      if (!e || e.lock || e.rec.state !== MessageState.Active) continue;
      if (e.rec.expiresAt !== null && e.rec.expiresAt <= now) {
        this.expire(e);
        continue;
      }
      this.deliverTo(c, e, now, s);
    }
  }

  private deliverTo(c: Consumer, e: Entry, now: number, session: SessionRec | undefined): void {
    const q = e.queue;
    if (c.mode === 'peekLock') {
      const { tag, token } = newLockTag();
      const lock: Lock = {
        token,
        until: session ? Number.POSITIVE_INFINITY : now + q.settings.lockDurationMs,
        entry: e,
        consumer: c,
        ...(session ? { session } : {}),
      };
      e.lock = lock;
      this.locks.set(token, lock);
      if (!session) this.wakeSweepAt(lock.until + 1);
      lock.handle = c.deliver(this.stampFor(e, session ? (session.holder?.until ?? now) : lock.until), tag);
      return;
    }
    q.entries.delete(e.rec.seq);
    c.reserve?.(1);
    const out = this.stampFor(e, undefined);
    this.committer.enqueue(
      () => this.store.remove(e.rec.entity, e.rec.seq),
      () => {
        c.reserve?.(-1);
        c.deliver(out, undefined);
      },
    );
  }

  private stampFor(e: Entry, lockedUntil: number | undefined): Message {
    return stamp(e.msg, {
      sequenceNumber: e.rec.seq,
      enqueuedAt: e.rec.enqueuedAt,
      ...(lockedUntil !== undefined ? { lockedUntil } : {}),
      deliveryCount: e.rec.deliveryCount,
      state: e.rec.state,
      scheduledAt: e.rec.scheduledAt,
      deadLetterSource: e.rec.dlSource,
      // Azure reports the effective TTL (the entity default caps the message's own), so expiresAtUtc is right.
      ...(e.rec.expiresAt !== null ? { ttl: e.rec.expiresAt - e.rec.enqueuedAt } : {}),
    });
  }

  // ---------------------------------------------------------------- settlement

  /**
   * Settle a locked message. `done(undefined)` after the outcome is durable; `done(error)` with an EngineError
   * (message-lock-lost) when the lock expired, was already used, or never existed.
   */
  settle(token: string, outcome: Outcome, done: (err?: EngineError | Error) => void): void {
    const lock = this.locks.get(token);
    const problem = this.lockProblem(lock, token);
    if (problem) {
      if (lock && !lock.session) this.expireLock(lock);
      done(problem);
      return;
    }
    if (!lock) return;
    this.locks.delete(token);
    const e = lock.entry;
    e.lock = null;
    switch (outcome.kind) {
      case 'complete':
        e.queue.entries.delete(e.rec.seq);
        this.committer.enqueue(() => this.store.remove(e.rec.entity, e.rec.seq), done);
        return;
      case 'abandon':
        if (outcome.properties) this.modifyProperties(e, outcome.properties);
        this.failedDelivery(e, done);
        return;
      case 'defer':
        if (outcome.properties) this.modifyProperties(e, outcome.properties);
        e.rec.state = MessageState.Deferred;
        this.persistUpdate(e, done);
        return;
      case 'deadletter':
        this.deadLetter(e, outcome.reason, outcome.description, outcome.properties, done);
        return;
    }
  }

  /** Why a lock cannot be used (message lock expired or used; for session messages: the session lock is gone). */
  private lockProblem(lock: Lock | undefined, token: string): EngineError | undefined {
    if (lock && lock.entry.lock === lock && lock.session) {
      const h = lock.session.holder;
      if (h && h.consumer === lock.consumer && h.until >= this.clock.now()) return undefined;
      return new EngineError(
        'com.microsoft:session-lock-lost',
        `The session lock has expired on the session with id ${lock.session.id}. Accept the session again.`,
        410,
      );
    }
    if (!lock || lock.until < this.clock.now() || lock.entry.lock !== lock) {
      return new EngineError(
        'com.microsoft:message-lock-lost',
        `The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue. Reference: ${token}`,
        410,
      );
    }
    return undefined;
  }

  renewLock(token: string): number {
    const lock = this.locks.get(token);
    const problem = this.lockProblem(lock, token);
    if (problem) throw problem;
    if (!lock)
      throw new EngineError(
        'com.microsoft:message-lock-lost',
        `The lock supplied is invalid. Reference: ${token}`,
        410,
      );
    if (lock.session) return lock.session.holder?.until ?? this.clock.now();
    lock.until = this.clock.now() + lock.entry.queue.settings.lockDurationMs;
    return lock.until;
  }

  /** Abandon or lock expiry: count the attempt, then requeue or dead-letter at maxDeliveryCount. */
  private failedDelivery(e: Entry, done?: (err?: Error) => void): void {
    e.rec.deliveryCount++;
    if (!e.queue.isDlq && e.rec.deliveryCount >= e.queue.settings.maxDeliveryCount) {
      this.deadLetter(
        e,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${e.queue.settings.maxDeliveryCount} delivery attempts.`,
        undefined,
        done,
      );
      return;
    }
    if (e.rec.state === MessageState.Active) this.makeAvailable(e);
    this.persistUpdate(e, done);
  }

  private persistUpdate(e: Entry, done?: (err?: Error) => void): void {
    const rec = { ...e.rec, raw: encodeMessage(e.msg) };
    this.committer.enqueue(() => this.store.update(rec), done);
  }

  private modifyProperties(e: Entry, props: Record<string, unknown>): void {
    const ap = { ...((e.msg.application_properties as Record<string, unknown> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(props)) ap[k] = v;
    // Copy: topic subscriptions share the decoded message object of one send.
    e.msg = { ...e.msg, application_properties: ap };
  }

  private deadLetter(
    e: Entry,
    reason: string | undefined,
    description: string | undefined,
    props: Record<string, unknown> | undefined,
    done?: (err?: Error) => void,
  ): void {
    const from = e.queue;
    const dlq = from.dlq;
    if (!dlq) {
      // Dead-lettering from a DLQ: Azure keeps the message where it is.
      this.makeAvailable(e);
      this.persistUpdate(e, done);
      return;
    }
    const extra: Record<string, unknown> = { ...(props ?? {}) };
    if (reason !== undefined) extra.DeadLetterReason = reason;
    if (description !== undefined) extra.DeadLetterErrorDescription = description;
    this.modifyProperties(e, extra);
    // Dead-lettered messages do not expire but keep reporting the TTL they had.
    if (e.rec.expiresAt !== null) e.msg = { ...e.msg, ttl: e.rec.expiresAt - e.rec.enqueuedAt };
    from.entries.delete(e.rec.seq);
    const fromEntity = e.rec.entity;
    e.queue = dlq;
    e.rec.entity = dlq.path;
    e.rec.state = MessageState.Active;
    e.rec.dlSource = from.displayPath;
    e.rec.expiresAt = null;
    e.rec.scheduledAt = null;
    const rec = { ...e.rec, raw: encodeMessage(e.msg) };
    dlq.entries.set(e.rec.seq, e);
    this.makeAvailable(e);
    this.committer.enqueue(() => this.store.move(fromEntity, rec), done);
  }

  private expire(e: Entry): void {
    if (e.queue.settings.deadLetterOnExpiration) {
      this.deadLetter(e, 'TTLExpiredException', 'The message expired and was dead lettered.', undefined);
    } else {
      e.queue.entries.delete(e.rec.seq);
      this.committer.enqueue(() => this.store.remove(e.rec.entity, e.rec.seq));
    }
  }

  private expireLock(lock: Lock): void {
    this.locks.delete(lock.token);
    lock.consumer?.lockExpired?.(lock.handle);
    if (lock.entry.lock === lock) {
      lock.entry.lock = null;
      if (lock.entry.queue.entries.get(lock.entry.rec.seq) === lock.entry) this.failedDelivery(lock.entry);
    }
  }

  /**
   * Make sure a sweep runs once the clock reaches `at` (a lock, session-lock or TTL deadline). One timer serves all
   * deadlines: it is re-armed only for an earlier one, and sweeps run at most every SWEEP_SPACING_MS of clock time
   * (a sweep scans every lock, so a burst of deadlines a millisecond apart must not scan once per lock).
   */
  private wakeSweepAt(at: number): void {
    if (!this.started) return;
    const when = Math.max(at, this.lastSweep + SWEEP_SPACING_MS);
    if (this.sweepTimer && this.sweepTimer.at <= when) return;
    this.sweepTimer?.timer.cancel();
    this.sweepTimer = { at: when, timer: this.clock.schedule(when - this.clock.now(), () => this.sweep()).unref() };
  }

  /** Expire what is due (locks, session locks, TTL), then arm the timer for the earliest deadline left. */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.clock.now();
    this.lastSweep = now;
    let next = Number.POSITIVE_INFINITY;
    for (const lock of this.locks.values()) {
      if (lock.until < now) this.expireLock(lock);
      else if (lock.until < next) next = lock.until;
    }
    for (const q of this.queues.values()) {
      if (!q.requiresSession) continue;
      for (const s of q.sessions.values()) {
        if (!s.holder) continue;
        if (s.holder.until < now) this.releaseSession(q, s, true);
        else if (s.holder.until < next) next = s.holder.until;
      }
    }
    this.sweepExpired(now);
    const ttl = this.expiring.peek();
    if (ttl && ttl.at < next) next = ttl.at;
    // A lock is valid through `until` (expired only when until < now), so its sweep is due one ms later.
    if (next !== Number.POSITIVE_INFINITY) this.wakeSweepAt(next + 1);
  }

  private sweepExpired(now: number): void {
    for (;;) {
      const top = this.expiring.peek();
      if (!top || top.at > now) return;
      this.expiring.pop();
      const e = top.entry;
      if (e.queue.isDlq || e.queue.entries.get(e.rec.seq) !== e) continue;
      if (e.rec.expiresAt === null || e.rec.expiresAt > now) continue;
      if (e.lock || e.rec.state === MessageState.Scheduled) {
        // A locked message expires once its lock is released; look again later.
        this.expiring.push({ entry: e, at: now + 1000 });
        continue;
      }
      this.expire(e);
    }
  }

  private armScheduleTimer(): void {
    if (!this.started) return;
    const top = this.scheduled.peek();
    if (!top) return;
    // Wake at least once a minute, so a wall clock that jumps forward delays an activation by a minute at most.
    const now = this.clock.now();
    const at = Math.min(top.rec.scheduledAt ?? 0, now + 60_000);
    if (this.scheduleTimer && this.scheduleTimer.at <= at) return;
    this.scheduleTimer?.timer.cancel();
    this.scheduleTimer = { at, timer: this.clock.schedule(at - now, () => this.activateScheduled()).unref() };
  }

  private activateScheduled(): void {
    this.scheduleTimer = undefined;
    const now = this.clock.now();
    for (;;) {
      const top = this.scheduled.peek();
      if (!top || (top.rec.scheduledAt ?? 0) > now) break;
      this.scheduled.pop();
      if (top.queue.entries.get(top.rec.seq) !== top || top.rec.state !== MessageState.Scheduled) continue;
      top.rec.state = MessageState.Active;
      this.makeAvailable(top);
      const rec = { ...top.rec, raw: encodeMessage(top.msg) };
      this.committer.enqueue(() => this.store.update(rec));
    }
    this.armScheduleTimer();
  }

  // ---------------------------------------------------------------- $management reads

  peek(q: MessageQueue, fromSeq: number, count: number, sessionId?: string): Message[] {
    const picked: Entry[] = [];
    for (const e of q.entries.values())
      if (e.rec.seq >= fromSeq && (sessionId === undefined || sessionIdOf(e.msg) === sessionId)) picked.push(e);
    picked.sort((a, b) => a.rec.seq - b.rec.seq);
    return picked.slice(0, count).map((e) => this.stampFor(e, undefined));
  }

  /** Deferred messages by sequence number. Unknown or not-deferred numbers are an error, as on Azure. */
  receiveDeferred(
    q: MessageQueue,
    seqs: number[],
    mode: 'peekLock' | 'receiveAndDelete',
    done: (err: Error | undefined, out: Array<{ msg: Message; lockToken?: string }>) => void,
    sessionId?: string,
  ): void {
    let session: (SessionRec & { holder: NonNullable<SessionRec['holder']> }) | undefined;
    if (q.requiresSession) {
      try {
        session = this.heldSession(q, sessionId ?? '', undefined);
      } catch (e) {
        done(e as Error, []);
        return;
      }
    }
    const found: Entry[] = [];
    for (const s of seqs) {
      const e = q.entries.get(s);
      if (!e || e.rec.state !== MessageState.Deferred || (session && sessionIdOf(e.msg) !== session.id)) {
        done(
          new EngineError(
            'com.microsoft:message-not-found',
            `Failed to lock one or more specified messages. Either the message is not deferred or it doesn't exist (sequence number ${s}).`,
            404,
          ),
          [],
        );
        return;
      }
      if (e.lock && e.lock.until >= this.clock.now()) {
        done(
          new EngineError(
            'com.microsoft:message-lock-lost',
            `The message with sequence number ${s} is locked by another receiver.`,
            410,
          ),
          [],
        );
        return;
      }
      found.push(e);
    }
    const now = this.clock.now();
    if (mode === 'receiveAndDelete') {
      for (const e of found) q.entries.delete(e.rec.seq);
      this.committer.enqueue(
        () => {
          for (const e of found) this.store.remove(e.rec.entity, e.rec.seq);
        },
        (err) => done(err, err ? [] : found.map((e) => ({ msg: this.stampFor(e, undefined) }))),
      );
      return;
    }
    const out = found.map((e) => {
      const { token } = newLockTag();
      const lock: Lock = session
        ? { token, until: Number.POSITIVE_INFINITY, entry: e, consumer: session.holder.consumer, session }
        : { token, until: now + q.settings.lockDurationMs, entry: e, consumer: undefined };
      if (e.lock) this.locks.delete(e.lock.token);
      e.lock = lock;
      this.locks.set(token, lock);
      if (!session) this.wakeSweepAt(lock.until + 1);
      return { msg: this.stampFor(e, session ? session.holder.until : lock.until), lockToken: token };
    });
    done(undefined, out);
  }

  /** Move dead-lettered messages back to their entity as new messages (new sequence numbers). */
  resubmitDeadLetters(
    q: MessageQueue,
    seqs: number[] | 'all',
    done: (err: Error | undefined, count: number) => void,
  ): void {
    const dlq = q.dlq;
    if (!dlq) {
      done(undefined, 0);
      return;
    }
    const picked = [...dlq.entries.values()].filter((e) => !e.lock && (seqs === 'all' || seqs.includes(e.rec.seq)));
    const now = this.clock.now();
    const moved = picked.map((e) => {
      dlq.entries.delete(e.rec.seq);
      const ap = { ...((e.msg.application_properties as Record<string, unknown> | undefined) ?? {}) };
      delete ap.DeadLetterReason;
      delete ap.DeadLetterErrorDescription;
      const msg = { ...e.msg, application_properties: ap } as Message;
      const seq = ++this.lastSeq;
      const ttl = q.settings.defaultTtlMs;
      const fresh: Entry = {
        rec: {
          entity: q.path,
          seq,
          state: MessageState.Active,
          enqueuedAt: now,
          scheduledAt: null,
          expiresAt: ttl === null ? null : now + ttl,
          deliveryCount: 0,
          messageId: e.rec.messageId,
          dlSource: null,
          raw: encodeMessage(msg),
        },
        msg,
        queue: q,
        lock: null,
      };
      return { old: e, fresh };
    });
    const last = this.lastSeq;
    this.committer.enqueue(
      () => {
        for (const m of moved) {
          this.store.remove(m.old.rec.entity, m.old.rec.seq);
          this.store.insert(m.fresh.rec);
        }
        this.store.setLastSequence(last);
      },
      (err) => {
        if (!err) for (const m of moved) this.index(m.fresh);
        done(err, err ? 0 : moved.length);
      },
    );
  }
}

const EMPTY = Buffer.alloc(0);
/** Minimum clock time between two sweeps (the old fixed sweep interval). */
const SWEEP_SPACING_MS = 100;

/** The message's SessionId (AMQP group-id); '' is a valid session id. */
export function sessionIdOf(msg: Message): string | undefined {
  return typeof msg.group_id === 'string' ? msg.group_id : undefined;
}

function minTtl(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
