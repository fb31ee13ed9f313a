/**
 * The retraining coordinator's state machine, pure (the orchestrator sequences it with activities).
 *
 * Invariants:
 * - Triggers are applied one at a time in arrival order; a storm is many triggers, each decided against the
 *   state the previous one left, so at most one start can happen before `running` blocks the rest.
 * - Drift data is kept per rule metric and window start (latest observation of a window wins), bounded to
 *   the most recent windows a rule can look at, so the state stays small across continueAsNew.
 * - Decisions are recorded as aggregates: consecutive triggers with the same kind, action and reason fold
 *   into one record with a count (1,000 suppressed alerts = one row saying 1,000), starts never fold.
 * - Nothing here reads a clock: `now` comes from context.df.currentUtcDateTime.
 */
import {
  type DriftWindow,
  type RetrainDecision,
  type RetrainState,
  decideRetrain,
  evaluateDriftRules,
} from '../decisions';
import { instanceIdFor } from '../router/instance-id';
import type { RetrainingRules } from './rules';
import type { DriftObservation, NormalizedTrigger } from './trigger';

export type DecisionAction = 'start' | 'suppress' | 'ignore' | 'drop' | 'note';

export interface DecisionEntry {
  at: string;
  triggerId: string;
  kind: NormalizedTrigger['kind'] | 'invalid';
  action: DecisionAction;
  reason: string;
  message: string;
  runId?: string;
}

export interface DecisionAggregate extends DecisionEntry {
  seq: number;
  count: number;
  lastAt: string;
  lastTriggerId: string;
}

export interface RunningRun {
  runId: string;
  startedAt: string;
  triggerKind: string;
  lastCheckedAt?: string;
}

export interface CoordinatorState {
  model: string;
  generation: number;
  decisions: number;
  windows: Record<string, Array<{ start: number; value: number }>>;
  running?: RunningRun;
  pendingApproval?: { requestId: string };
  lastStartedAt?: string;
  trailing?: { dueAt: string; firstSuppressedAt: string };
  lastRun?: { runId: string; outcome: string; finishedAt: string };
  /** Latest scheduled time a schedule tick was decided for: a repeated tick (restart, overlap) is ignored. */
  lastScheduleFor?: string;
  /** Due time (ISO) of the armed wake-up that flushes records, if any. */
  flushWakeAt?: string;
  /** Due time (ISO) of the armed trailing wake-up, if any (re-armed when the trailing due time changes). */
  trailingWakeAt?: string;
  open?: DecisionAggregate & { dirty: boolean };
  pending: DecisionAggregate[];
  recent: DecisionEntry[];
  totals: Record<DecisionAction, number>;
}

export const RECENT_DECISIONS = 12;
const MAX_WINDOWS_PER_METRIC = 64;

export function initialState(model: string): CoordinatorState {
  return {
    model,
    generation: 0,
    decisions: 0,
    windows: {},
    pending: [],
    recent: [],
    totals: { start: 0, suppress: 0, ignore: 0, drop: 0, note: 0 },
  };
}

export function retrainingCoordinatorId(model: string): string {
  return instanceIdFor('retraining', model);
}

/** The retraining run id is also the run's orchestration instance id and the value of the version tag. */
export function retrainingRunId(model: string, nowMs: number, decisions: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return instanceIdFor('retrainingRun', model, stamp, decisions);
}

/** The value of a rule's metric in one drift event: the worst feature value, by the rule's direction. */
function ruleValue(rule: RetrainingRules['drift'][number], obs: readonly DriftObservation[]): number | undefined {
  const values = obs
    .filter((o) => o.metric === rule.metric || o.feature === rule.metric)
    .map((o) => o.value)
    .filter((v) => Number.isFinite(v));
  if (values.length === 0) return undefined;
  return rule.direction === 'below' ? Math.min(...values) : Math.max(...values);
}

export function ingestDrift(state: CoordinatorState, rules: RetrainingRules, obs: readonly DriftObservation[]): void {
  for (const rule of rules.drift) {
    const value = ruleValue(rule, obs);
    const start = obs[0] ? Date.parse(obs[0].windowStart) : NaN;
    if (value === undefined || !Number.isFinite(start)) continue;
    const list = (state.windows[rule.metric] ?? []).filter((w) => w.start !== start);
    list.push({ start, value });
    list.sort((a, b) => b.start - a.start);
    state.windows[rule.metric] = list.slice(0, Math.max(MAX_WINDOWS_PER_METRIC, rule.m));
  }
}

function driftWindows(state: CoordinatorState): Record<string, DriftWindow[]> {
  return Object.fromEntries(
    Object.entries(state.windows).map(([m, ws]) => [m, ws.map((w) => ({ start: w.start, value: w.value }))]),
  );
}

export function driftActionable(
  state: CoordinatorState,
  rules: RetrainingRules,
  obs?: readonly DriftObservation[],
): { actionable: boolean; message: string } {
  if (rules.drift.length === 0) {
    const drifted = (obs ?? []).filter((o) => o.drifted);
    return drifted.length
      ? {
          actionable: true,
          message: `no drift rule configured; the detector flagged ${drifted.map((o) => `${o.feature}/${o.metric}`).join(', ')}`,
        }
      : {
          actionable: obs !== undefined ? false : true,
          message:
            obs !== undefined
              ? 'no drift rule configured and the detector flagged nothing'
              : 'no drift rule configured',
        };
  }
  const r = evaluateDriftRules(rules.drift, driftWindows(state));
  const msg = r.decisions.map((d) => d.message).join('; ');
  return { actionable: r.actionable, message: msg };
}

function retrainState(state: CoordinatorState): RetrainState {
  const s: RetrainState = {};
  if (state.running) s.running = { runId: state.running.runId, startedAt: state.running.startedAt };
  if (state.pendingApproval) s.pendingApproval = state.pendingApproval;
  if (state.lastStartedAt) s.lastStartedAt = state.lastStartedAt;
  if (state.trailing) s.trailing = { dueAt: state.trailing.dueAt, firstSuppressedAt: state.trailing.firstSuppressedAt };
  return s;
}

export type Outcome =
  | {
      action: 'start';
      reason: string;
      message: string;
      runId: string;
      triggerKind: string;
      parameters: Record<string, string>;
      clearTrailing: boolean;
    }
  | {
      action: 'suppress';
      reason: string;
      message: string;
      armTrailing?: { dueAt: string; firstSuppressedAt: string };
      clearTrailing: boolean;
    }
  | {
      action: 'ignore' | 'drop' | 'note';
      reason: string;
      message: string;
      clearTrailing?: boolean;
      runFinished?: { runId: string; outcome: string };
    };

function fromDecision(
  d: RetrainDecision,
  runId: string,
  triggerKind: string,
  parameters: Record<string, string>,
  prefix = '',
): Outcome {
  if (d.action === 'start')
    return {
      action: 'start',
      reason: d.reason,
      message: prefix + d.message,
      runId,
      triggerKind,
      parameters,
      clearTrailing: d.clearTrailing,
    };
  if (d.action === 'drop') return { action: 'drop', reason: d.reason, message: d.message, clearTrailing: true };
  const o: Outcome = {
    action: 'suppress',
    reason: d.reason,
    message: prefix + d.message,
    clearTrailing: d.clearTrailing,
  };
  if (d.trailing?.newlyArmed)
    o.armTrailing = {
      dueAt: new Date(d.trailing.dueAtMs).toISOString(),
      firstSuppressedAt: new Date(d.trailing.firstSuppressedAtMs).toISOString(),
    };
  return o;
}

/**
 * Decides what one trigger means now. Drift observations must already be ingested (ingestDrift).
 * `rules` undefined = the model has no (enabled) retraining policy.
 */
export function decide(
  state: CoordinatorState,
  trigger: NormalizedTrigger,
  nowMs: number,
  rules: RetrainingRules | undefined,
): Outcome {
  const now = new Date(nowMs).toISOString();
  if (trigger.kind === 'run-finished') {
    if (state.running?.runId === trigger.runId)
      return {
        action: 'note',
        reason: 'RUN_FINISHED',
        message: `retraining run ${trigger.runId} ended ${trigger.outcome}`,
        runFinished: { runId: trigger.runId, outcome: trigger.outcome },
      };
    return {
      action: 'note',
      reason: 'STALE_RUN_NOTICE',
      message: `notice for run ${trigger.runId}, which is not the running one`,
    };
  }
  if (trigger.kind === 'wake') {
    if (state.trailing && nowMs >= Date.parse(state.trailing.dueAt) && rules?.enabled) {
      const drift = driftActionable(state, rules);
      const d = decideRetrain(rules, retrainState(state), {
        kind: 'trailing',
        at: now,
        driftStillActionable: drift.actionable,
      });
      return fromDecision(
        d,
        retrainingRunId(state.model, nowMs, state.decisions),
        'trailing',
        {},
        d.action === 'start' ? `${drift.message}; ` : '',
      );
    }
    return { action: 'note', reason: 'WAKE', message: 'wake-up: records flushed' };
  }
  if (!rules || !rules.enabled) {
    return {
      action: 'ignore',
      reason: 'RETRAINING_NOT_CONFIGURED',
      message: `model ${state.model} has no enabled retraining policy`,
    };
  }
  const runId = retrainingRunId(state.model, nowMs, state.decisions);
  if (trigger.kind === 'drift') {
    const drift = driftActionable(state, rules, trigger.observations);
    if (!drift.actionable) return { action: 'ignore', reason: 'DRIFT_BELOW_RULE', message: drift.message };
    const d = decideRetrain(rules, retrainState(state), { kind: 'drift', at: now });
    return fromDecision(
      d,
      runId,
      'drift',
      trigger.window ? { 'drift.windowStart': trigger.window.start, 'drift.windowEnd': trigger.window.end } : {},
      `${drift.message}; `,
    );
  }
  if (trigger.kind === 'schedule') {
    if (state.lastScheduleFor !== undefined && Date.parse(trigger.scheduledFor) <= Date.parse(state.lastScheduleFor)) {
      return {
        action: 'ignore',
        reason: 'DUPLICATE_TICK',
        message: `schedule tick for ${trigger.scheduledFor} was already decided`,
      };
    }
    const d = decideRetrain(rules, retrainState(state), { kind: 'schedule', at: now });
    return fromDecision(d, runId, 'schedule', { 'schedule.time': trigger.scheduledFor });
  }
  const d = decideRetrain(rules, retrainState(state), { kind: 'manual', at: now, force: trigger.force });
  return fromDecision(d, runId, 'manual', {
    ...trigger.parameters,
    'manual.requestedBy': trigger.requestedBy,
    'manual.reason': trigger.reason,
  });
}

function entryOf(trigger: NormalizedTrigger | undefined, outcome: Outcome, now: string): DecisionEntry {
  const e: DecisionEntry = {
    at: now,
    triggerId: trigger?.id ?? 'invalid',
    kind: trigger?.kind ?? 'invalid',
    action: outcome.action,
    reason: outcome.reason,
    message: outcome.message,
  };
  if (outcome.action === 'start') e.runId = outcome.runId;
  return e;
}

/** Records the decision and moves the state (running, cooldown start, trailing, windows are already in). */
export function apply(
  state: CoordinatorState,
  trigger: NormalizedTrigger | undefined,
  outcome: Outcome,
  nowMs: number,
): DecisionEntry {
  const now = new Date(nowMs).toISOString();
  state.decisions++;
  state.totals[outcome.action]++;
  if (outcome.clearTrailing) delete state.trailing;
  if (outcome.action === 'start') {
    state.running = { runId: outcome.runId, startedAt: now, triggerKind: outcome.triggerKind };
    state.lastStartedAt = now;
  } else if (outcome.action === 'suppress' && outcome.armTrailing) {
    state.trailing = outcome.armTrailing;
  } else if (
    (outcome.action === 'note' || outcome.action === 'ignore' || outcome.action === 'drop') &&
    outcome.runFinished
  ) {
    state.lastRun = { runId: outcome.runFinished.runId, outcome: outcome.runFinished.outcome, finishedAt: now };
    delete state.running;
  }
  if (
    trigger?.kind === 'schedule' &&
    outcome.reason !== 'DUPLICATE_TICK' &&
    outcome.reason !== 'RETRAINING_NOT_CONFIGURED'
  )
    state.lastScheduleFor = trigger.scheduledFor;
  const entry = entryOf(trigger, outcome, now);
  state.recent.push(entry);
  if (state.recent.length > RECENT_DECISIONS) state.recent.splice(0, state.recent.length - RECENT_DECISIONS);
  record(state, entry);
  return entry;
}

/** Only wake-ups that did nothing are not worth a record. */
function record(state: CoordinatorState, entry: DecisionEntry): void {
  if (entry.action === 'note' && entry.reason === 'WAKE') return;
  const open = state.open;
  const foldable = entry.action !== 'start' && entry.action !== 'note';
  if (open && foldable && open.kind === entry.kind && open.action === entry.action && open.reason === entry.reason) {
    open.count++;
    open.lastAt = entry.at;
    open.lastTriggerId = entry.triggerId;
    open.message = entry.message;
    open.dirty = true;
    return;
  }
  if (open?.dirty) {
    const { dirty: _d, ...closed } = open;
    state.pending.push(closed);
  }
  state.open = {
    ...entry,
    seq: state.decisions,
    count: 1,
    lastAt: entry.at,
    lastTriggerId: entry.triggerId,
    dirty: true,
  };
}

export function hasUnflushed(state: CoordinatorState): boolean {
  return state.pending.length > 0 || state.open?.dirty === true;
}

/** Takes the records to write; the open aggregate stays open (later identical triggers keep folding into it). */
export function takeUnflushed(state: CoordinatorState): DecisionAggregate[] {
  const out = [...state.pending];
  state.pending = [];
  if (state.open?.dirty) {
    const { dirty: _d, ...snapshot } = state.open;
    out.push(snapshot);
    state.open.dirty = false;
  }
  return out;
}

/** What the HTTP API and `stagecraft runs` show (customStatus; kept far below the 16 KB limit). */
export interface CoordinatorStatus {
  model: string;
  state: 'idle' | 'running' | 'cooldown' | 'pending-approval';
  running?: RunningRun;
  pendingApproval?: { requestId: string };
  lastStartedAt?: string;
  cooldownUntil?: string;
  trailing?: { dueAt: string; firstSuppressedAt: string };
  lastRun?: { runId: string; outcome: string; finishedAt: string };
  totals: Record<DecisionAction, number>;
  recent: DecisionEntry[];
  generation: number;
}

export function statusOf(state: CoordinatorState, nowMs: number, cooldownMs: number | undefined): CoordinatorStatus {
  const last = state.lastStartedAt ? Date.parse(state.lastStartedAt) : undefined;
  const until = last !== undefined && cooldownMs !== undefined ? last + cooldownMs : undefined;
  const s: CoordinatorStatus = {
    model: state.model,
    state: state.running
      ? 'running'
      : state.pendingApproval
        ? 'pending-approval'
        : until !== undefined && nowMs < until
          ? 'cooldown'
          : 'idle',
    totals: state.totals,
    recent: state.recent,
    generation: state.generation,
  };
  if (state.running) s.running = state.running;
  if (state.pendingApproval) s.pendingApproval = state.pendingApproval;
  if (state.lastStartedAt) s.lastStartedAt = state.lastStartedAt;
  if (until !== undefined) s.cooldownUntil = new Date(until).toISOString();
  if (state.trailing) s.trailing = state.trailing;
  if (state.lastRun) s.lastRun = state.lastRun;
  return s;
}
