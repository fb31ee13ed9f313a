/**
 * Issue #18: the Azure Service Bus topology is generated from infra/servicebus/Config.json (one source of truth).
 * The committed infra/servicebus/azure-topology.json must equal what the generator makes of Config.json (drift test),
 * must describe the same entities as Config.json minus the emulator-only properties, and modules/servicebus.bicep
 * must load it and pass every entity through unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AZURE_UNCONSUMED_SUBSCRIPTIONS,
  CONFIG_PATH,
  EMULATOR_ONLY_PROPERTIES,
  TOPOLOGY_PATH,
  azureTopology,
  renderTopology,
  type AzureTopology,
} from '../../scripts/servicebus-topology';
import { REPO_ROOT } from '../helpers/host';
import { decl, infraFile, objectEntries } from './bicep';

type Json = Record<string, unknown>;
const configText = readFileSync(CONFIG_PATH, 'utf8');
const config = JSON.parse(configText) as { UserConfig: { Namespaces: Array<{ Queues: Json[]; Topics: Json[] }> } };
const ns = config.UserConfig.Namespaces[0]!;
const committed = JSON.parse(readFileSync(TOPOLOGY_PATH, 'utf8')) as AzureTopology;
const bicep = infraFile('modules/servicebus.bicep');

const lowerFirst = (k: string) => k[0]!.toLowerCase() + k.slice(1);

describe('infra: Service Bus topology from Config.json', () => {
  it('the committed azure-topology.json is what the generator makes of Config.json (run npx tsx scripts/servicebus-topology.ts)', () => {
    expect(readFileSync(TOPOLOGY_PATH, 'utf8')).toBe(renderTopology(configText));
  });

  it('has the same queues, topics, subscriptions and rules as Config.json, with the same property values', () => {
    const topics = ns.Topics as Array<{
      Name: string;
      Properties: Json;
      Subscriptions: Array<{ Name: string; Properties: Json; Rules?: Array<{ Name: string; Properties: Json }> }>;
    }>;
    expect(committed.queues.map((q) => q.name)).toEqual((ns.Queues as Array<{ Name: string }>).map((q) => q.Name));
    expect(committed.topics.map((t) => t.name)).toEqual(topics.map((t) => t.Name));
    expect(committed.subscriptions.map((s) => `${s.topic}/${s.name}`)).toEqual(
      topics.flatMap((t) => t.Subscriptions.map((s) => `${t.Name}/${s.Name}`)),
    );
    expect(committed.rules.map((r) => `${r.topic}/${r.subscription}/${r.name}`)).toEqual(
      topics.flatMap((t) =>
        t.Subscriptions.flatMap((s) => (s.Rules ?? []).map((r) => `${t.Name}/${s.Name}/${r.Name}`)),
      ),
    );
    // Every property value carried over (ARM names are the emulator names with a lower-case first letter).
    const check = (emu: Json, arm: Json, what: string) => {
      for (const [k, v] of Object.entries(emu)) {
        if ((EMULATOR_ONLY_PROPERTIES as readonly string[]).includes(k) || v === '') continue;
        expect(arm[lowerFirst(k)], `${what}.${k}`).toEqual(v);
      }
    };
    (ns.Queues as Array<{ Name: string; Properties: Json }>).forEach((q, i) =>
      check(q.Properties, committed.queues[i]!.properties, q.Name),
    );
    topics.forEach((t, i) => check(t.Properties, committed.topics[i]!.properties, t.Name));
    const subs = topics.flatMap((t) => t.Subscriptions);
    subs.forEach((s, i) => {
      const override = AZURE_UNCONSUMED_SUBSCRIPTIONS[`${committed.subscriptions[i]!.topic}/${s.Name}`] ?? {};
      const props = Object.fromEntries(
        Object.entries(s.Properties).filter(([k]) => override[lowerFirst(k)] === undefined),
      );
      check(props, committed.subscriptions[i]!.properties, s.Name);
    });
    const rules = subs.flatMap((s) => s.Rules ?? []);
    rules.forEach((r, i) => {
      const arm = committed.rules[i]!.properties;
      const p = r.Properties as { FilterType: string; CorrelationFilter?: Json; SqlFilter?: { SqlExpression: string } };
      if (p.FilterType === 'Correlation') {
        expect(arm['filterType']).toBe('CorrelationFilter');
        const f = arm['correlationFilter'] as Json;
        for (const [k, v] of Object.entries(p.CorrelationFilter ?? {}))
          expect(f[lowerFirst(k)], `${r.Name}.${k}`).toBe(v);
      } else {
        expect(arm).toEqual({ filterType: 'SqlFilter', sqlFilter: { sqlExpression: p.SqlFilter?.SqlExpression } });
      }
    });
  });

  it('every subscription has a consumer in functions/router.ts or a bounded TTL in Azure (no unbounded pile-up)', () => {
    const router = readFileSync(join(REPO_ROOT, 'functions', 'router.ts'), 'utf8');
    const consumed = new Set([
      ...[...(/const SUBSCRIPTIONS = \[([^\]]*)\]/.exec(router)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!),
      ...[...router.matchAll(/subscriptionName: '([^']+)'/g)].map((m) => m[1]!),
    ]);
    expect(consumed.size).toBeGreaterThanOrEqual(5);
    for (const s of committed.subscriptions) {
      if (consumed.has(s.name)) continue;
      expect(
        s.properties['defaultMessageTimeToLive'],
        `${s.topic}/${s.name} has no consumer and no TTL in Azure`,
      ).toMatch(/^P\d+D$/);
      expect(s.properties['deadLetteringOnMessageExpiration']).toBe(false);
    }
  });

  it('leaves out the emulator-only properties (infra/servicebus/README.md) and the empty forwards', () => {
    const text = readFileSync(TOPOLOGY_PATH, 'utf8');
    expect(configText).toContain('DefaultMessageTimeToLive');
    // The emulator's values never reach Azure (the only TTL is the explicit Azure one for unconsumed subscriptions).
    expect(text).not.toContain('PT1H');
    expect(text).not.toContain('PT5M');
    expect(text.toLowerCase()).not.toContain('duplicatedetectionhistorytimewindow');
    expect((text.match(/defaultMessageTimeToLive/g) ?? []).length).toBe(
      Object.keys(AZURE_UNCONSUMED_SUBSCRIPTIONS).length,
    );
    expect(text).not.toMatch(/"forwardTo": ""/);
    const readme = readFileSync(join(dirname(CONFIG_PATH), 'README.md'), 'utf8');
    for (const p of EMULATOR_ONLY_PROPERTIES) expect(readme).toContain(`\`${p}\``);
  });

  it('detects drift: a subscription added to Config.json changes the generated topology', () => {
    const changed = JSON.parse(configText) as typeof config;
    const topic = changed.UserConfig.Namespaces[0]!.Topics[0] as { Subscriptions: Json[] };
    topic.Subscriptions.push({ Name: 'extra', Properties: { MaxDeliveryCount: 5 } });
    const out = azureTopology(changed as never);
    expect(out.subscriptions.map((s) => s.name)).toContain('extra');
    expect(`${JSON.stringify(out, null, 2)}\n`).not.toBe(readFileSync(TOPOLOGY_PATH, 'utf8'));
  });

  it('refuses a Config.json property it has no Azure mapping for, instead of dropping it silently', () => {
    const changed = JSON.parse(configText) as typeof config;
    (changed.UserConfig.Namespaces[0]!.Queues[0] as { Properties: Json }).Properties['AutoDeleteOnIdle'] = 'PT1H';
    expect(() => azureTopology(changed as never)).toThrow(/AutoDeleteOnIdle has no Azure mapping/);
  });

  it('servicebus.bicep loads the generated file and passes every entity through unchanged', () => {
    const load = decl(bicep, 'var', 'topology').value;
    const rel = /^loadJsonContent\('([^']+)'\)$/.exec(load)?.[1];
    expect(rel).toBe('../servicebus/azure-topology.json');
    expect(existsSync(join(dirname(bicep.path), rel!))).toBe(true);
    const loops: Record<string, [string, string]> = {
      queues: ['Microsoft.ServiceBus/namespaces/queues', 'topology.queues'],
      topics: ['Microsoft.ServiceBus/namespaces/topics', 'topology.topics'],
      subscriptions: ['Microsoft.ServiceBus/namespaces/topics/subscriptions', 'topology.subscriptions'],
      rules: ['Microsoft.ServiceBus/namespaces/topics/subscriptions/rules', 'topology.rules'],
    };
    for (const [symbol, [type, source]] of Object.entries(loops)) {
      const d = decl(bicep, 'resource', symbol);
      expect(d.type.split('@')[0]).toBe(type);
      const m = /^\[for (\w+) in ([\w.]+): \{/.exec(d.value);
      expect(m?.[2], symbol).toBe(source);
      const item = m![1]!;
      const body = objectEntries(d.value.slice(d.value.indexOf('{')));
      const props = body.get('properties')!;
      // Properties are the item's, plus at most the Azure duplicate window.
      expect(
        props === `${item}.properties` || props.startsWith(`union(${item}.properties, `),
        `${symbol}: ${props}`,
      ).toBe(true);
      if (props !== `${item}.properties`)
        expect(props).toContain('duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow');
    }
    expect(
      objectEntries(
        decl(bicep, 'resource', 'subscriptions').value.slice(
          decl(bicep, 'resource', 'subscriptions').value.indexOf('{'),
        ),
      ).get('name'),
    ).toBe("'${namespace.name}/${s.topic}/${s.name}'");
    expect(
      objectEntries(
        decl(bicep, 'resource', 'rules').value.slice(decl(bicep, 'resource', 'rules').value.indexOf('{')),
      ).get('name'),
    ).toBe("'${namespace.name}/${r.topic}/${r.subscription}/${r.name}'");
  });

  it('uses a duplicate detection window of at least 10 minutes in Azure, Standard tier by default, local auth off', () => {
    const minutes = (iso: string) => {
      const m = /^'PT(?:(\d+)H)?(?:(\d+)M)?'$/.exec(iso);
      return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
    };
    expect(minutes(decl(bicep, 'param', 'duplicateDetectionWindow').value)).toBeGreaterThanOrEqual(10);
    expect(
      minutes(decl(infraFile('resources.bicep'), 'param', 'duplicateDetectionWindow').value),
    ).toBeGreaterThanOrEqual(10);
    expect(decl(infraFile('resources.bicep'), 'param', 'serviceBusSku').value).toBe("'Standard'");
    const props = objectEntries(objectEntries(decl(bicep, 'resource', 'namespace').value).get('properties')!);
    expect(props.get('disableLocalAuth')).toBe('true');
    expect(decl(bicep, 'output', 'topicName').value).toBe('topology.topics[0].name');
    expect(committed.topics[0]!.name).toBe('stagecraft-events');
  });
});
