/**
 * The Azure Service Bus topology, generated from `infra/servicebus/Config.json` (the emulator's file, the one source of
 * truth). `infra/modules/servicebus.bicep` loads the generated `azure-topology.json` with loadJsonContent() and
 * passes each entity's properties through unchanged; test/infra/servicebus.test.ts regenerates it and fails when the
 * committed file differs (drift).
 *
 *   npx tsx scripts/servicebus-topology.ts          # rewrite azure-topology.json
 *   npx tsx scripts/servicebus-topology.ts --check  # exit 1 when it is stale
 *
 * Emulator-only properties are dropped (infra/servicebus/README.md "Emulator-only properties"): DefaultMessageTimeToLive
 * (the template leaves Azure's default) and DuplicateDetectionHistoryTimeWindow (the template sets its own, ≥ PT10M,
 * from a parameter). Empty ForwardTo / ForwardDeadLetteredMessagesTo mean "none" and are omitted. Any property this
 * generator does not know is an error, so a new Config.json property cannot silently miss Azure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const EMULATOR_ONLY_PROPERTIES = ['DefaultMessageTimeToLive', 'DuplicateDetectionHistoryTimeWindow'] as const;

/**
 * Azure-only values for subscriptions no function consumes (functions/router.ts consumes promotion, pipelines,
 * retraining, jobs and native). With Azure's default TTL (unbounded) their messages would pile up until the topic
 * reaches its size quota and every publish fails with QuotaExceeded; expiring them after 14 days without
 * dead-lettering bounds that. test/infra/servicebus.test.ts fails when a subscription has neither a consumer nor an
 * entry here.
 */
export const AZURE_UNCONSUMED_SUBSCRIPTIONS: Record<string, Props> = {
  'stagecraft-events/audit': { defaultMessageTimeToLive: 'P14D', deadLetteringOnMessageExpiration: false },
};

type Props = Record<string, unknown>;
interface EmuRule {
  Name: string;
  Properties: { FilterType: 'Correlation' | 'Sql'; CorrelationFilter?: Props; SqlFilter?: { SqlExpression: string } };
}
interface EmuSubscription {
  Name: string;
  Properties?: Props;
  Rules?: EmuRule[];
}
interface EmuTopic {
  Name: string;
  Properties?: Props;
  Subscriptions?: EmuSubscription[];
}
interface EmuQueue {
  Name: string;
  Properties?: Props;
}
interface EmuConfig {
  UserConfig: { Namespaces: Array<{ Name: string; Queues?: EmuQueue[]; Topics?: EmuTopic[] }> };
}

export interface AzureTopology {
  $comment: string;
  queues: Array<{ name: string; properties: Props }>;
  topics: Array<{ name: string; properties: Props }>;
  subscriptions: Array<{ topic: string; name: string; properties: Props }>;
  rules: Array<{ topic: string; subscription: string; name: string; properties: Props }>;
}

/** Emulator property → ARM property (Microsoft.ServiceBus 2024-01-01), per entity kind. */
const QUEUE_PROPS: Record<string, string> = {
  DeadLetteringOnMessageExpiration: 'deadLetteringOnMessageExpiration',
  ForwardDeadLetteredMessagesTo: 'forwardDeadLetteredMessagesTo',
  ForwardTo: 'forwardTo',
  LockDuration: 'lockDuration',
  MaxDeliveryCount: 'maxDeliveryCount',
  RequiresDuplicateDetection: 'requiresDuplicateDetection',
  RequiresSession: 'requiresSession',
};
const TOPIC_PROPS: Record<string, string> = { RequiresDuplicateDetection: 'requiresDuplicateDetection' };
const SUBSCRIPTION_PROPS: Record<string, string> = {
  DeadLetteringOnMessageExpiration: 'deadLetteringOnMessageExpiration',
  ForwardDeadLetteredMessagesTo: 'forwardDeadLetteredMessagesTo',
  ForwardTo: 'forwardTo',
  LockDuration: 'lockDuration',
  MaxDeliveryCount: 'maxDeliveryCount',
  RequiresSession: 'requiresSession',
};
/** Correlation filter fields: emulator name → ARM name. */
const CORRELATION_FIELDS: Record<string, string> = {
  ContentType: 'contentType',
  CorrelationId: 'correlationId',
  Label: 'label',
  MessageId: 'messageId',
  ReplyTo: 'replyTo',
  ReplyToSessionId: 'replyToSessionId',
  SessionId: 'sessionId',
  To: 'to',
  Properties: 'properties',
};

function mapProps(kind: string, name: string, props: Props | undefined, table: Record<string, string>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props ?? {})) {
    if ((EMULATOR_ONLY_PROPERTIES as readonly string[]).includes(k)) continue;
    const arm = table[k];
    if (arm === undefined)
      throw new Error(`${kind} ${name}: property ${k} has no Azure mapping in scripts/servicebus-topology.ts`);
    if (v === '' && (k === 'ForwardTo' || k === 'ForwardDeadLetteredMessagesTo')) continue;
    out[arm] = v;
  }
  return out;
}

function mapRule(path: string, r: EmuRule): Props {
  const p = r.Properties;
  if (p.FilterType === 'Correlation') {
    const filter: Props = {};
    for (const [k, v] of Object.entries(p.CorrelationFilter ?? {})) {
      const arm = CORRELATION_FIELDS[k];
      if (arm === undefined) throw new Error(`rule ${path}: correlation field ${k} has no Azure mapping`);
      filter[arm] = v;
    }
    return { filterType: 'CorrelationFilter', correlationFilter: filter };
  }
  if (p.FilterType === 'Sql') {
    if (!p.SqlFilter?.SqlExpression) throw new Error(`rule ${path}: Sql filter without SqlExpression`);
    return { filterType: 'SqlFilter', sqlFilter: { sqlExpression: p.SqlFilter.SqlExpression } };
  }
  throw new Error(`rule ${path}: unknown FilterType ${String((p as Props)['FilterType'])}`);
}

export function azureTopology(config: EmuConfig): AzureTopology {
  const namespaces = config.UserConfig.Namespaces;
  if (namespaces.length !== 1)
    throw new Error(`Config.json must declare exactly one namespace (has ${namespaces.length})`);
  const ns = namespaces[0]!;
  const t: AzureTopology = {
    $comment:
      'GENERATED from infra/servicebus/Config.json by scripts/servicebus-topology.ts; do not edit (test/infra/servicebus.test.ts checks it)',
    queues: [],
    topics: [],
    subscriptions: [],
    rules: [],
  };
  for (const q of ns.Queues ?? [])
    t.queues.push({ name: q.Name, properties: mapProps('queue', q.Name, q.Properties, QUEUE_PROPS) });
  for (const topic of ns.Topics ?? []) {
    t.topics.push({ name: topic.Name, properties: mapProps('topic', topic.Name, topic.Properties, TOPIC_PROPS) });
    for (const s of topic.Subscriptions ?? []) {
      const props = mapProps('subscription', `${topic.Name}/${s.Name}`, s.Properties, SUBSCRIPTION_PROPS);
      t.subscriptions.push({
        topic: topic.Name,
        name: s.Name,
        properties: { ...props, ...(AZURE_UNCONSUMED_SUBSCRIPTIONS[`${topic.Name}/${s.Name}`] ?? {}) },
      });
      for (const r of s.Rules ?? []) {
        t.rules.push({
          topic: topic.Name,
          subscription: s.Name,
          name: r.Name,
          properties: mapRule(`${topic.Name}/${s.Name}/${r.Name}`, r),
        });
      }
    }
  }
  return t;
}

const dir = join(__dirname, '..', 'infra', 'servicebus');
export const CONFIG_PATH = join(dir, 'Config.json');
export const TOPOLOGY_PATH = join(dir, 'azure-topology.json');

export function renderTopology(configText: string): string {
  return `${JSON.stringify(azureTopology(JSON.parse(configText) as EmuConfig), null, 2)}\n`;
}

if (require.main === module) {
  const text = renderTopology(readFileSync(CONFIG_PATH, 'utf8'));
  if (process.argv.includes('--check')) {
    if (readFileSync(TOPOLOGY_PATH, 'utf8') !== text) {
      console.error('infra/servicebus/azure-topology.json is stale: run npx tsx scripts/servicebus-topology.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(TOPOLOGY_PATH, text);
    console.log(`wrote ${TOPOLOGY_PATH}`);
  }
}
