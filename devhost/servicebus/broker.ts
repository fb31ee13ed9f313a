/**
 * ServiceBusEmulator: the AMQP 1.0 face of the engine, speaking the Service Bus dialect @azure/service-bus uses
 * (SASL ANONYMOUS/PLAIN, $cbs put-token, entity links, $management request/response). The put-token check lives in
 * `cbs.ts`, the $management operations (one handler each) in `management.ts`.
 *
 * Surprises handled here (see /work/shared/reference/servicebus-amqp.md):
 * - rhea decrements link credit only when a transfer is written, so we count our not-yet-written deliveries
 *   ourselves; overrunning credit on one link would stall every link of the session (rhea sends in order).
 * - Settlements are answered with a settled `accepted` state on success (echoing `rejected` makes the SDK throw)
 *   and with `rejected{com.microsoft:message-lock-lost}` when the lock is gone.
 * - `modified` must not be turned into `released` (treat_modified_as_released: false): it carries abandon/defer.
 * - Drain: after delivering what is available we call set_drained(true), otherwise the SDK's receiveMessages
 *   waits and then closes the link.
 */
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  create_container,
  types,
  type Connection,
  type Container,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import { encodeMessage, reorderGuid, splitTransfer, toLong, uuidString } from './amqp-util';
import { compileConfig, type EntitiesConfig } from './config';
import {
  DLQ_SUFFIX,
  Engine,
  EngineError,
  type Consumer,
  type MessageQueue,
  type Outcome,
  type SessionRec,
} from './engine';
import { SqliteMessageStore, type MessageStore } from './store';
import { entityPathOf, putToken } from './cbs';
import { handleManagement, managementRequest } from './management';
import { systemClock, type Clock } from '../lib/clock';
import {
  acceptedState,
  coalesceWrites,
  internals,
  linksOf,
  rejectedState,
  socketOf,
  type AttachFrame,
} from './rhea-internals';

export const DEFAULT_SAS_KEY_NAME = 'RootManageSharedAccessKey';
export const DEFAULT_SAS_KEY = 'SAS_KEY_VALUE';
/** Advertised on ATTACH; the SDK sizes batches by it (Standard tier: 256 KB). */
export const MAX_MESSAGE_SIZE = 256 * 1024;
/** Deliveries per session rhea keeps until settled (its default is 2048). */
const SESSION_BUFFER = 8192;

export interface BrokerLogger {
  log(level: 'debug' | 'information' | 'warning' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface EmulatorStartOptions {
  host?: string;
  /** 0 = pick a free port. */
  port?: number;
  dbPath: string;
  config?: EntitiesConfig;
  sasKeyName?: string;
  sasKey?: string;
  logger?: BrokerLogger;
  /**
   * Time for locks, session locks, scheduled messages, TTL and duplicate detection (default: the system clock).
   * SAS token expiry stays on wall-clock time: clients sign tokens with their own clock. So do the waits that
   * mirror client-side timeouts (acceptNextSession's com.microsoft:timeout, the grace before an expired lock's
   * delivery is settled locally).
   */
  clock?: Clock;
}

type LinkRole =
  | { kind: 'cbs-in' }
  | { kind: 'mgmt-in'; entityPath: string }
  | { kind: 'reply' }
  | { kind: 'send'; entityPath: string }
  | { kind: 'consume'; consumer: LinkConsumer };

interface ConnState {
  /** Authorized audience paths (lower case, no host) → expiry (ms). */
  authorized: Map<string, number>;
  replyLinks: Map<string, Sender>;
}

/** A client receiver link (our sender) as an engine consumer. */
class LinkConsumer implements Consumer {
  session: SessionRec | undefined;
  private pending: number[] = [];
  private head = 0;
  private reserved = 0;
  constructor(
    readonly sender: Sender,
    readonly mode: 'peekLock' | 'receiveAndDelete',
    readonly queue: MessageQueue,
  ) {}

  private unsent(): number {
    // Session-wide delivery ids are written in order; everything below next_pending_delivery is on the wire.
    const out = internals(this.sender).session.outgoing;
    while (this.head < this.pending.length && (this.pending[this.head] as number) < out.next_pending_delivery)
      this.head++;
    if (this.head > 1024) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    return this.pending.length - this.head;
  }

  credit(): number {
    if (!this.sender.is_open()) return 0;
    const link = internals(this.sender);
    // Unsettled deliveries occupy the session's fixed-size outgoing buffer (rhea throws when it overflows).
    return Math.min(
      link.credit - this.unsent() - this.reserved,
      link.session.outgoing.deliveries.available() - this.reserved,
    );
  }

  reserve(delta: number): void {
    this.reserved += delta;
  }

  deliver(msg: Message, tag: Buffer | undefined): unknown {
    if (!this.sender.is_open()) return undefined;
    const d = tag ? this.sender.send(msg, tag) : this.sender.send(msg);
    this.pending.push(d.id);
    return d;
  }

  /**
   * The lock of a delivery expired. Azure sends nothing, and a late complete must still get MessageLockLost, so
   * the delivery stays unsettled for a grace period; after it we settle locally so it stops occupying the
   * session's delivery buffer (a never-settled delivery at its head would eventually stall the session).
   */
  lockExpired(handle: unknown): void {
    const d = handle as Delivery & { settled?: boolean };
    if (!d) return;
    setTimeout(() => {
      if (d.settled || !this.sender.is_open()) return;
      d.update(true, rejectedState('com.microsoft:message-lock-lost', 'The lock expired.'));
      forget(d);
    }, LOCK_GRACE_MS).unref();
  }

  /** The session lock expired: Azure detaches the session receiver with session-lock-lost. */
  sessionLost(): void {
    const id = this.session?.id ?? '';
    if (this.sender.is_open())
      this.sender.close({
        condition: 'com.microsoft:session-lock-lost',
        description: `The session lock has expired on the session with id ${id}.`,
      });
  }
}

/**
 * Once we settled a delivery we no longer care about the peer's settlement; rhea only frees a delivery's slot
 * in the session buffer when both sides settled, and the SDK does not always send a settled disposition back.
 */
function forget(d: object): void {
  (d as { remote_settled?: boolean }).remote_settled = true;
}

const LOCK_GRACE_MS = 60_000;
const SESSION_FILTER = 'com.microsoft:session-filter';
/** acceptNextSession without a com.microsoft:timeout link property waits this long (Azure's default is about 1 min). */
const DEFAULT_ACCEPT_TIMEOUT_MS = 60_000;

/** .NET DateTime ticks (100 ns since 0001-01-01) as an AMQP long, the encoding of com.microsoft:locked-until-utc. */
function dotnetTicks(ms: number): unknown {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(Math.floor(ms)) * 10_000n + 621_355_968_000_000_000n);
  return types.wrap_long(b);
}

/** `<db>.owner.json`: pid and port of the broker process that has the store open. */
export function ownerFile(dbPath: string): string {
  return `${dbPath}.owner.json`;
}

export class ServiceBusEmulator {
  private container: Container | undefined;
  private server: { close(cb?: () => void): void; address(): AddressInfo | string | null } | undefined;
  private store: MessageStore | undefined;
  private engine: Engine | undefined;
  private readonly conns = new Map<Connection, ConnState>();
  private readonly roles = new WeakMap<object, LinkRole>();
  /** Session receivers whose ATTACH we hold back (acceptNextSession waiting): how to send it. */
  private readonly heldAttach = new WeakMap<object, () => void>();
  private keyName = DEFAULT_SAS_KEY_NAME;
  private key = DEFAULT_SAS_KEY;
  private log: BrokerLogger = { log: () => undefined };
  private hostLabel = 'localhost';
  private dbPath: string | undefined;
  private clock: Clock = systemClock;
  port = 0;

  async start(opts: EmulatorStartOptions): Promise<{ port: number; connectionString: string }> {
    if (this.container) throw new Error('emulator already started');
    this.keyName = opts.sasKeyName ?? DEFAULT_SAS_KEY_NAME;
    this.key = opts.sasKey ?? DEFAULT_SAS_KEY;
    if (opts.logger) this.log = opts.logger;
    const config = opts.config ?? compileConfig({ UserConfig: { Namespaces: [{ Name: 'sbemulatorns' }] } });
    this.store = new SqliteMessageStore(opts.dbPath);
    this.clock = opts.clock ?? systemClock;
    this.engine = new Engine(
      this.store,
      config,
      { warn: (m, f) => this.log.log('warning', m, f) },
      { clock: this.clock },
    );
    this.engine.start();

    const container = create_container({
      id: 'devhost-servicebus',
      autoaccept: false,
      autosettle: false,
      treat_modified_as_released: false,
    });
    (
      container.sasl_server_mechanisms as { enable_anonymous(): void; enable_plain(cb: () => boolean): void }
    ).enable_anonymous();
    (container.sasl_server_mechanisms as { enable_plain(cb: () => boolean): void }).enable_plain(() => true);
    this.container = container;
    this.wire(container);

    const host = opts.host ?? '127.0.0.1';
    const server = container.listen({
      host,
      port: opts.port ?? 0,
      session_buffer_size: SESSION_BUFFER,
    } as never) as unknown as {
      close(cb?: () => void): void;
      address(): AddressInfo | string | null;
      once(ev: string, cb: (e?: Error) => void): void;
    };
    this.server = server;
    // Nagle + delayed ACK adds ~40 ms to every request/response round trip on loopback.
    (server as unknown as { on(ev: 'connection', cb: (sock: { setNoDelay(v: boolean): void }) => void): void }).on(
      'connection',
      (sock) => sock.setNoDelay(true),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('listening', () => resolve());
        server.once('error', (e) => reject(e ?? new Error('listen failed')));
      });
    } catch (e) {
      // e.g. EADDRINUSE: release the store so the caller can report and exit cleanly.
      this.engine.close();
      this.store.close();
      this.engine = undefined;
      this.store = undefined;
      this.container = undefined;
      this.server = undefined;
      throw e;
    }
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    this.hostLabel = 'localhost';
    this.dbPath = opts.dbPath;
    // Lets `devhost servicebus` know a live broker owns this store (it then refuses offline writes).
    writeFileSync(ownerFile(opts.dbPath), JSON.stringify({ pid: process.pid, port: this.port, host }));
    this.log.log('information', 'servicebus emulator listening', { host, port: this.port, db: opts.dbPath });
    return { port: this.port, connectionString: this.connectionString() };
  }

  /** Receivers attached to a queue or subscription with credit now (diagnostics; tests wait on it). */
  readyReceivers(path: string): number {
    return this.engine?.readyReceivers(path) ?? 0;
  }

  connectionString(host = 'localhost'): string {
    return `Endpoint=sb://${host}:${this.port};SharedAccessKeyName=${this.keyName};SharedAccessKey=${this.key};UseDevelopmentEmulator=true`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.conns.keys()) {
      try {
        c.close();
      } catch {
        // already gone
      }
    }
    await new Promise<void>((resolve) => {
      if (!server) return resolve();
      const t = setTimeout(resolve, 1000);
      server.close(() => {
        clearTimeout(t);
        resolve();
      });
      for (const c of this.conns.keys()) socketOf(c)?.destroy();
    });
    this.conns.clear();
    if (this.dbPath) rmSync(ownerFile(this.dbPath), { force: true });
    this.engine?.close();
    this.store?.close();
    this.engine = undefined;
    this.store = undefined;
    this.container = undefined;
  }

  // ------------------------------------------------------------------ wiring

  private wire(c: Container): void {
    c.on('connection_open', (ctx: EventContext) => {
      coalesceWrites(ctx.connection);
      this.conns.set(ctx.connection, { authorized: new Map(), replyLinks: new Map() });
    });
    const dropConn = (ctx: EventContext): void => {
      this.conns.delete(ctx.connection);
    };
    c.on('connection_close', (ctx: EventContext) => {
      this.dropConsumersOf(ctx.connection);
      dropConn(ctx);
    });
    c.on('disconnected', (ctx: EventContext) => {
      this.dropConsumersOf(ctx.connection);
      dropConn(ctx);
    });
    c.on('connection_error', () => undefined);
    c.on('protocol_error', () => undefined);
    c.on('error', (e: unknown) =>
      this.log.log('debug', 'amqp error', { error: e instanceof Error ? e.message : String(e) }),
    );

    c.on('receiver_open', (ctx: EventContext) => this.onClientSender(ctx.receiver as Receiver, ctx.connection));
    c.on('sender_open', (ctx: EventContext) => this.onClientReceiver(ctx.sender as Sender, ctx.connection));
    c.on('message', (ctx: EventContext) => this.onMessage(ctx));
    c.on('sendable', (ctx: EventContext) => this.onSendable(ctx.sender as Sender));
    c.on('sender_draining', (ctx: EventContext) => {
      const s = ctx.sender as Sender;
      const role = this.roles.get(s);
      if (role?.kind === 'consume') this.engine?.dispatch(role.consumer.queue);
      s.set_drained(true);
    });
    const linkGone = (ctx: EventContext): void => {
      const link = (ctx.sender ?? ctx.receiver) as object | undefined;
      if (!link) return;
      const role = this.roles.get(link);
      if (role?.kind === 'consume') this.engine?.removeConsumer(role.consumer.queue, role.consumer);
      // The client gave up waiting: our DETACH must follow an ATTACH for the link.
      this.heldAttach.get(link)?.();
    };
    c.on('sender_close', linkGone);
    c.on('sender_error', linkGone);
    for (const ev of ['accepted', 'rejected', 'modified', 'released'] as const) {
      c.on(ev, (ctx: EventContext) => this.onDisposition(ev, ctx));
    }
  }

  private dropConsumersOf(conn: Connection): void {
    const engine = this.engine;
    if (!engine) return;
    // Links of a closed connection no longer report credit (is_open() false); remove them from their queues.
    for (const link of linksOf(conn)) {
      const role = this.roles.get(link);
      if (role?.kind === 'consume') engine.removeConsumer(role.consumer.queue, role.consumer);
    }
  }

  private state(conn: Connection): ConnState {
    let s = this.conns.get(conn);
    if (!s) {
      s = { authorized: new Map(), replyLinks: new Map() };
      this.conns.set(conn, s);
    }
    return s;
  }

  private isAuthorized(conn: Connection, path: string): boolean {
    const now = Date.now();
    for (const [aud, exp] of this.state(conn).authorized) {
      if (exp < now) continue;
      if (aud === '' || path === aud || path.startsWith(aud + '/')) return true;
    }
    return false;
  }

  private refuse(link: Sender | Receiver, condition: string, description: string): void {
    link.close({ condition, description });
  }

  private notFound(path: string): string {
    return `The messaging entity 'sb://${this.hostLabel}/${path}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`;
  }

  /** The client attached a sender: $cbs, a $management request link, or an entity to send to. */
  private onClientSender(r: Receiver, conn: Connection): void {
    const target = internals(r).remote.attach?.target;
    const path = entityPathOf(target?.address);
    r.set_target((target ?? {}) as never);
    internals(r).local.attach.max_message_size = MAX_MESSAGE_SIZE;
    if (path === '$cbs') {
      this.roles.set(r, { kind: 'cbs-in' });
      return;
    }
    if (path.endsWith('/$management')) {
      const entityPath = path.slice(0, -'/$management'.length);
      if (!this.entityExists(entityPath)) return this.refuse(r, 'amqp:not-found', this.notFound(entityPath));
      if (!this.isAuthorized(conn, path) && !this.isAuthorized(conn, entityPath))
        return this.refuse(
          r,
          'amqp:unauthorized-access',
          `Unauthorized access. A valid put-token for '${path}' is required.`,
        );
      this.roles.set(r, { kind: 'mgmt-in', entityPath });
      return;
    }
    const engine = this.engine as Engine;
    if (!engine.sendTarget(path)) {
      if (engine.receiveQueue(path))
        return this.refuse(
          r,
          'amqp:not-allowed',
          `Cannot send to '${path}': send to the queue or topic, not to a subscription or dead-letter queue.`,
        );
      return this.refuse(r, 'amqp:not-found', this.notFound(path));
    }
    if (!this.isAuthorized(conn, path))
      return this.refuse(
        r,
        'amqp:unauthorized-access',
        `Unauthorized access. A valid put-token for '${path}' is required.`,
      );
    this.roles.set(r, { kind: 'send', entityPath: path });
  }

  private entityExists(path: string): boolean {
    const engine = this.engine as Engine;
    return Boolean(engine.sendTarget(path) ?? engine.receiveQueue(path));
  }

  /** The client attached a receiver: a reply link ($cbs/$management) or an entity to receive from. */
  private onClientReceiver(s: Sender, conn: Connection): void {
    const attach = internals(s).remote.attach;
    const source = attach?.source;
    const path = entityPathOf(source?.address);
    const filter = source?.filter;
    const sessionKey = filter ? Object.keys(filter).find((k) => k.toLowerCase() === SESSION_FILTER) : undefined;
    s.set_source((source ?? {}) as never);
    if (path === '$cbs' || path.endsWith('/$management')) {
      const st = this.state(conn);
      if (attach?.name) st.replyLinks.set(attach.name, s);
      if (attach?.target?.address) st.replyLinks.set(attach.target.address, s);
      this.roles.set(s, { kind: 'reply' });
      return;
    }
    const queue = this.engine?.receiveQueue(path);
    if (!queue) return this.refuse(s, 'amqp:not-found', this.notFound(path));
    if (!this.isAuthorized(conn, path))
      return this.refuse(
        s,
        'amqp:unauthorized-access',
        `Unauthorized access. A valid put-token for '${path}' is required.`,
      );
    const rad = attach?.snd_settle_mode === 1;
    const local = internals(s).local.attach;
    local.snd_settle_mode = rad ? 1 : 0;
    local.rcv_settle_mode = attach?.rcv_settle_mode ?? 0;
    local.max_message_size = MAX_MESSAGE_SIZE;
    const consumer = new LinkConsumer(s, rad ? 'receiveAndDelete' : 'peekLock', queue);
    this.roles.set(s, { kind: 'consume', consumer });
    const engine = this.engine as Engine;
    if (sessionKey === undefined) {
      if (queue.requiresSession) {
        return this.refuse(
          s,
          'amqp:not-allowed',
          `It is not possible for an entity that requires sessions to create a non-sessionful message receiver: '${queue.displayPath}' has RequiresSession; use acceptSession or acceptNextSession.`,
        );
      }
      engine.addConsumer(queue, consumer);
      return;
    }
    this.attachSession(s, queue, consumer, source ?? {}, sessionKey, attach);
  }

  /**
   * A session receiver: answer the attach with the locked session's id in the source filter and its lock expiry in
   * `com.microsoft:locked-until-utc` (.NET ticks). acceptNextSession waits (up to the client's com.microsoft:timeout)
   * for a session with messages, holding back our ATTACH; without one it answers com.microsoft:timeout as Azure does.
   */
  private attachSession(
    s: Sender,
    queue: MessageQueue,
    consumer: LinkConsumer,
    source: Record<string, unknown>,
    sessionKey: string,
    attach: AttachFrame | undefined,
  ): void {
    const engine = this.engine as Engine;
    const filter = (source.filter ?? {}) as Record<string, unknown>;
    const requested = filter[sessionKey];
    const linkName = attach?.name ?? '';
    // Built from the address only: the decoded source carries the client's filter in more than one shape.
    const withoutFilter = (): void => s.set_source({ address: source.address } as never);
    if (!queue.requiresSession) {
      withoutFilter();
      return this.refuse(
        s,
        'amqp:not-allowed',
        `'${queue.displayPath}' does not require sessions (RequiresSession is off), so it cannot be received from with a session receiver; use createReceiver.`,
      );
    }
    const grant = (session: SessionRec): void => {
      s.set_source({ address: source.address, filter: { [sessionKey]: session.id } } as never);
      const local = internals(s).local.attach;
      local.properties = {
        ...(local.properties ?? {}),
        'com.microsoft:locked-until-utc': dotnetTicks(session.holder?.until ?? this.clock.now()),
      };
    };
    if (typeof requested === 'string') {
      const got = engine.acceptSession(queue, requested, consumer, linkName);
      if (got === 'locked') {
        withoutFilter();
        return this.refuse(
          s,
          'com.microsoft:session-cannot-be-locked',
          `The requested session '${requested}' cannot be accepted. It may be locked by another receiver.`,
        );
      }
      grant(got);
      return;
    }
    // Next available session: hold our ATTACH until one is granted or the client's timeout passes.
    const state = internals(s).state;
    state.open_requests = 0;
    const release = (): void => {
      if (!this.heldAttach.delete(s)) return;
      state.open_requests = 1;
      internals(s).connection._register();
    };
    this.heldAttach.set(s, release);
    const timeoutMs =
      toLong((attach?.properties as Record<string, unknown> | undefined)?.['com.microsoft:timeout']) ??
      DEFAULT_ACCEPT_TIMEOUT_MS;
    const wait: { timer?: NodeJS.Timeout } = {};
    const got = engine.acceptNextSession(queue, {
      consumer,
      linkName,
      accepted: (session) => {
        clearTimeout(wait.timer);
        grant(session);
        release();
      },
    });
    if (got) {
      grant(got);
      release();
      return;
    }
    wait.timer = setTimeout(
      () => {
        engine.removeConsumer(queue, consumer);
        if (s.is_closed()) return;
        withoutFilter();
        release();
        s.close({
          condition: 'com.microsoft:timeout',
          description: `No unlocked session with messages became available on '${queue.displayPath}' within ${timeoutMs} ms.`,
        });
      },
      Math.max(0, timeoutMs),
    );
    wait.timer.unref();
  }

  private onSendable(s: Sender): void {
    const role = this.roles.get(s);
    if (role?.kind === 'consume') this.engine?.requestDispatch(role.consumer.queue);
  }

  private onMessage(ctx: EventContext): void {
    const r = ctx.receiver as Receiver;
    const delivery = ctx.delivery as Delivery & { format?: number };
    const role = this.roles.get(r);
    if (!role) {
      delivery.reject({ condition: 'amqp:not-allowed', description: 'link is not attached to an entity' });
      return;
    }
    if (role.kind === 'cbs-in') return this.onCbs(ctx.connection, ctx.message as Message, delivery);
    if (role.kind === 'mgmt-in')
      return this.onManagement(ctx.connection, role.entityPath, ctx.message as Message, delivery);
    if (role.kind !== 'send') return;
    const engine = this.engine as Engine;
    const target = engine.sendTarget(role.entityPath);
    if (!target) {
      delivery.reject({ condition: 'amqp:not-found', description: this.notFound(role.entityPath) });
      return;
    }
    let items;
    try {
      items = splitTransfer(ctx.message, delivery.format);
    } catch (e) {
      delivery.reject({
        condition: 'amqp:decode-error',
        description: `cannot decode message: ${(e as Error).message}`,
      });
      return;
    }
    // Azure (Standard tier, and Microsoft's emulator) refuses a transfer larger than the advertised maximum;
    // the SDK maps this condition to ServiceBusError code MessageSizeExceeded.
    const size = Buffer.isBuffer(ctx.message)
      ? ctx.message.length
      : items.reduce((n, it) => n + (it.raw ??= encodeMessage(it.msg)).length, 0);
    if (size > MAX_MESSAGE_SIZE) {
      delivery.reject({
        condition: 'amqp:link:message-size-exceeded',
        description: `The received message (delivery-id:${String(delivery.id)}, size:${size} bytes) exceeds the limit (${MAX_MESSAGE_SIZE} bytes) currently allowed on the link.`,
      });
      return;
    }
    engine.send(target, items, (err) => {
      if (err instanceof EngineError) delivery.reject({ condition: err.condition, description: err.message });
      else if (err) delivery.reject({ condition: 'amqp:internal-error', description: `store failed: ${err.message}` });
      else delivery.accept();
    });
  }

  // ------------------------------------------------------------------ dispositions

  private onDisposition(ev: 'accepted' | 'rejected' | 'modified' | 'released', ctx: EventContext): void {
    const s = ctx.sender;
    const d = ctx.delivery as
      | (Delivery & { tag?: Buffer; remote_state?: Record<string, unknown>; _sbDone?: boolean; settled?: boolean })
      | undefined;
    if (!s || !d) return;
    const role = this.roles.get(s);
    if (role?.kind !== 'consume' || role.consumer.mode !== 'peekLock') return;
    if (d._sbDone || d.settled) return;
    d._sbDone = true;
    const tag = d.tag;
    if (!Buffer.isBuffer(tag) || tag.length !== 16) return;
    const token = uuidString(reorderGuid(tag));
    const st = d.remote_state ?? {};
    let outcome: Outcome;
    if (ev === 'accepted') outcome = { kind: 'complete' };
    else if (ev === 'modified') {
      const props = st.message_annotations as Record<string, unknown> | undefined;
      outcome = st.undeliverable_here
        ? { kind: 'defer', ...(props ? { properties: props } : {}) }
        : { kind: 'abandon', ...(props ? { properties: props } : {}) };
    } else if (ev === 'released') outcome = { kind: 'abandon' };
    else {
      const error = (st.error ?? {}) as { condition?: string; description?: string; info?: Record<string, unknown> };
      const info = { ...(error.info ?? {}) };
      const reason = info.DeadLetterReason;
      const description = info.DeadLetterErrorDescription;
      delete info.DeadLetterReason;
      delete info.DeadLetterErrorDescription;
      outcome = {
        kind: 'deadletter',
        ...(typeof reason === 'string' ? { reason } : {}),
        ...(typeof description === 'string' ? { description } : {}),
        properties: info,
      };
    }
    (this.engine as Engine).settle(token, outcome, (err) => {
      if (err) {
        const cond = err instanceof EngineError ? err.condition : 'amqp:internal-error';
        d.update(true, rejectedState(cond, err.message));
      } else {
        d.update(true, acceptedState());
      }
      forget(d);
    });
  }

  // ------------------------------------------------------------------ $cbs

  private reply(conn: Connection, request: Message, props: Record<string, unknown>, body: unknown): void {
    const replyTo = request.reply_to;
    const link = replyTo ? this.state(conn).replyLinks.get(replyTo) : undefined;
    if (!link || !link.is_open()) return;
    link.send({ to: replyTo, correlation_id: request.message_id, application_properties: props, body });
  }

  private onCbs(conn: Connection, request: Message, delivery: Delivery): void {
    delivery.accept();
    const r = putToken(request, { keyName: this.keyName, key: this.key });
    if (r.refused) this.log.log('warning', 'servicebus: put-token refused', { ...r.refused });
    if (r.grant) this.state(conn).authorized.set(r.grant.path, r.grant.expiresAt);
    this.reply(conn, request, { 'status-code': r.status, 'status-description': r.description }, undefined);
  }

  // ------------------------------------------------------------------ $management

  private onManagement(conn: Connection, entityPath: string, request: Message, delivery: Delivery): void {
    delivery.accept();
    handleManagement({
      engine: this.engine as Engine,
      entityPath,
      ...managementRequest(request),
      now: () => this.clock.now(),
      ok: (payload, code = 200) =>
        this.reply(conn, request, { statusCode: code, statusDescription: code === 204 ? 'No Content' : 'OK' }, payload),
      fail: (code, condition, description) =>
        this.reply(
          conn,
          request,
          { statusCode: code, statusDescription: description, errorCondition: condition },
          undefined,
        ),
      notFound: (path) => this.notFound(path),
    });
  }
}

export { DLQ_SUFFIX };
export { RESUBMIT_OPERATION } from './management';
