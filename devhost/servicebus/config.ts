/**
 * Entity configuration: Microsoft emulator-shaped Config.json (`{"UserConfig":{"Namespaces":[...]}}`) parsed with zod,
 * durations in ISO-8601, compiled rules. Everything the broker needs to know about an entity is here.
 *
 * Deliberate differences from Microsoft's emulator (documented, because tests and local dev rely on them):
 * - Ranges are not clamped (a 1 s lock duration is allowed so lock-expiry tests run fast).
 * - Defaults follow the cloud: MaxDeliveryCount 10, no default TTL (never expires) unless configured.
 * - ForwardTo / ForwardDeadLetteredMessagesTo are refused at start (not implemented).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  compileSqlAction,
  compileSqlFilter,
  SqlFilterError,
  type CompiledAction,
  type CompiledFilter,
} from './sql-filter';
import { compileCorrelationFilter } from './correlation-filter';

export class ServiceBusConfigError extends Error {
  readonly code = 'SERVICEBUS_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ServiceBusConfigError';
  }
}

const duration = z.string().describe('ISO-8601 duration, e.g. PT1M');

const queueProps = z
  .object({
    LockDuration: duration.optional(),
    MaxDeliveryCount: z.number().int().min(1).max(2000).optional(),
    DefaultMessageTimeToLive: duration.optional(),
    DuplicateDetectionHistoryTimeWindow: duration.optional(),
    RequiresDuplicateDetection: z.boolean().optional(),
    RequiresSession: z.boolean().optional(),
    DeadLetteringOnMessageExpiration: z.boolean().optional(),
    ForwardTo: z.string().optional(),
    ForwardDeadLetteredMessagesTo: z.string().optional(),
  })
  .loose();

const correlationFilter = z
  .object({
    ContentType: z.string().optional(),
    CorrelationId: z.string().optional(),
    Label: z.string().optional(),
    MessageId: z.string().optional(),
    ReplyTo: z.string().optional(),
    ReplyToSessionId: z.string().optional(),
    SessionId: z.string().optional(),
    To: z.string().optional(),
    Properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .strict();

const rule = z
  .object({
    Name: z.string().min(1),
    Properties: z
      .object({
        FilterType: z.enum(['Correlation', 'Sql']),
        CorrelationFilter: correlationFilter.optional(),
        SqlFilter: z.object({ SqlExpression: z.string() }).optional(),
        Action: z.object({ SqlExpression: z.string() }).optional(),
      })
      .loose(),
  })
  .loose();

const subscription = z
  .object({ Name: z.string().min(1), Properties: queueProps.optional(), Rules: z.array(rule).optional() })
  .loose();
const topic = z
  .object({
    Name: z.string().min(1),
    Properties: z
      .object({
        DefaultMessageTimeToLive: duration.optional(),
        DuplicateDetectionHistoryTimeWindow: duration.optional(),
        RequiresDuplicateDetection: z.boolean().optional(),
      })
      .loose()
      .optional(),
    Subscriptions: z.array(subscription).optional(),
  })
  .loose();
const queue = z.object({ Name: z.string().min(1), Properties: queueProps.optional() }).loose();

export const configFileSchema = z.object({
  UserConfig: z
    .object({
      Namespaces: z.array(
        z
          .object({ Name: z.string().optional(), Queues: z.array(queue).optional(), Topics: z.array(topic).optional() })
          .loose(),
      ),
      Logging: z.unknown().optional(),
    })
    .loose(),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

export interface QueueSettings {
  lockDurationMs: number;
  maxDeliveryCount: number;
  /** null = never expires. */
  defaultTtlMs: number | null;
  deadLetterOnExpiration: boolean;
  /** Messages need a SessionId and are received through session receivers (acceptSession / acceptNextSession). */
  requiresSession: boolean;
}

export interface RuleDef {
  name: string;
  filter: CompiledFilter;
  /** Original text, for listings and error messages. */
  text: string;
  /** SQL rule action: each matching rule with an action yields its own copy of the message (with RuleName). */
  action?: CompiledAction;
  actionText?: string;
}

export interface SubscriptionDef {
  name: string;
  settings: QueueSettings;
  rules: RuleDef[];
}

export interface DedupSettings {
  enabled: boolean;
  windowMs: number;
}

export interface QueueDef {
  kind: 'queue';
  name: string;
  settings: QueueSettings;
  dedup: DedupSettings;
}

export interface TopicDef {
  kind: 'topic';
  name: string;
  dedup: DedupSettings;
  defaultTtlMs: number | null;
  subscriptions: SubscriptionDef[];
}

export interface EntitiesConfig {
  queues: QueueDef[];
  topics: TopicDef[];
}

const DEFAULTS = { lockDurationMs: 60_000, maxDeliveryCount: 10, dupWindowMs: 10 * 60_000 };

/** Parse an ISO-8601 duration (PnDTnHnMn.nS, also PnW); throws naming `where` on bad input. */
export function parseDuration(text: string, where: string): number {
  // TimeSpan.MaxValue as written by Azure tooling means "never".
  if (/^P10675199DT2H48M5\.477/.test(text)) return Number.POSITIVE_INFINITY;
  const m =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text,
    );
  if (!m || text === 'P' || text.endsWith('T')) {
    throw new ServiceBusConfigError(`${where}: "${text}" is not an ISO-8601 duration (example: PT1M, PT30S, P1D)`);
  }
  const [, w, d, h, mi, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return Math.round(((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (mi ?? 0)) * 60_000 + (s ?? 0) * 1000);
}

function ttl(text: string | undefined, where: string): number | null {
  if (text === undefined) return null;
  const ms = parseDuration(text, where);
  return Number.isFinite(ms) ? ms : null;
}

function queueSettings(p: z.infer<typeof queueProps> | undefined, where: string): QueueSettings {
  if (p?.ForwardTo || p?.ForwardDeadLetteredMessagesTo) {
    throw new ServiceBusConfigError(
      `${where}: ForwardTo / ForwardDeadLetteredMessagesTo are not supported by the local Service Bus emulator`,
    );
  }
  return {
    lockDurationMs: p?.LockDuration ? parseDuration(p.LockDuration, `${where}.LockDuration`) : DEFAULTS.lockDurationMs,
    maxDeliveryCount: p?.MaxDeliveryCount ?? DEFAULTS.maxDeliveryCount,
    defaultTtlMs: ttl(p?.DefaultMessageTimeToLive, `${where}.DefaultMessageTimeToLive`),
    deadLetterOnExpiration: p?.DeadLetteringOnMessageExpiration ?? false,
    requiresSession: p?.RequiresSession ?? false,
  };
}

function dedup(
  p:
    | { RequiresDuplicateDetection?: boolean | undefined; DuplicateDetectionHistoryTimeWindow?: string | undefined }
    | undefined,
  where: string,
): DedupSettings {
  return {
    enabled: p?.RequiresDuplicateDetection ?? false,
    windowMs: p?.DuplicateDetectionHistoryTimeWindow
      ? parseDuration(p.DuplicateDetectionHistoryTimeWindow, `${where}.DuplicateDetectionHistoryTimeWindow`)
      : DEFAULTS.dupWindowMs,
  };
}

function compileRule(r: z.infer<typeof rule>, where: string): RuleDef {
  const at = `${where}.Rules[${r.Name}]`;
  const actionText = r.Properties.Action?.SqlExpression.trim() ? r.Properties.Action.SqlExpression : undefined;
  let action: CompiledAction | undefined;
  if (actionText !== undefined) {
    try {
      action = compileSqlAction(actionText);
    } catch (e) {
      if (e instanceof SqlFilterError)
        throw new ServiceBusConfigError(`${at}: cannot apply SQL action "${actionText}": ${e.message}`);
      throw e;
    }
  }
  const withAction = (def: RuleDef): RuleDef => (action ? { ...def, action, actionText } : def);
  if (r.Properties.FilterType === 'Sql') {
    const text = r.Properties.SqlFilter?.SqlExpression;
    if (text === undefined) throw new ServiceBusConfigError(`${at}: FilterType Sql needs SqlFilter.SqlExpression`);
    try {
      return withAction({ name: r.Name, filter: compileSqlFilter(text), text });
    } catch (e) {
      if (e instanceof SqlFilterError)
        throw new ServiceBusConfigError(`${at}: cannot evaluate SQL filter "${text}": ${e.message}`);
      throw e;
    }
  }
  const cf = r.Properties.CorrelationFilter;
  if (!cf) throw new ServiceBusConfigError(`${at}: FilterType Correlation needs CorrelationFilter`);
  return withAction({ name: r.Name, filter: compileCorrelationFilter(cf), text: JSON.stringify(cf) });
}

/** Validate and compile a Config.json object. Names are case-insensitive (as on Azure) and must be unique. */
export function compileConfig(raw: unknown, source = 'Config.json'): EntitiesConfig {
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServiceBusConfigError(`${source}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  const out: EntitiesConfig = { queues: [], topics: [] };
  const seen = new Set<string>();
  const claim = (name: string, where: string): void => {
    if (name.includes('/') || name.includes('$'))
      throw new ServiceBusConfigError(`${where}: entity name "${name}" may not contain '/' or '$'`);
    const key = name.toLowerCase();
    if (seen.has(key)) throw new ServiceBusConfigError(`${where}: entity "${name}" is defined twice`);
    seen.add(key);
  };
  for (const [ni, ns] of parsed.data.UserConfig.Namespaces.entries()) {
    for (const q of ns.Queues ?? []) {
      const where = `${source}: Namespaces[${ni}].Queues[${q.Name}]`;
      claim(q.Name, where);
      out.queues.push({
        kind: 'queue',
        name: q.Name,
        settings: queueSettings(q.Properties, where),
        dedup: dedup(q.Properties, where),
      });
    }
    for (const t of ns.Topics ?? []) {
      const where = `${source}: Namespaces[${ni}].Topics[${t.Name}]`;
      claim(t.Name, where);
      const subNames = new Set<string>();
      const subscriptions = (t.Subscriptions ?? []).map((s) => {
        const sw = `${where}.Subscriptions[${s.Name}]`;
        if (subNames.has(s.Name.toLowerCase())) throw new ServiceBusConfigError(`${sw}: subscription defined twice`);
        subNames.add(s.Name.toLowerCase());
        const settings = queueSettings(s.Properties, sw);
        if (settings.defaultTtlMs === null)
          settings.defaultTtlMs = ttl(t.Properties?.DefaultMessageTimeToLive, `${where}.DefaultMessageTimeToLive`);
        return { name: s.Name, settings, rules: (s.Rules ?? []).map((r) => compileRule(r, sw)) };
      });
      out.topics.push({
        kind: 'topic',
        name: t.Name,
        dedup: dedup(t.Properties, where),
        defaultTtlMs: ttl(t.Properties?.DefaultMessageTimeToLive, `${where}.DefaultMessageTimeToLive`),
        subscriptions,
      });
    }
  }
  return out;
}

export function loadConfigFile(path: string): EntitiesConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ServiceBusConfigError(`${path}: cannot read Service Bus emulator config: ${(e as Error).message}`);
  }
  return compileConfig(raw, path);
}

/** Settings of a queue (`name`) or subscription (`topic/Subscriptions/sub`), case-insensitively. */
export function entitySettings(cfg: EntitiesConfig, path: string): QueueSettings | undefined {
  const [topic, , sub] = path.split('/');
  if (sub === undefined) return cfg.queues.find((q) => q.name.toLowerCase() === path.toLowerCase())?.settings;
  return cfg.topics
    .find((t) => t.name.toLowerCase() === topic?.toLowerCase())
    ?.subscriptions.find((s) => s.name.toLowerCase() === sub.toLowerCase())?.settings;
}

export function defaultQueueSettings(): QueueSettings {
  return {
    lockDurationMs: DEFAULTS.lockDurationMs,
    maxDeliveryCount: DEFAULTS.maxDeliveryCount,
    defaultTtlMs: null,
    deadLetterOnExpiration: false,
    requiresSession: false,
  };
}

/**
 * Add entities named by bindings when the config does not define them: a queue, or a topic with a subscription
 * (match-all rule); session-enabled when a trigger on it has isSessionsEnabled. Existing definitions win.
 */
export function addImplicitEntities(
  cfg: EntitiesConfig,
  wanted: { queues: string[]; topics: Array<{ topic: string; subscription?: string }>; sessionEntities?: string[] },
): EntitiesConfig {
  const sessions = new Set((wanted.sessionEntities ?? []).map((p) => p.toLowerCase()));
  const settingsFor = (path: string): QueueSettings => ({
    ...defaultQueueSettings(),
    requiresSession: sessions.has(path.toLowerCase()),
  });
  const has = (n: string): boolean =>
    cfg.queues.some((q) => q.name.toLowerCase() === n.toLowerCase()) ||
    cfg.topics.some((t) => t.name.toLowerCase() === n.toLowerCase());
  for (const q of wanted.queues) {
    if (!has(q))
      cfg.queues.push({
        kind: 'queue',
        name: q,
        settings: settingsFor(q),
        dedup: { enabled: false, windowMs: DEFAULTS.dupWindowMs },
      });
  }
  for (const w of wanted.topics) {
    let t = cfg.topics.find((x) => x.name.toLowerCase() === w.topic.toLowerCase());
    if (!t) {
      if (has(w.topic))
        throw new ServiceBusConfigError(`"${w.topic}" is configured as a queue but a binding uses it as a topic`);
      t = {
        kind: 'topic',
        name: w.topic,
        dedup: { enabled: false, windowMs: DEFAULTS.dupWindowMs },
        defaultTtlMs: null,
        subscriptions: [],
      };
      cfg.topics.push(t);
    }
    const sub = w.subscription;
    if (sub && !t.subscriptions.some((s) => s.name.toLowerCase() === sub.toLowerCase())) {
      t.subscriptions.push({ name: sub, settings: settingsFor(`${w.topic}/Subscriptions/${sub}`), rules: [] });
    }
  }
  return cfg;
}
