/**
 * Service Bus triggers (`app.serviceBusQueue` / `app.serviceBusTopic`) and outputs (`output.serviceBusQueue` /
 * `output.serviceBusTopic`) for the local host, through the real @azure/service-bus SDK, so the same code path
 * works against the embedded emulator and against a real namespace.
 *
 * - init: every connection setting a binding names whose value has `UseDevelopmentEmulator=true` gets the
 *   embedded broker on its endpoint port (default 5672), data under `<stateDir>/servicebus/`, entities from
 *   the emulator Config.json (setting `ServiceBusEmulatorConfig`, else `<appDir>/infra/servicebus/Config.json`)
 *   plus the queues/topics/subscriptions the bindings name. `DEVHOST_SERVICEBUS_EMBEDDED=false` skips it
 *   (e.g. when Microsoft's Docker emulator already listens there).
 * - start: one SDK receiver per trigger; peek-lock; complete on success (autoCompleteMessages), abandon on error.
 *   Session triggers (isSessionsEnabled) run maxConcurrentSessions loops; each accepts the next session and handles
 *   its messages one at a time, in order, until the session stays idle for sessionIdleTimeout.
 * - stop: close receivers, wait for in-flight handlers (bounded by the deadline), close clients and brokers.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { hostSetting } from '../host/setting-names';
import type {
  ServiceBusClient,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSender,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';
import {
  HostError,
  type BindingInfo,
  type HostContext,
  type HostExtension,
  type HostLogger,
  type RegisteredFunction,
} from '../host/types';
import type { Clock } from '../lib/clock';
import { ServiceBusEmulator } from './broker';
import { addImplicitEntities, compileConfig, entitySettings, loadConfigFile, type EntitiesConfig } from './config';
import { parseConnectionString, triggerSettings, type TriggerSettings } from './host-settings';
import { batchMetadata, messageMetadata, outputBody, triggerBody } from './trigger-input';

export interface ServiceBusExtension extends HostExtension {
  /** Embedded brokers started by this extension (port → connection string), for tests and listings. */
  emulators(): Array<{ port: number; connectionString: string; dbPath: string }>;
}

const DEFAULT_CONNECTION = 'AzureWebJobsServiceBus';

interface EntityRef {
  queue?: string;
  topic?: string;
  subscription?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function connectionName(b: BindingInfo): string {
  return str(b['connection']) ?? DEFAULT_CONNECTION;
}

function entityOf(b: BindingInfo, host: HostContext): EntityRef {
  const r = (k: string): string | undefined => {
    const v = str(b[k]);
    return v === undefined ? undefined : host.resolveSetting(v);
  };
  const queue = r('queueName');
  const topic = r('topicName');
  const subscription = r('subscriptionName');
  return { ...(queue ? { queue } : {}), ...(topic ? { topic } : {}), ...(subscription ? { subscription } : {}) };
}

function describeEntity(e: EntityRef): string {
  return e.queue
    ? `queue '${e.queue}'`
    : `topic '${e.topic ?? '?'}'${e.subscription ? ` subscription '${e.subscription}'` : ''}`;
}

function sessionsEnabled(b: BindingInfo): boolean {
  return b['isSessionsEnabled'] === true || b['isSessionsEnabled'] === 'true';
}

function isTrigger(fn: RegisteredFunction): boolean {
  return fn.trigger.type.toLowerCase() === 'servicebustrigger';
}

function serviceBusBindings(fn: RegisteredFunction): BindingInfo[] {
  const out: BindingInfo[] = [];
  if (isTrigger(fn)) out.push(fn.trigger);
  for (const b of [...fn.outputs, ...(fn.returnBinding ? [fn.returnBinding] : [])])
    if (b.type.toLowerCase() === 'servicebus') out.push(b);
  return out;
}

/** Handler runner for one trigger. */
class TriggerRunner {
  private receiver: ServiceBusReceiver | undefined;
  private subscription: { close(): Promise<void> } | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;
  private batchLoop: Promise<void> | undefined;
  private readonly sessionLoops: Array<Promise<void>> = [];
  private readonly sessionReceivers = new Set<ServiceBusSessionReceiver>();
  private readonly abort = new AbortController();

  constructor(
    private readonly fn: RegisteredFunction,
    private readonly host: HostContext,
    private readonly client: ServiceBusClient,
    private readonly entity: EntityRef,
    private readonly settings: TriggerSettings,
    private readonly log: HostLogger,
  ) {}

  start(): void {
    // Raw bodies: triggerBody converts the wire bytes as the Functions host and the Node library do.
    const opts = {
      receiveMode: 'peekLock' as const,
      maxAutoLockRenewalDurationInMs: this.settings.maxAutoLockRenewalDurationMs,
      skipParsingBodyAsJson: true,
    };
    if (sessionsEnabled(this.fn.trigger)) {
      for (let i = 0; i < this.settings.maxConcurrentSessions; i++) this.sessionLoops.push(this.runSessions());
      return;
    }
    this.receiver = this.entity.queue
      ? this.client.createReceiver(this.entity.queue, opts)
      : this.client.createReceiver(this.entity.topic ?? '', this.entity.subscription ?? '', opts);
    if (str(this.fn.trigger['cardinality'])?.toLowerCase() === 'many') {
      this.batchLoop = this.runBatches(this.receiver);
      return;
    }
    this.subscription = this.receiver.subscribe(
      {
        processMessage: async (m) => this.track(this.handleOne(m)),
        processError: async (args) => {
          if (!this.stopped)
            this.log.log('warning', `Service Bus receiver error: ${args.error.message}`, {
              entity: describeEntity(this.entity),
              source: args.errorSource,
            });
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: this.settings.maxConcurrentCalls },
    );
  }

  private async track(p: Promise<void>): Promise<void> {
    this.inflight.add(p);
    try {
      await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private async handleOne(
    m: ServiceBusReceivedMessage,
    receiver: ServiceBusReceiver = this.receiver as ServiceBusReceiver,
  ): Promise<void> {
    try {
      await this.host.invoke(this.fn, triggerBody(m, this.fn.trigger['dataType']), {
        triggerMetadata: messageMetadata(m),
        logFields: { messageId: m.messageId, deliveryCount: m.deliveryCount },
      });
    } catch {
      // The host already logged the failure; abandon so the message is retried (dead-lettered at maxDeliveryCount).
      await this.settle(() => receiver.abandonMessage(m), m, 'abandon');
      return;
    }
    if (this.settings.autoCompleteMessages) await this.settle(() => receiver.completeMessage(m), m, 'complete');
  }

  private async settle(op: () => Promise<void>, m: ServiceBusReceivedMessage, what: string): Promise<void> {
    try {
      await op();
    } catch (e) {
      this.log.log(
        'warning',
        `Service Bus ${what} failed (the message will be delivered again): ${(e as Error).message}`,
        { messageId: m.messageId },
      );
    }
  }

  /**
   * One session at a time: accept the next session with messages, handle its messages in order (one invocation at
   * a time, or batches for cardinality many), release it after sessionIdleTimeout without messages.
   */
  private async runSessions(): Promise<void> {
    const many = str(this.fn.trigger['cardinality'])?.toLowerCase() === 'many';
    const opts = {
      receiveMode: 'peekLock' as const,
      maxAutoLockRenewalDurationInMs: this.settings.maxAutoLockRenewalDurationMs,
      skipParsingBodyAsJson: true,
      abortSignal: this.abort.signal,
    };
    while (!this.stopped) {
      let r: ServiceBusSessionReceiver;
      try {
        r = this.entity.queue
          ? await this.client.acceptNextSession(this.entity.queue, opts)
          : await this.client.acceptNextSession(this.entity.topic ?? '', this.entity.subscription ?? '', opts);
      } catch (e) {
        if (this.stopped) return;
        // No session with messages within the accept timeout: try again (as the Functions host does).
        if ((e as { code?: string }).code === 'ServiceTimeout') continue;
        this.log.log('warning', `Service Bus accept session failed: ${(e as Error).message}`, {
          entity: describeEntity(this.entity),
        });
        await new Promise((res) => setTimeout(res, 1000));
        continue;
      }
      this.sessionReceivers.add(r);
      try {
        while (!this.stopped) {
          const msgs = await r.receiveMessages(many ? this.settings.maxMessageBatchSize : 1, {
            maxWaitTimeInMs: this.settings.sessionIdleTimeoutMs,
          });
          if (msgs.length === 0) break;
          if (many) await this.track(this.handleBatch(msgs, r));
          else for (const m of msgs) await this.track(this.handleOne(m, r));
        }
      } catch (e) {
        if (!this.stopped)
          this.log.log('warning', `Service Bus session '${r.sessionId}' receive failed: ${(e as Error).message}`, {
            entity: describeEntity(this.entity),
          });
      } finally {
        this.sessionReceivers.delete(r);
        await r.close().catch(() => undefined);
      }
    }
  }

  private async handleBatch(msgs: ServiceBusReceivedMessage[], receiver: ServiceBusReceiver): Promise<void> {
    try {
      await this.host.invoke(
        this.fn,
        msgs.map((m) => triggerBody(m, this.fn.trigger['dataType'])),
        { triggerMetadata: batchMetadata(msgs), logFields: { messages: msgs.length } },
      );
    } catch {
      await Promise.all(msgs.map((m) => this.settle(() => receiver.abandonMessage(m), m, 'abandon')));
      return;
    }
    if (this.settings.autoCompleteMessages)
      await Promise.all(msgs.map((m) => this.settle(() => receiver.completeMessage(m), m, 'complete')));
  }

  private async runBatches(receiver: ServiceBusReceiver): Promise<void> {
    while (!this.stopped) {
      let msgs: ServiceBusReceivedMessage[];
      try {
        msgs = await receiver.receiveMessages(this.settings.maxMessageBatchSize, { maxWaitTimeInMs: 1000 });
      } catch (e) {
        if (this.stopped) return;
        this.log.log('warning', `Service Bus batch receive failed: ${(e as Error).message}`, {
          entity: describeEntity(this.entity),
        });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (msgs.length === 0) continue;
      await this.track(this.handleBatch(msgs, receiver));
    }
  }

  async stop(deadline: number): Promise<void> {
    this.stopped = true;
    // Stop taking new messages but keep the link so in-flight handlers can still complete/abandon theirs.
    await this.subscription?.close().catch(() => undefined);
    this.abort.abort();
    const rest = Math.max(0, deadline - Date.now());
    const wait = Promise.all([...this.inflight, ...(this.batchLoop ? [this.batchLoop] : [])]);
    await Promise.race([wait, new Promise((r) => setTimeout(r, rest).unref())]);
    await this.receiver?.close().catch(() => undefined);
    // Session loops wait in receiveMessages up to sessionIdleTimeout: closing their receivers ends them now. A loop
    // waiting in acceptNextSession (the SDK does not abort that wait) ends when the client closes; it has no work.
    await Promise.all([...this.sessionReceivers].map((r) => r.close().catch(() => undefined)));
  }
}

export interface ServiceBusExtensionOptions {
  /** The embedded brokers' clock (locks, scheduled messages, TTL, duplicate detection); default the system clock. */
  clock?: Clock;
}

export function createServiceBusExtension(options: ServiceBusExtensionOptions = {}): ServiceBusExtension {
  const emulators = new Map<number, { emulator: ServiceBusEmulator; connectionString: string; dbPath: string }>();
  const clients = new Map<string, ServiceBusClient>();
  const senders = new Map<string, Promise<ServiceBusSender>>();
  const runners: TriggerRunner[] = [];

  const clientFor = async (name: string, host: HostContext): Promise<ServiceBusClient> => {
    let c = clients.get(name);
    if (c) return c;
    // Loaded on first use so apps without Service Bus bindings do not pay for the SDK at start-up.
    const { ServiceBusClient } = await import('@azure/service-bus');
    const cs = host.settings[name];
    if (cs) {
      c = new ServiceBusClient(cs);
    } else {
      const fqns = host.settings[`${name}__fullyQualifiedNamespace`];
      if (!fqns) {
        throw new HostError(
          'SERVICEBUS_CONNECTION_MISSING',
          `Service Bus connection setting '${name}' is not set (local.settings.json Values or environment). Locally use 'Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;'.`,
          { setting: name },
        );
      }
      // Identity-based connection, as on Azure: <name>__fullyQualifiedNamespace with DefaultAzureCredential.
      // Loaded only when used: @azure/identity is heavy and most local runs use connection strings.
      const { DefaultAzureCredential } = await import('@azure/identity');
      c = new ServiceBusClient(fqns, new DefaultAzureCredential());
    }
    clients.set(name, c);
    return c;
  };

  return {
    name: 'servicebus',
    triggerTypes: ['serviceBusTrigger'],
    // Azure ignores function-level retry for Service Bus: redelivery up to maxDeliveryCount is the retry.
    retryPolicies: 'ignored',
    outputTypes: ['serviceBus'],

    emulators: () =>
      [...emulators.entries()].map(([port, e]) => ({ port, connectionString: e.connectionString, dbPath: e.dbPath })),

    validate(fn, host) {
      for (const b of serviceBusBindings(fn)) {
        let e: EntityRef;
        try {
          e = entityOf(b, host);
        } catch (err) {
          return (err as Error).message;
        }
        const isTrig = b === fn.trigger;
        if (!e.queue && !e.topic) return `Service Bus ${isTrig ? 'trigger' : 'output'} needs queueName or topicName`;
        if (isTrig && e.topic && !e.subscription)
          return `Service Bus topic trigger on '${e.topic}' needs subscriptionName`;
      }
      return undefined;
    },

    async init(host) {
      if ((hostSetting(host.settings, 'SERVICEBUS_EMBEDDED') ?? '').toLowerCase() === 'false') return;
      // Emulator connections by port, with the entities their bindings name.
      const byPort = new Map<
        number,
        {
          cs: string;
          settings: string[];
          wanted: {
            queues: string[];
            topics: Array<{ topic: string; subscription?: string }>;
            sessionEntities: string[];
          };
          triggers: Array<{ fn: string; path: string; sessions: boolean }>;
        }
      >();
      for (const fn of host.functions) {
        for (const b of serviceBusBindings(fn)) {
          const name = connectionName(b);
          const cs = host.settings[name];
          if (!cs) continue;
          const parsed = parseConnectionString(cs);
          if (!parsed.emulator) continue;
          const port = parsed.port ?? 5672;
          const slot = byPort.get(port) ?? {
            cs,
            settings: [],
            wanted: { queues: [], topics: [], sessionEntities: [] },
            triggers: [],
          };
          if (!slot.settings.includes(name)) slot.settings.push(name);
          const e = entityOf(b, host);
          if (e.queue) slot.wanted.queues.push(e.queue);
          if (e.topic)
            slot.wanted.topics.push({ topic: e.topic, ...(e.subscription ? { subscription: e.subscription } : {}) });
          if (b === fn.trigger) {
            const path = e.queue ?? `${e.topic ?? ''}/Subscriptions/${e.subscription ?? ''}`;
            slot.triggers.push({ fn: fn.name, path, sessions: sessionsEnabled(b) });
            if (sessionsEnabled(b)) slot.wanted.sessionEntities.push(path);
          }
          byPort.set(port, slot);
        }
      }
      if (byPort.size === 0) return;
      const configPath =
        host.settings['ServiceBusEmulatorConfig'] ?? join(host.appDir, 'infra', 'servicebus', 'Config.json');
      const base: EntitiesConfig =
        host.settings['ServiceBusEmulatorConfig'] || existsSync(configPath)
          ? loadConfigFile(configPath)
          : compileConfig({ UserConfig: { Namespaces: [{ Name: 'sbemulatorns' }] } });
      for (const [port, slot] of byPort) {
        const config = addImplicitEntities(structuredCloneConfig(base), slot.wanted);
        for (const t of slot.triggers) {
          // Azure fails such a trigger at run time; say so at start, naming both sides.
          const requiresSession = entitySettings(config, t.path)?.requiresSession ?? false;
          if (requiresSession !== t.sessions) {
            throw new HostError(
              'SERVICEBUS_SESSION_MISMATCH',
              t.sessions
                ? `Function '${t.fn}' has isSessionsEnabled but '${t.path}' does not require sessions: set "RequiresSession": true on it in the emulator Config.json, or remove isSessionsEnabled.`
                : `'${t.path}' requires sessions (RequiresSession in the emulator Config.json), so function '${t.fn}' needs isSessionsEnabled: true on its trigger.`,
              { function: t.fn, entity: t.path },
            );
          }
        }
        const parsed = parseConnectionString(slot.cs);
        const dbPath = join(host.stateDir, 'servicebus', `servicebus-${port}.sqlite`);
        const emulator = new ServiceBusEmulator();
        const log = host.logger.child({ component: 'servicebus' });
        try {
          await emulator.start({
            host: '127.0.0.1',
            port,
            dbPath,
            config,
            ...(parsed.keyName ? { sasKeyName: parsed.keyName } : {}),
            ...(parsed.key ? { sasKey: parsed.key } : {}),
            logger: { log: (level, message, fields) => log.log(level, message, fields) },
            // The host's clock (a test clock with DEVHOST_TEST_CLOCK), unless the extension was given its own.
            clock: options.clock ?? host.clock,
          });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') {
            throw new HostError(
              'SERVICEBUS_PORT_IN_USE',
              `Port ${port} (from ${slot.settings.join(', ')}) is in use, so the embedded Service Bus emulator cannot start. Stop what listens there, change the port in the connection string's Endpoint (sb://localhost:<port>), or set DEVHOST_SERVICEBUS_EMBEDDED=false to use an emulator you run yourself.`,
              { port },
            );
          }
          throw e;
        }
        emulators.set(port, { emulator, connectionString: slot.cs, dbPath });
        const entities = config.queues.length + config.topics.reduce((n, t) => n + t.subscriptions.length, 0);
        log.log('information', `Service Bus emulator listening on 127.0.0.1:${port}`, {
          settings: slot.settings.join(','),
          entities,
          db: dbPath,
        });
      }
    },

    async start(host) {
      const settings = triggerSettings(host.hostJson, cpus().length);
      for (const fn of host.functions) {
        if (!isTrigger(fn)) continue;
        const entity = entityOf(fn.trigger, host);
        const runner = new TriggerRunner(
          fn,
          host,
          await clientFor(connectionName(fn.trigger), host),
          entity,
          settings,
          host.logger.child({ function: fn.name, trigger: 'serviceBus' }),
        );
        runner.start();
        runners.push(runner);
      }
    },

    async handleOutput(binding, value, _fn, host) {
      if (value === undefined || value === null) return;
      const e = entityOf(binding, host);
      const entity = e.queue ?? e.topic ?? '';
      const conn = connectionName(binding);
      const key = `${conn}\n${entity.toLowerCase()}`;
      let pending = senders.get(key);
      if (!pending) {
        pending = clientFor(conn, host).then((c) => c.createSender(entity));
        senders.set(key, pending);
      }
      const sender = await pending;
      const items = Array.isArray(value) ? (value as unknown[]) : [value];
      if (items.length === 0) return;
      await sender.sendMessages(items.map((item) => ({ body: outputBody(item) })));
    },

    describe(fn, host) {
      const e = entityOf(fn.trigger, host);
      return `${fn.name}: serviceBusTrigger (${describeEntity(e)}${sessionsEnabled(fn.trigger) ? ', sessions' : ''}, connection ${connectionName(fn.trigger)})`;
    },

    async stop(deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      await Promise.all(runners.map((r) => r.stop(deadline)));
      runners.length = 0;
      await Promise.all([...senders.values()].map((p) => p.then((s) => s.close()).catch(() => undefined)));
      senders.clear();
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      clients.clear();
      for (const e of emulators.values()) await e.emulator.stop();
      emulators.clear();
    },
  };
}

/** Copy a compiled config (rules hold functions, so no structuredClone). */
function structuredCloneConfig(c: EntitiesConfig): EntitiesConfig {
  return {
    queues: c.queues.map((q) => ({ ...q, settings: { ...q.settings }, dedup: { ...q.dedup } })),
    topics: c.topics.map((t) => ({
      ...t,
      dedup: { ...t.dedup },
      subscriptions: t.subscriptions.map((s) => ({ ...s, settings: { ...s.settings }, rules: [...s.rules] })),
    })),
  };
}
