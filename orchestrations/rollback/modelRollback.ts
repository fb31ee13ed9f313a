/**
 * `modelRollback`: input RollbackInput ({ model, toVersion?, reason, requestedBy, requestId }).
 * plan → move champion (recorded with who and why) → redeploy per policy → notify → one rollback record.
 * A refused plan (no previous champion, target not READY, already champion) is recorded and changes nothing.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { RUN_JOB, type RunJobInput, type RunJobOutput } from '../../shared/jobs/contract';
import { jobTimeoutSeconds } from '../../shared/policy/job-spec';
import type { NotifyInput } from '../../shared/promotion/messages';
import { PROMOTION_ACTIVITIES as A, ROLLBACK } from '../../shared/promotion/names';
import type { RollbackInput, RollbackPlan, RollbackRecord } from '../../shared/promotion/rollback';
import type { AliasChange, DeployOutcome } from '../../shared/promotion/types';
import { templateVars } from '../../shared/promotion/vars';

const retry = new df.RetryOptions(2_000, 5);
retry.backoffCoefficient = 2;

function* modelRollback(context: OrchestrationContext): Generator<Task, RollbackRecord, unknown> {
  const input = context.df.getInput<RollbackInput>();
  const instanceId = context.df.instanceId;
  const now = () => context.df.currentUtcDateTime.toISOString();
  const startedAt = now();
  const base = { model: input.model, instanceId, requestedBy: input.requestedBy, requestReason: input.reason, startedAt };
  const finish = function* (r: Omit<RollbackRecord, keyof typeof base | 'finishedAt'>): Generator<Task, RollbackRecord, unknown> {
    const record: RollbackRecord = { ...base, ...r, finishedAt: now() };
    context.df.setCustomStatus({ step: 'record', outcome: record.outcome });
    yield context.df.callActivityWithRetry(A.rollbackRecord, retry, record);
    context.df.setCustomStatus({ step: 'done', outcome: record.outcome, reason: record.reason });
    return record;
  };

  context.df.setCustomStatus({ step: 'plan' });
  const plan = (yield context.df.callActivityWithRetry(A.rollbackPlan, retry, input)) as RollbackPlan;
  if (!plan.ok) return yield* finish({ outcome: 'refused', reason: `${plan.code}: ${plan.reason}`, fromVersion: null, toVersion: input.toVersion ?? null, changes: [] });

  context.df.setCustomStatus({ step: 'move', to: plan.target.version });
  const moved = (yield context.df.callActivityWithRetry(A.rollbackApply, retry, { instanceId, model: input.model, version: plan.target.version, promotion: plan.promotion, actor: input.requestedBy, reason: input.reason })) as { changes: AliasChange[]; previousChampion: string | null };

  context.df.setCustomStatus({ step: 'deploy', action: plan.deploy.action });
  let deploy: DeployOutcome = { action: plan.deploy.action, state: 'SKIPPED' };
  if (plan.deploy.action !== 'none') {
    try {
      const vars = templateVars(plan.target, { kind: 'promote-requested', eventId: input.requestId, triggeredBy: input.requestedBy, requestId: input.requestId, reason: input.reason, targetAlias: plan.championRole }, instanceId);
      const timeoutSeconds = jobTimeoutSeconds(plan.deploy.job);
      const jobInput: RunJobInput = { ref: { kind: 'deploy', model: input.model }, vars, idempotencyKey: `${instanceId}:deploy`, label: `redeploy ${input.model} v${plan.target.version}`, timeoutSeconds, pollInitialSeconds: Math.min(5, Math.max(1, timeoutSeconds / 20)) };
      const out = (yield context.df.callSubOrchestrator(RUN_JOB, jobInput, `${instanceId}:deploy`)) as RunJobOutput;
      deploy = { action: plan.deploy.action, state: out.state, runRef: out.runRef, startedAt: out.startedAt, finishedAt: out.finishedAt, ...(out.resultSummary !== undefined ? { resultSummary: out.resultSummary } : {}) };
    } catch (e) {
      deploy = { action: plan.deploy.action, state: 'FAILED', resultSummary: e instanceof Error ? e.message.slice(0, 500) : 'redeploy failed' };
    }
  }

  const n: NotifyInput = {
    event: 'model.rolled_back',
    model: input.model,
    title: `${input.model} rolled back to v${plan.target.version}`,
    text: `${input.requestedBy}: ${input.reason}`,
    facts: { from: moved.previousChampion ?? '(none)', to: plan.target.version, deploy: deploy.state },
    instanceId,
  };
  try {
    yield context.df.callActivityWithRetry(A.notify, retry, n);
  } catch {
    // best effort
  }
  const ok = deploy.state === 'SKIPPED' || deploy.state === 'SUCCEEDED';
  return yield* finish({
    outcome: ok ? 'rolled-back' : 'failed',
    reason: ok ? `champion moved to v${plan.target.version}` : `champion moved to v${plan.target.version} but redeploy ended ${deploy.state}`,
    fromVersion: moved.previousChampion,
    toVersion: plan.target.version,
    changes: moved.changes,
    deploy,
  });
}

df.app.orchestration(ROLLBACK, modelRollback);
