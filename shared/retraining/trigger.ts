/**
 * What reaches a model's retraining coordinator as the external event `RetrainTrigger`, normalised.
 * Sources: drift events and retrain requests (Stagecraft CloudEvents, as the router signals them), schedule
 * ticks (functions/schedules.ts), and internal notices (a wake-up, a run that finished).
 * Pure: also used from orchestrator code.
 */
import { z } from 'zod';
import { DriftDetectedData, EVENT_TYPES, RetrainRequestedData } from '../events';

export const RETRAIN_TRIGGER_EVENT = 'RetrainTrigger';

/** A drift value seen for one metric in one window (the window start identifies it). */
export interface DriftObservation {
  metric: string;
  windowStart: string;
  value: number;
  /** Feature/column the value belongs to, for the record. */
  feature: string;
  drifted: boolean;
}

export type NormalizedTrigger =
  | {
      kind: 'drift';
      id: string;
      at: string;
      observations: DriftObservation[];
      window?: { start: string; end: string };
      severity: string;
    }
  | {
      kind: 'manual';
      id: string;
      requestedBy: string;
      reason: string;
      parameters: Record<string, string>;
      force: boolean;
    }
  | { kind: 'schedule'; id: string; scheduledFor: string }
  | { kind: 'wake'; id: string }
  | { kind: 'run-finished'; id: string; runId: string; outcome: string; summary?: string | undefined };

const ScheduleTick = z.object({ kind: z.literal('schedule'), scheduledFor: z.iso.datetime({ offset: true }) });
const Wake = z.object({ kind: z.literal('wake'), id: z.string().min(1) });
const RunFinished = z.object({
  kind: z.literal('run-finished'),
  runId: z.string().min(1),
  outcome: z.string().min(1),
  summary: z.string().optional(),
});
const DriftEvent = z.object({
  type: z.literal(EVENT_TYPES.driftDetected),
  id: z.string().min(1),
  data: DriftDetectedData,
});
const RetrainEvent = z.object({
  type: z.literal(EVENT_TYPES.retrainRequested),
  id: z.string().min(1),
  data: RetrainRequestedData,
  force: z.boolean().optional(),
});

export type TriggerParse = { ok: true; trigger: NormalizedTrigger; model?: string } | { ok: false; reason: string };

/** Never throws: an unusable payload is recorded as ignored with the reason. */
export function normalizeTrigger(payload: unknown): TriggerParse {
  const drift = DriftEvent.safeParse(payload);
  if (drift.success) {
    const d = drift.data.data;
    const windowStart = d.window?.start ?? d.detectedAt;
    const observations = d.features.map((f) => ({
      metric: f.metric,
      windowStart,
      value: f.value,
      feature: f.name,
      drifted: f.drifted,
    }));
    const t: NormalizedTrigger = {
      kind: 'drift',
      id: drift.data.id,
      at: d.detectedAt,
      observations,
      severity: d.severity,
    };
    if (d.window) t.window = { start: d.window.start, end: d.window.end };
    return { ok: true, trigger: t, model: d.model.name };
  }
  const retrain = RetrainEvent.safeParse(payload);
  if (retrain.success) {
    const d = retrain.data.data;
    return {
      ok: true,
      model: d.model.name,
      trigger: {
        kind: 'manual',
        id: d.requestId ?? retrain.data.id,
        requestedBy: d.requestedBy,
        reason: d.reason,
        parameters: d.parameters ?? {},
        force: retrain.data.force ?? false,
      },
    };
  }
  const tick = ScheduleTick.safeParse(payload);
  if (tick.success)
    return {
      ok: true,
      trigger: { kind: 'schedule', id: `schedule:${tick.data.scheduledFor}`, scheduledFor: tick.data.scheduledFor },
    };
  const wake = Wake.safeParse(payload);
  if (wake.success) return { ok: true, trigger: { kind: 'wake', id: wake.data.id } };
  const fin = RunFinished.safeParse(payload);
  if (fin.success)
    return {
      ok: true,
      trigger: {
        kind: 'run-finished',
        id: `finished:${fin.data.runId}`,
        runId: fin.data.runId,
        outcome: fin.data.outcome,
        summary: fin.data.summary,
      },
    };
  const type =
    typeof payload === 'object' && payload !== null
      ? ((payload as Record<string, unknown>)['type'] ?? (payload as Record<string, unknown>)['kind'])
      : undefined;
  return { ok: false, reason: `not a retraining trigger (type/kind ${JSON.stringify(type ?? null)})` };
}
