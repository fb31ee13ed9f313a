import { parseDuration } from './duration';
import { type Instant, toMs } from './time';

/**
 * Model-aware retraining gate (cooldown + debounce with a maximum delay).
 *
 * Checked in this order, the first that applies wins:
 * 1. A retraining run for the model is running → suppress RUNNING (every trigger kind, manual included).
 * 2. A candidate of the model awaits approval and `blockWhilePendingApproval` (default true) → suppress
 *    PENDING_APPROVAL (manual included, unless `force`).
 * 3. A `trailing` trigger (the debounce firing) starts if drift is still actionable, else is dropped
 *    with DRIFT_RESOLVED. It may fire before the cooldown ends: that is what `maxDelay` bounds.
 * 4. Within `cooldown` of the last start:
 *    - manual → start (a person asked explicitly; the cooldown protects against automation storms);
 *    - schedule → suppress COOLDOWN (the next tick of the schedule comes anyway);
 *    - drift → suppress COOLDOWN and arm ONE trailing trigger at min(cooldown end, first suppressed + maxDelay).
 *      Later drift triggers while it is armed collapse into it (same dueAt, `newlyArmed: false`).
 * 5. Otherwise start.
 * The cooldown is measured from the last retraining START (a hung run cannot stretch it; rule 1 covers it).
 * The caller serialises decisions per model (one entity/instance per model) and stores `state`.
 */
export type RetrainTriggerKind = 'drift' | 'schedule' | 'manual' | 'trailing';

export interface RetrainRules {
  cooldown?: string;
  maxDelay?: string;
  blockWhilePendingApproval?: boolean;
}

export interface RetrainState {
  running?: { runId: string; startedAt: Instant };
  pendingApproval?: { requestId: string };
  lastStartedAt?: Instant;
  trailing?: { dueAt: Instant; firstSuppressedAt: Instant };
}

export interface RetrainTrigger {
  kind: RetrainTriggerKind;
  at: Instant;
  /** manual only: ignore a pending approval. */
  force?: boolean;
  /** trailing only: whether the drift rule is still actionable when the debounce fires. */
  driftStillActionable?: boolean;
}

export type SuppressReason = 'RUNNING' | 'PENDING_APPROVAL' | 'COOLDOWN';

export type RetrainDecision =
  | {
      action: 'start';
      reason: 'CLEAR' | 'MANUAL_IGNORES_COOLDOWN' | 'TRAILING';
      message: string;
      clearTrailing: boolean;
    }
  | {
      action: 'suppress';
      reason: SuppressReason;
      message: string;
      /** Set when a trailing trigger is (or stays) armed: the caller sets a timer for dueAtMs. */
      trailing?: { dueAtMs: number; firstSuppressedAtMs: number; newlyArmed: boolean };
      clearTrailing: boolean;
    }
  | { action: 'drop'; reason: 'DRIFT_RESOLVED'; message: string; clearTrailing: true };

export function decideRetrain(rules: RetrainRules, state: RetrainState, trigger: RetrainTrigger): RetrainDecision {
  const now = toMs(trigger.at);
  const isTrailing = trigger.kind === 'trailing';
  if (state.running) {
    return {
      action: 'suppress',
      reason: 'RUNNING',
      message: `retraining run ${state.running.runId} is still running`,
      clearTrailing: isTrailing,
    };
  }
  if (
    state.pendingApproval &&
    (rules.blockWhilePendingApproval ?? true) &&
    !(trigger.kind === 'manual' && trigger.force)
  ) {
    return {
      action: 'suppress',
      reason: 'PENDING_APPROVAL',
      message: `a candidate awaits approval (request ${state.pendingApproval.requestId})`,
      clearTrailing: isTrailing,
    };
  }
  if (isTrailing) {
    if (trigger.driftStillActionable === false)
      return {
        action: 'drop',
        reason: 'DRIFT_RESOLVED',
        message: 'drift no longer actionable when the cooldown ended',
        clearTrailing: true,
      };
    return {
      action: 'start',
      reason: 'TRAILING',
      message: 'drift persisted through the cooldown',
      clearTrailing: true,
    };
  }
  const cooldownMs = rules.cooldown === undefined ? 0 : parseDuration(rules.cooldown);
  const last = state.lastStartedAt === undefined ? undefined : toMs(state.lastStartedAt);
  const cooldownEnd = last === undefined ? undefined : last + cooldownMs;
  if (cooldownEnd !== undefined && now < cooldownEnd) {
    const left = `cooldown until ${new Date(cooldownEnd).toISOString()}`;
    if (trigger.kind === 'manual')
      return {
        action: 'start',
        reason: 'MANUAL_IGNORES_COOLDOWN',
        message: `manual request during ${left}`,
        clearTrailing: true,
      };
    if (trigger.kind === 'schedule')
      return {
        action: 'suppress',
        reason: 'COOLDOWN',
        message: `scheduled run skipped: ${left}`,
        clearTrailing: false,
      };
    if (state.trailing) {
      return {
        action: 'suppress',
        reason: 'COOLDOWN',
        message: `${left}; collapsed into the armed trailing trigger`,
        trailing: {
          dueAtMs: toMs(state.trailing.dueAt),
          firstSuppressedAtMs: toMs(state.trailing.firstSuppressedAt),
          newlyArmed: false,
        },
        clearTrailing: false,
      };
    }
    const bound =
      rules.maxDelay === undefined ? cooldownEnd : Math.min(cooldownEnd, now + parseDuration(rules.maxDelay));
    return {
      action: 'suppress',
      reason: 'COOLDOWN',
      message: `${left}; trailing trigger armed for ${new Date(bound).toISOString()}`,
      trailing: { dueAtMs: bound, firstSuppressedAtMs: now, newlyArmed: true },
      clearTrailing: false,
    };
  }
  return {
    action: 'start',
    reason: 'CLEAR',
    message: 'no run, no pending approval, outside the cooldown',
    clearTrailing: true,
  };
}
