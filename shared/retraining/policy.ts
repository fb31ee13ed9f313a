import { parseDuration } from '../decisions/duration';
import { type Policy, type Retraining, tryResolvePolicy } from '../policy';
import { loadPolicy } from '../policy/load';
import type { RetrainingRules } from './rules';

/**
 * The retraining section of a model's effective policy, or why there is none. Read per call (the file is
 * small and may change; the coordinator re-reads it once per generation).
 */
export type RetrainingPolicyResult =
  | { ok: true; retraining: Retraining; rules: RetrainingRules; cooldownMs: number }
  | {
      ok: false;
      code:
        | 'POLICY_UNREADABLE'
        | 'POLICY_NO_MODEL'
        | 'POLICY_INVALID'
        | 'RETRAINING_NOT_CONFIGURED'
        | 'RETRAINING_DISABLED';
      message: string;
    };

export function retrainingFromPolicy(policy: Policy, model: string): RetrainingPolicyResult {
  const r = tryResolvePolicy(policy, model);
  if (!r.ok) return { ok: false, code: r.error.code, message: r.error.message };
  const retraining = r.value.policy.retraining;
  if (!retraining)
    return {
      ok: false,
      code: 'RETRAINING_NOT_CONFIGURED',
      message: `model ${model} has no retraining section in the policy`,
    };
  if (!retraining.enabled)
    return { ok: false, code: 'RETRAINING_DISABLED', message: `retraining is disabled for model ${model}` };
  const rules: RetrainingRules = {
    enabled: true,
    drift: retraining.drift.map((d) => ({
      metric: d.metric,
      threshold: d.threshold,
      n: d.n,
      m: d.m,
      requireLatest: d.requireLatest,
      direction: d.direction,
    })),
    cooldown: retraining.cooldown,
    blockWhilePendingApproval: retraining.blockWhilePendingApproval,
  };
  if (retraining.maxDelay !== undefined) rules.maxDelay = retraining.maxDelay;
  if (retraining.schedule !== undefined) rules.schedule = retraining.schedule;
  return { ok: true, retraining, rules, cooldownMs: parseDuration(retraining.cooldown) };
}

export async function loadRetrainingPolicy(policyPath: string, model: string): Promise<RetrainingPolicyResult> {
  let policy: Policy;
  try {
    policy = await loadPolicy(policyPath);
  } catch (e) {
    return { ok: false, code: 'POLICY_UNREADABLE', message: e instanceof Error ? e.message : String(e) };
  }
  return retrainingFromPolicy(policy, model);
}
