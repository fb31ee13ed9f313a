/**
 * infra/servicebus/Config.json: valid for Microsoft's emulator schema limits, and routes each event type to the
 * workflows that need it using the same strings our message mapping sets as `subject`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALL_EVENT_TYPES, EVENT_TYPES, type EventType } from '../../shared/events';

const Duration = z.string().regex(/^P(?!$)(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/);
const Rule = z.object({
  Name: z.string().regex(/^[A-Za-z0-9][\w.\-/]*[A-Za-z0-9]$/),
  Properties: z.union([
    z.object({
      FilterType: z.literal('Correlation'),
      CorrelationFilter: z.object({ Label: z.string().optional() }).loose(),
    }),
    z.object({ FilterType: z.literal('Sql'), SqlFilter: z.object({ SqlExpression: z.string().max(1024) }) }),
  ]),
});
const Subscription = z.object({
  Name: z.string(),
  Properties: z
    .object({
      MaxDeliveryCount: z.number().int().min(1).max(10),
      LockDuration: Duration,
      DefaultMessageTimeToLive: Duration,
    })
    .loose(),
  Rules: z.array(Rule).optional(),
});
const ConfigFile = z.object({
  UserConfig: z.object({
    Namespaces: z
      .array(
        z.object({
          Name: z.literal('sbemulatorns'),
          Queues: z.array(z.object({ Name: z.string() }).loose()),
          Topics: z.array(
            z.object({
              Name: z.string(),
              Properties: z.object({ RequiresDuplicateDetection: z.boolean() }).loose(),
              Subscriptions: z.array(Subscription).min(1).max(50),
            }),
          ),
        }),
      )
      .length(1),
    Logging: z.object({ Type: z.string() }),
  }),
});

const file = ConfigFile.parse(
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'infra', 'servicebus', 'Config.json'), 'utf8')),
);
const topic = file.UserConfig.Namespaces[0]!.Topics.find((t) => t.Name === 'stagecraft-events')!;

/** Subscriptions a message with subject = type reaches (correlation on Label; no rules = $Default true filter). */
function routes(type: EventType): string[] {
  return topic.Subscriptions.filter((s) => {
    if (s.Rules === undefined || s.Rules.length === 0) return true;
    return s.Rules.some(
      (r) => r.Properties.FilterType === 'Correlation' && r.Properties.CorrelationFilter.Label === type,
    );
  }).map((s) => s.Name);
}

/**
 * Properties whose values in Config.json are emulator caps, not what Azure should get (infra/servicebus/README.md
 * "Emulator-only properties", README "Azure settings").
 */
const EMULATOR_ONLY = { DefaultMessageTimeToLive: 'PT1H', DuplicateDetectionHistoryTimeWindow: 'PT5M' } as const;

describe('Service Bus topology', () => {
  it('says which properties are emulator-only, and the infra notes tell Azure deployments not to copy them', () => {
    const raw = JSON.stringify(
      JSON.parse(readFileSync(join(__dirname, '..', '..', 'infra', 'servicebus', 'Config.json'), 'utf8')),
    );
    const notes = readFileSync(join(__dirname, '..', '..', 'infra', 'servicebus', 'README.md'), 'utf8');
    const section = notes.slice(notes.indexOf('## Emulator-only properties'));
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const azure = readme.slice(readme.indexOf('## Azure settings'));
    for (const [prop, value] of Object.entries(EMULATOR_ONLY)) {
      expect(raw).toContain(`"${prop}":"${value}"`);
      expect(section).toContain(`\`${prop}\``);
      expect(azure).toContain(`\`${prop}\``);
    }
    expect(section).toMatch(/do not copy them to Azure/);
  });

  it('declares the stagecraft-events topic with duplicate detection', () => {
    expect(topic.Properties.RequiresDuplicateDetection).toBe(true);
  });

  it('routes each workflow trigger type to its workflow subscription and everything to audit', () => {
    expect(routes(EVENT_TYPES.modelVersionCreated)).toEqual(['promotion', 'audit']);
    expect(routes(EVENT_TYPES.promoteRequested)).toEqual(['promotion', 'audit']);
    expect(routes(EVENT_TYPES.driftDetected)).toEqual(['retraining', 'audit']);
    expect(routes(EVENT_TYPES.retrainRequested)).toEqual(['retraining', 'audit']);
    expect(routes(EVENT_TYPES.gitMerged)).toEqual(['pipelines', 'audit']);
    expect(routes(EVENT_TYPES.gitReleasePushed)).toEqual(['pipelines', 'audit']);
    expect(routes(EVENT_TYPES.jobFinished)).toEqual(['jobs', 'audit']);
    for (const t of ALL_EVENT_TYPES) expect(routes(t)).toContain('audit');
  });

  it('only filters on Labels that are real event types', () => {
    for (const s of topic.Subscriptions) {
      for (const r of s.Rules ?? []) {
        if (r.Properties.FilterType === 'Correlation')
          expect(ALL_EVENT_TYPES).toContain(r.Properties.CorrelationFilter.Label);
      }
    }
  });
});
