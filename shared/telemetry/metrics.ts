/**
 * Stagecraft's metrics, through the OpenTelemetry metrics API (exported by whatever setup.ts registered; a no-op
 * when nothing is). Each is emitted from the one place the fact is final:
 *
 * | metric | type | attributes | emitted by |
 * |---|---|---|---|
 * | `stagecraft.webhooks` | counter | source, outcome (accepted, duplicate, ignored, rejected, failed) | intake receipt (shared/intake/service.ts) |
 * | `stagecraft.promotions` | counter | outcome | promotion record write (activities/promotion/records.ts) |
 * | `stagecraft.promotion.duration` | histogram (s) | outcome | same |
 * | `stagecraft.approval.wait` | histogram (s) | kind, status (approved, rejected, expired) | approval close (activities/promotion/approvals.ts) |
 * | `stagecraft.retraining.decisions` | counter | reason | retraining decision (activities/retraining/coordinator.ts) |
 * | `stagecraft.job.duration` | histogram (s) | runner, state | runJob status activity at the end (activities/jobs/jobs.ts) |
 * | `stagecraft.dead_letters` | counter | subscription, code | router refusal of an invalid message (functions/router.ts) |
 *
 * Attribute values are closed vocabularies (outcomes, codes, source names), never ids, URLs or free text.
 */
import {
  createNoopMeter,
  metrics,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api';

export const METER_NAME = 'stagecraft';

interface Instruments {
  webhooks: Counter;
  promotions: Counter;
  promotionDuration: Histogram;
  approvalWait: Histogram;
  retrainingDecisions: Counter;
  jobDuration: Histogram;
  deadLetters: Counter;
}

let instruments: Instruments | undefined;
let meterFrom: MeterProvider | undefined;

function get(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments && meterFrom === provider) return instruments;
  const m = metrics.getMeter(METER_NAME);
  meterFrom = provider;
  instruments = {
    webhooks: m.createCounter('stagecraft.webhooks', { description: 'Webhook deliveries by source and outcome' }),
    promotions: m.createCounter('stagecraft.promotions', { description: 'Finished promotions by outcome' }),
    promotionDuration: m.createHistogram('stagecraft.promotion.duration', {
      unit: 's',
      description: 'Promotion duration, start to record',
    }),
    approvalWait: m.createHistogram('stagecraft.approval.wait', {
      unit: 's',
      description: 'Time from an approval request to its decision',
    }),
    retrainingDecisions: m.createCounter('stagecraft.retraining.decisions', {
      description: 'Retraining decisions by reason',
    }),
    jobDuration: m.createHistogram('stagecraft.job.duration', {
      unit: 's',
      description: 'Job run duration by runner and final state',
    }),
    deadLetters: m.createCounter('stagecraft.dead_letters', {
      description: 'Messages the router refused (dead-lettered after the delivery limit)',
    }),
  };
  return instruments;
}

/** Keeps an attribute to a short token: free text never becomes a metric dimension. */
function token(v: string | undefined): string {
  if (!v) return 'unknown';
  const t = v.trim().slice(0, 64);
  return /^[A-Za-z0-9_.:-]+$/.test(t) ? t : 'other';
}

function seconds(fromIso: string | undefined, toIso: string | undefined): number | undefined {
  if (!fromIso || !toIso) return undefined;
  const d = (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
  return Number.isFinite(d) && d >= 0 ? d : undefined;
}

export function recordWebhook(source: string, outcome: string): void {
  get().webhooks.add(1, { source: token(source), outcome: token(outcome) });
}

export function recordPromotion(outcome: string, startedAt: string | undefined, finishedAt: string | undefined): void {
  const i = get();
  const attrs: Attributes = { outcome: token(outcome) };
  i.promotions.add(1, attrs);
  const s = seconds(startedAt, finishedAt);
  if (s !== undefined) i.promotionDuration.record(s, attrs);
}

export function recordApprovalWait(
  kind: string | undefined,
  status: string,
  requestedAt: string | undefined,
  decidedAt: string | undefined,
): void {
  const s = seconds(requestedAt, decidedAt);
  if (s !== undefined) get().approvalWait.record(s, { kind: token(kind ?? 'promotion'), status: token(status) });
}

export function recordRetrainingDecision(reason: string, count = 1): void {
  if (count > 0) get().retrainingDecisions.add(count, { reason: token(reason) });
}

/** Last count emitted per decision record (`<coordinator>:<seq>`), bounded: an open aggregate is flushed again as it grows. */
const emittedCounts = new Map<string, number>();

/**
 * Decision records as the coordinator flushes them (an aggregate folds identical triggers and may be flushed again
 * with a larger count): adds only what this process has not counted yet. At least once: a record re-flushed by
 * another process instance is counted again from zero.
 */
export function recordRetrainingDecisions(
  coordinatorId: string,
  records: ReadonlyArray<{ seq: number; count: number; reason: string; action: string }>,
): void {
  for (const r of records) {
    if (r.reason === 'WAKE') continue;
    const key = `${coordinatorId}:${r.seq}`;
    const before = emittedCounts.get(key) ?? 0;
    if (r.count > before) recordRetrainingDecision(r.reason, r.count - before);
    emittedCounts.delete(key);
    emittedCounts.set(key, Math.max(before, r.count));
    if (emittedCounts.size > 1000) emittedCounts.delete(emittedCounts.keys().next().value as string);
  }
}

export function recordJobDuration(runner: string, state: string, durationSeconds: number | undefined): void {
  if (durationSeconds === undefined || !Number.isFinite(durationSeconds) || durationSeconds < 0) return;
  get().jobDuration.record(durationSeconds, { runner: token(runner), state: token(state) });
}

export function recordDeadLetter(subscription: string, code: string): void {
  get().deadLetters.add(1, { subscription: token(subscription), code: token(code) });
}

export interface Measurement {
  kind: 'metric';
  metric: string;
  type: 'counter' | 'histogram';
  value: number;
  attributes: Attributes;
}

/**
 * A minimal MeterProvider that hands every counter/histogram measurement to `sink` (memory-file mode and tests; the
 * real exporters aggregate instead). Other instrument kinds are no-ops (Stagecraft does not use them).
 */
export function recordingMeterProvider(sink: (m: Measurement) => void): MeterProvider {
  const meter: Meter = {
    ...createNoopMeter(),
    createCounter: (name) => ({
      add: (value, attributes) =>
        sink({ kind: 'metric', metric: name, type: 'counter', value, attributes: attributes ?? {} }),
    }),
    createHistogram: (name) => ({
      record: (value, attributes) =>
        sink({ kind: 'metric', metric: name, type: 'histogram', value, attributes: attributes ?? {} }),
    }),
  };
  return { getMeter: () => meter };
}
