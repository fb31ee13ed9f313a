/**
 * Host extension for Durable Functions: runs `orchestrationTrigger`, `activityTrigger` and `entityTrigger` functions
 * on the local engine, supplies `durableClient` / `orchestrationClient` inputs, and serves the durable HTTP API (which is also
 * the client's RPC endpoint) on the host port.
 *
 * Settings (host.json `extensions.durableTask`): `hubName` (default TestHubName), `maxConcurrentActivityFunctions`,
 * `maxConcurrentOrchestratorFunctions` (default 10 × CPU cores, as in Azure), `defaultVersion` / `versionMatchStrategy` /
 * `versionFailureStrategy` (orchestration versioning), `overridableExistingInstanceStates`,
 * `httpSettings.defaultAsyncRequestSleepTimeMilliseconds` (callHttp poll interval without Retry-After), and the local-only
 * `maximumShortTimerDuration` / `longRunningTimerIntervalDuration` TimeSpans (defaults 6 and 3 days, Azure Storage's).
 *
 * Invariant: `WEBSITE_HOSTNAME` is set to the host's address when unset, otherwise durable-functions rewrites every
 * management URL to http://localhost:7071 (durable-protocol.md §6.1).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { adminKeys, DURABLE_SYSTEM_KEY_NAME, ownOrigins, type AdminKeys } from '../host/admin-guard';
import { getHostSetting } from '../host/settings';
import type { HttpExtension } from '../http/extension';
import type { HostContext, HostExtension, RegisteredFunction } from '../host/types';
import { API_PREFIX, clientBinding, createApiHandler } from './api';
import { DurableEngine, type EngineStats } from './engine';
import { parseTimeSpan } from './replay';
import { SqliteStore } from './store';
import { VERSION_FAILURE_STRATEGIES, VERSION_MATCH_STRATEGIES, type VersioningOptions } from './versioning';

export const DEFAULT_HUB = 'TestHubName';
const DEFAULT_MAX_SHORT = '6.00:00:00';
const DEFAULT_LONG_INTERVAL = '3.00:00:00';

export interface DurableExtension extends HostExtension {
  /** The running engine (after init). */
  readonly engine: DurableEngine | undefined;
  getStats(): EngineStats | undefined;
}

let current: DurableExtension | undefined;

/** Engine counters of the durable extension in this process (for logs), or undefined when none runs. */
export function getDurableStats(): EngineStats | undefined {
  return current?.getStats();
}

function setting(host: HostContext, key: string): unknown {
  return getHostSetting(host.hostJson, `extensions.durableTask.${key}`);
}

function positiveInt(host: HostContext, key: string, fallback: number): number {
  const v = setting(host, key);
  if (v === undefined) return fallback;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new Error(
      `host.json extensions.durableTask.${key} must be a positive whole number (got ${JSON.stringify(v)})`,
    );
  return n;
}

function timeSpan(host: HostContext, key: string, fallback: string): { text: string; ms: number } {
  const v = setting(host, key);
  const text = typeof v === 'string' ? v : fallback;
  const ms = parseTimeSpan(text);
  if (ms === undefined || ms <= 0)
    throw new Error(
      `host.json extensions.durableTask.${key} must be a TimeSpan like "3.00:00:00" (got ${JSON.stringify(v)})`,
    );
  return { text, ms };
}

function oneOf<T extends string>(host: HostContext, key: string, allowed: readonly T[], fallback: T): T {
  const v = setting(host, key);
  if (v === undefined || v === null || v === '') return fallback;
  const match = typeof v === 'string' ? allowed.find((a) => a.toLowerCase() === v.toLowerCase()) : undefined;
  if (!match)
    throw new Error(
      `host.json extensions.durableTask.${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`,
    );
  return match;
}

/** Orchestration versioning settings (versioning.ts); undefined when no defaultVersion is set. */
function versioningOf(host: HostContext): VersioningOptions | undefined {
  const v = setting(host, 'defaultVersion');
  if (v !== undefined && v !== null && typeof v !== 'string')
    throw new Error(`host.json extensions.durableTask.defaultVersion must be a string (got ${JSON.stringify(v)})`);
  const matchStrategy = oneOf(host, 'versionMatchStrategy', VERSION_MATCH_STRATEGIES, 'CurrentOrOlder');
  const failureStrategy = oneOf(host, 'versionFailureStrategy', VERSION_FAILURE_STRATEGIES, 'Reject');
  return v ? { defaultVersion: v, matchStrategy, failureStrategy } : undefined;
}

export function hubNameOf(hostJson: Record<string, unknown>): string {
  const v = getHostSetting(hostJson, 'extensions.durableTask.hubName');
  return typeof v === 'string' && v.trim() ? v.trim() : DEFAULT_HUB;
}

export function hubDbPath(stateDir: string, hub: string): string {
  return join(stateDir, 'durable', `${hub}.db`);
}

export function createDurableExtension(): DurableExtension {
  let engine: DurableEngine | undefined;
  let store: SqliteStore | undefined;
  let host: HostContext | undefined;
  let keys: AdminKeys | undefined;
  const orchestrators = new Map<string, RegisteredFunction>();
  const activities = new Map<string, RegisteredFunction>();
  const entities = new Map<string, RegisteredFunction>();

  const ext: DurableExtension = {
    name: 'durable',
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    inputTypes: ['durableClient', 'orchestrationClient'],
    get engine() {
      return engine;
    },
    getStats: () => engine?.getStats(),
    validate(fn) {
      if (fn.trigger.type.toLowerCase() === 'entitytrigger' && !/^[^@]+$/.test(fn.name))
        return 'entity function names must not contain "@"';
      return undefined;
    },
    async init(ctx) {
      host = ctx;
      current = ext;
      const hub = hubNameOf(ctx.hostJson);
      if (!/^[A-Za-z][A-Za-z0-9]{2,49}$/.test(hub))
        throw new Error(
          `host.json extensions.durableTask.hubName "${hub}" is invalid: use 3-50 letters and digits, starting with a letter`,
        );
      const cores = availableParallelism();
      const maxOrch = positiveInt(ctx, 'maxConcurrentOrchestratorFunctions', 10 * cores);
      const maxAct = positiveInt(ctx, 'maxConcurrentActivityFunctions', 10 * cores);
      const maxShort = timeSpan(ctx, 'maximumShortTimerDuration', DEFAULT_MAX_SHORT);
      const longInterval = timeSpan(ctx, 'longRunningTimerIntervalDuration', DEFAULT_LONG_INTERVAL);
      const versioning = versioningOf(ctx);
      const pollMs = setting(ctx, 'httpSettings.defaultAsyncRequestSleepTimeMilliseconds');
      if (pollMs !== undefined && (typeof pollMs !== 'number' || !Number.isInteger(pollMs) || pollMs < 1))
        throw new Error(
          `host.json extensions.durableTask.httpSettings.defaultAsyncRequestSleepTimeMilliseconds must be a positive whole number (got ${JSON.stringify(pollMs)})`,
        );
      const overridable = oneOf(
        ctx,
        'overridableExistingInstanceStates',
        ['NonRunningStates', 'AnyState'] as const,
        'NonRunningStates',
      );
      for (const fn of ctx.functions) {
        const t = fn.trigger.type.toLowerCase();
        if (t === 'orchestrationtrigger') orchestrators.set(fn.name.toLowerCase(), fn);
        else if (t === 'activitytrigger') activities.set(fn.name.toLowerCase(), fn);
        else if (t === 'entitytrigger') entities.set(fn.name.toLowerCase(), fn);
      }
      if (!process.env['WEBSITE_HOSTNAME']) process.env['WEBSITE_HOSTNAME'] = new URL(ctx.baseUrl).host;
      store = new SqliteStore(hubDbPath(ctx.stateDir, hub));
      const log = ctx.logger.child({ hub });
      engine = new DurableEngine({
        store,
        hubName: hub,
        logger: log,
        clock: ctx.clock,
        maxConcurrentOrchestrators: maxOrch,
        maxConcurrentActivities: maxAct,
        maxShortTimerMs: maxShort.ms,
        longTimerIntervalMs: longInterval.ms,
        maxShortTimerSpan: maxShort.text,
        longTimerIntervalSpan: longInterval.text,
        ...(versioning ? { versioning } : {}),
        overridableExistingInstanceStates: overridable,
        ...(typeof pollMs === 'number' ? { httpPollDefaultMs: pollMs } : {}),
        resolveOrchestrator: (name) => orchestrators.get(name.toLowerCase())?.name,
        resolveActivity: (name) => activities.get(name.toLowerCase())?.name,
        invokeOrchestrator: async (name, payload, instanceId) => {
          const fn = orchestrators.get(name.toLowerCase());
          if (!fn)
            throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function`);
          return (await ctx.invoke(fn, payload, { logFields: { instanceId } })).returnValue;
        },
        invokeActivity: async (name, input, instanceId) => {
          const fn = activities.get(name.toLowerCase());
          if (!fn) throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an activity function`);
          const traceContext = instanceTraceContext(store, instanceId);
          return (
            await ctx.invoke(fn, input, {
              triggerMetadata: { instanceId, name },
              logFields: { instanceId },
              ...(traceContext ? { traceContext } : {}),
            })
          ).returnValue;
        },
        resolveEntity: (name) => entities.get(name.toLowerCase())?.name,
        invokeEntity: async (name, payload, entityId) => {
          const fn = entities.get(name.toLowerCase());
          if (!fn) throw new Error(`No entity function named '${name}' is registered`);
          return (await ctx.invoke(fn, payload, { logFields: { entityId } })).returnValue;
        },
      });
      keys = adminKeys(ctx.stateDir, ctx.settings);
      let origins: Set<string> | undefined;
      const handle = createApiHandler({
        engine,
        store,
        hubName: hub,
        keys,
        ownOrigins: () =>
          (origins ??= ownOrigins(Number(new URL(ctx.baseUrl).port), new URL(ctx.baseUrl).hostname, ctx.settings)),
        parity: ctx.parity === true,
        logger: log,
        baseUrl: () => ctx.baseUrl,
        resolveOrchestrator: (n) => orchestrators.get(n.toLowerCase())?.name,
        resolveEntity: (n) => entities.get(n.toLowerCase())?.name,
      });
      ctx.addSystemRoute({ prefix: API_PREFIX, handle });
      log.log('information', 'Durable task hub opened', {
        db: store.path,
        maxConcurrentOrchestratorFunctions: maxOrch,
        maxConcurrentActivityFunctions: maxAct,
      });
    },
    async start(ctx) {
      engine?.start();
      if (keys && !ctx.getExtension<HttpExtension>('http')?.keys) {
        // The HTTP extension prints the keys when an app function needs one; otherwise the durable API's key is here.
        process.stdout.write(
          `  master key:           ${keys.masterKey}\n  (the Durable HTTP API needs it: x-functions-key header or ?code=; stored in ${ctx.stateDir}/keys.json; override with DEVHOST_MASTER_KEY)\n`,
        );
      }
    },
    resolveInput() {
      if (!host || !keys) throw new Error('The durable extension is not initialised');
      return clientBinding(host.baseUrl, hubNameOf(host.hostJson), keys.systemKeys[DURABLE_SYSTEM_KEY_NAME]!);
    },
    describe(fn) {
      return `${fn.name}: ${fn.trigger.type}`;
    },
    async stop(deadlineMs) {
      await engine?.stop(deadlineMs);
      store?.close();
      store = undefined;
      if (current === ext) current = undefined;
    },
  };
  return ext;
}

/**
 * Trace context of an activity (what Durable distributed tracing gives activities in Azure): the `trace.traceparent`
 * field the app put in the instance input when it started it (functions/router.ts), else the nearest parent
 * orchestration's. Read-only; an input without it gives none.
 */
function instanceTraceContext(store: SqliteStore | undefined, instanceId: string): { traceParent: string } | undefined {
  let id: string | undefined = instanceId;
  for (let depth = 0; store && id && depth < 8; depth++) {
    const row = store.getInstance(id);
    if (!row) return undefined;
    try {
      const input = row.input ? (JSON.parse(row.input) as { trace?: { traceparent?: unknown } } | null) : null;
      const tp = input?.trace?.traceparent;
      if (typeof tp === 'string' && /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(tp)) return { traceParent: tp };
    } catch {
      return undefined;
    }
    id = row.parent?.instanceId;
  }
  return undefined;
}
