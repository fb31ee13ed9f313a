/**
 * #18 metrics: names, attributes and values of what Stagecraft emits through the OpenTelemetry metrics API, read
 * through a recording MeterProvider registered as the global one (what `memory-file` export uses). The emission
 * from the real places (intake receipt, promotion record) is checked end to end in trace.test.ts.
 */
import { metrics } from '@opentelemetry/api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  recordApprovalWait,
  recordDeadLetter,
  recordJobDuration,
  recordPromotion,
  recordRetrainingDecisions,
  recordWebhook,
  recordingMeterProvider,
  type Measurement,
} from '../../shared/telemetry/metrics';

const seen: Measurement[] = [];

beforeAll(() => {
  expect(metrics.setGlobalMeterProvider(recordingMeterProvider((m) => seen.push(m)))).toBe(true);
});

beforeEach(() => {
  seen.length = 0;
});

describe('stagecraft metrics', () => {
  it('counts webhooks by source and outcome', () => {
    recordWebhook('mlflow', 'accepted');
    recordWebhook('github', 'rejected');
    expect(seen).toEqual([
      {
        kind: 'metric',
        metric: 'stagecraft.webhooks',
        type: 'counter',
        value: 1,
        attributes: { source: 'mlflow', outcome: 'accepted' },
      },
      {
        kind: 'metric',
        metric: 'stagecraft.webhooks',
        type: 'counter',
        value: 1,
        attributes: { source: 'github', outcome: 'rejected' },
      },
    ]);
  });

  it('counts promotions by outcome and records their duration in seconds', () => {
    recordPromotion('promoted', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:30.000Z');
    expect(seen).toEqual([
      {
        kind: 'metric',
        metric: 'stagecraft.promotions',
        type: 'counter',
        value: 1,
        attributes: { outcome: 'promoted' },
      },
      {
        kind: 'metric',
        metric: 'stagecraft.promotion.duration',
        type: 'histogram',
        value: 90,
        attributes: { outcome: 'promoted' },
      },
    ]);
  });

  it('records approval wait time, job durations and dead letters', () => {
    recordApprovalWait('model-promotion', 'approved', '2026-01-01T00:00:00.000Z', '2026-01-01T02:00:00.000Z');
    recordJobDuration('databricks', 'SUCCEEDED', 42.5);
    recordDeadLetter('promotion', 'ROUTER_MESSAGE_INVALID');
    expect(seen).toEqual([
      {
        kind: 'metric',
        metric: 'stagecraft.approval.wait',
        type: 'histogram',
        value: 7200,
        attributes: { kind: 'model-promotion', status: 'approved' },
      },
      {
        kind: 'metric',
        metric: 'stagecraft.job.duration',
        type: 'histogram',
        value: 42.5,
        attributes: { runner: 'databricks', state: 'SUCCEEDED' },
      },
      {
        kind: 'metric',
        metric: 'stagecraft.dead_letters',
        type: 'counter',
        value: 1,
        attributes: { subscription: 'promotion', code: 'ROUTER_MESSAGE_INVALID' },
      },
    ]);
  });

  it('counts retraining decisions by reason once, also when a folded aggregate is flushed again with a larger count', () => {
    recordRetrainingDecisions('retraining:churn', [
      { seq: 1, count: 3, reason: 'COOLDOWN', action: 'ignore' },
      { seq: 2, count: 1, reason: 'WAKE', action: 'note' },
    ]);
    recordRetrainingDecisions('retraining:churn', [{ seq: 1, count: 5, reason: 'COOLDOWN', action: 'ignore' }]);
    recordRetrainingDecisions('retraining:churn', [{ seq: 1, count: 5, reason: 'COOLDOWN', action: 'ignore' }]);
    expect(seen.map((m) => [m.metric, m.value, m.attributes['reason']])).toEqual([
      ['stagecraft.retraining.decisions', 3, 'COOLDOWN'],
      ['stagecraft.retraining.decisions', 2, 'COOLDOWN'],
    ]);
  });

  it('never turns free text, ids or URLs into a metric dimension', () => {
    recordWebhook('mlflow', 'https://user:secret@example.com/x?token=abc');
    recordDeadLetter('promotion', 'message 7f3e… was invalid: body.model');
    expect(seen.map((m) => m.attributes)).toEqual([
      { source: 'mlflow', outcome: 'other' },
      { subscription: 'promotion', code: 'other' },
    ]);
  });

  it('ignores impossible durations (clock skew, missing times)', () => {
    recordPromotion('failed', '2026-01-01T00:01:00.000Z', '2026-01-01T00:00:00.000Z');
    recordApprovalWait(undefined, 'expired', undefined, '2026-01-01T00:00:00.000Z');
    recordJobDuration('local', 'FAILED', Number.NaN);
    expect(seen).toEqual([
      { kind: 'metric', metric: 'stagecraft.promotions', type: 'counter', value: 1, attributes: { outcome: 'failed' } },
    ]);
  });
});
