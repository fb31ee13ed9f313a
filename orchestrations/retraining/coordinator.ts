/**
 * `retrainingCoordinator`: one eternal instance per model (`retraining:<model>`), fed `RetrainTrigger` events
 * (drift alerts, retrain requests, schedule ticks, wake-ups, run-finished notices), deciding one at a time.
 *
 * Invariants:
 * - The only blocking waits are `waitForExternalEvent` on its own or one activity on its own: no event waiter
 *   ever loses a race, so no raised event can land in a stale waiter. Events that arrive while an activity
 *   runs are buffered by the SDK (FIFO) and taken by the next waiter. Time-based work (trailing trigger,
 *   delayed record flush) comes back as `wake` events from small `retrainingWake` instances.
 * - Processing a trigger is pure (shared/retraining/state) except two rare round trips: the approval state is
 *   re-read just before a start, and a run that has been running a while is checked once a minute at most
 *   (its finished notice may have been lost). So an alert storm costs one pure step per alert.
 * - A retraining run is a separate orchestration started by an activity and reports back with a
 *   `run-finished` event: the coordinator can continue-as-new at any time without orphaning a child.
 * - After GENERATION_SIZE triggers the instance continues as new with its state (history stays small).
 *   The local engine carries buffered events over; the Azure host drops events buffered at that instant
 *   (the JS SDK has no preserveUnprocessedEvents), which the storm rule tolerates and a manual requester
 *   sees as "decision pending".
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { parseDuration } from '../../shared/decisions/duration';
import { toIso, toMs } from '../../shared/decisions/time';
import type { BeginResult, CoordinatorInput, EffectsInput } from '../../shared/retraining/contract';
import { RETRAINING } from '../../shared/retraining/names';
import type { RetrainingRules } from '../../shared/retraining/rules';
import {
  type CoordinatorState,
  type Outcome,
  apply,
  decide,
  hasUnflushed,
  ingestDrift,
  initialState,
  statusOf,
  takeUnflushed,
} from '../../shared/retraining/state';
import { RETRAIN_TRIGGER_EVENT, type NormalizedTrigger, normalizeTrigger } from '../../shared/retraining/trigger';
import { RetrainingActivities as RA } from '../contracts/retraining';
import { call } from '../lib/typed';

export const GENERATION_SIZE = 100;
/** How long decision records may wait in memory before a wake-up flushes them. */
const FLUSH_DELAY_MS = 1_000;
/** A running run is re-checked at most this often (in case its finished notice was lost). */
const RUN_CHECK_MS = 60_000;

const activityRetry = new df.RetryOptions(1_000, 5);
activityRetry.backoffCoefficient = 2;

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 300);
}

function* retrainingCoordinator(context: OrchestrationContext): Generator<Task, void, unknown> {
  const input = context.df.getInput<Partial<CoordinatorInput> | undefined>() ?? {};
  if (typeof input.model !== 'string' || input.model === '')
    throw new Error('retrainingCoordinator input must be { model: string }');
  const model = input.model;
  const state: CoordinatorState = input.state ?? initialState(model);
  state.generation++;
  const coordinatorId = context.df.instanceId;
  const now = () => context.df.currentUtcDateTime.getTime();

  // Generation start: rules are re-read here (a policy change applies from the next generation), and the
  // records the previous generation still held are written.
  let begin: BeginResult;
  try {
    begin = yield* call(context, RA.begin, { model, coordinatorId, records: takeUnflushed(state) }, activityRetry);
  } catch (e) {
    // The coordinator must outlive storage or policy trouble: without rules every trigger is recorded as ignored.
    begin = { note: `rules unavailable: ${errorText(e)}` };
  }
  const rules: RetrainingRules | undefined = begin.rules;
  const cooldownMs = rules ? parseDuration(rules.cooldown) : undefined;
  if (begin.pendingApproval) state.pendingApproval = begin.pendingApproval;
  else delete state.pendingApproval;

  for (let processed = 0; ; processed++) {
    context.df.setCustomStatus(statusOf(state, now(), cooldownMs));
    if (processed >= GENERATION_SIZE) {
      context.df.continueAsNew({ model, state } satisfies CoordinatorInput);
      return;
    }
    const payload: unknown = yield context.df.waitForExternalEvent(RETRAIN_TRIGGER_EVENT);
    const parsed = normalizeTrigger(payload);
    let trigger: NormalizedTrigger | undefined;
    let outcome: Outcome;
    if (!parsed.ok) {
      outcome = { action: 'ignore', reason: 'INVALID_TRIGGER', message: parsed.reason };
    } else if (parsed.model !== undefined && parsed.model !== model) {
      trigger = parsed.trigger;
      outcome = {
        action: 'ignore',
        reason: 'WRONG_MODEL',
        message: `trigger for model ${parsed.model} reached the coordinator of ${model}`,
      };
    } else {
      trigger = parsed.trigger;
      if (trigger.kind === 'wake') {
        if (trigger.id.startsWith('flush:')) delete state.flushWakeAt;
        if (trigger.id.startsWith('trailing:')) delete state.trailingWakeAt;
      }
      if (trigger.kind === 'drift' && rules) ingestDrift(state, rules, trigger.observations);
      if (
        state.running &&
        trigger.kind !== 'run-finished' &&
        now() - toMs(state.running.lastCheckedAt ?? state.running.startedAt) >= RUN_CHECK_MS
      ) {
        state.running.lastCheckedAt = context.df.currentUtcDateTime.toISOString();
        let st: { finished: boolean; outcome?: string } = { finished: false };
        try {
          st = yield* call(context, RA.runStatus, { runId: state.running.runId }, activityRetry);
        } catch {
          // Unknown: keep treating the run as running; the next check or its notice settles it.
        }
        if (st.finished) {
          apply(
            state,
            {
              kind: 'run-finished',
              id: `finished:${state.running.runId}`,
              runId: state.running.runId,
              outcome: st.outcome ?? 'UNKNOWN',
            },
            {
              action: 'note',
              reason: 'RUN_FINISHED_UNNOTICED',
              message: `retraining run ${state.running.runId} ended ${st.outcome ?? 'UNKNOWN'} without a notice`,
              runFinished: { runId: state.running.runId, outcome: st.outcome ?? 'UNKNOWN' },
            },
            now(),
          );
        }
      }
      outcome = decide(state, trigger, now(), rules);
      if (outcome.action === 'start') {
        // Starts are rare: re-read whether a candidate awaits approval right before committing to one.
        try {
          const approval = yield* call(context, RA.approvalState, { model }, activityRetry);
          if (approval.pendingApproval) state.pendingApproval = approval.pendingApproval;
          else delete state.pendingApproval;
          outcome = decide(state, trigger, now(), rules);
        } catch (e) {
          outcome = {
            action: 'suppress',
            reason: 'APPROVAL_STATE_UNKNOWN',
            message: `could not read the approval state: ${errorText(e)}`,
            clearTrailing: false,
          };
        }
      }
    }
    const entry = apply(state, trigger, outcome, now());

    const effects: EffectsInput = { model, coordinatorId, records: [], wakes: [] };
    let flushNow = outcome.action === 'start' || outcome.reason === 'RUN_FINISHED' || trigger?.kind === 'wake';
    if (state.trailing && state.trailingWakeAt !== state.trailing.dueAt) {
      state.trailingWakeAt = state.trailing.dueAt;
      effects.wakes.push({ id: `trailing:${toMs(state.trailing.dueAt)}`, dueAt: state.trailing.dueAt });
    }
    if (!flushNow && hasUnflushed(state) && state.flushWakeAt === undefined) {
      // First record since the last flush: write it now and arm one wake-up for whatever folds into it later.
      flushNow = true;
      state.flushWakeAt = toIso(now() + FLUSH_DELAY_MS);
      effects.wakes.push({ id: `flush:${now() + FLUSH_DELAY_MS}`, dueAt: state.flushWakeAt });
    }
    if (flushNow) effects.records = takeUnflushed(state);
    if (outcome.action === 'start' && trigger) {
      effects.startRun = {
        runId: outcome.runId,
        model,
        coordinatorId,
        triggerKind: outcome.triggerKind,
        triggerId: trigger.id,
        reason: entry.message,
        parameters: outcome.parameters,
      };
    }
    if (effects.records.length || effects.wakes.length || effects.startRun) {
      try {
        yield* call(context, RA.effects, effects, activityRetry);
      } catch (e) {
        // Records and wake-ups are lost, a start is not: the run is marked finished so the model is not stuck.
        if (effects.startRun && state.running?.runId === effects.startRun.runId) {
          apply(
            state,
            trigger,
            {
              action: 'note',
              reason: 'START_FAILED',
              message: `could not start run ${effects.startRun.runId}: ${errorText(e)}`,
              runFinished: { runId: effects.startRun.runId, outcome: 'ERROR' },
            },
            now(),
          );
        }
        delete state.flushWakeAt;
        delete state.trailingWakeAt;
      }
    }
  }
}

df.app.orchestration(RETRAINING.coordinator, retrainingCoordinator);
