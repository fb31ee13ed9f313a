/**
 * `modelRollback`: input RollbackInput ({ model, toVersion?, reason, requestedBy, requestId }).
 * plan → [approval] → move champion (recorded with who and why) → redeploy per policy → notify → one rollback record.
 *
 * Invariants (a rollback is never an unreviewed promotion):
 * - A refused plan (no previous champion, target not READY, already champion) is recorded and changes nothing.
 * - The champion moves directly only to a version that WAS champion through an approved promotion (plan.standing).
 *   Any other target runs the real promotion (validation + approval, the requester as trigger) as a
 *   sub-orchestration `<id>:promotion`, or is refused `ROLLBACK_TARGET_NOT_APPROVED` (rollback.unapprovedTarget).
 * - `rollback.requireApproval`: the move waits for an approval request of kind 'rollback' (the model's approval
 *   rules, rollback.minApprovals, the requester excluded); not approved → refused, nothing moved.
 * - Every outcome is in the rollback record with its reason and path.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { makeEvent } from '../../shared/events/envelope';
import { EVENT_TYPES } from '../../shared/events/types';
import type { RunJobInput } from '../../shared/jobs/contract';
import { jobTimeoutSeconds } from '../../shared/policy/job-spec';
import type { CreateApprovalInput, NotifyInput } from '../../shared/promotion/messages';
import { ROLLBACK } from '../../shared/promotion/names';
import type { RollbackInput, RollbackRecord } from '../../shared/promotion/rollback';
import type { DeployOutcome } from '../../shared/promotion/types';
import { templateVars } from '../../shared/promotion/vars';
import type { ServingRolloutInput } from '../../shared/serving/types';
import { approvalFlow, summarizeApproval } from '../promotion/approval-flow';
import { PromotionActivities as PA } from '../contracts/promotion';
import { Orchestrators as O } from '../contracts/orchestrators';
import { call, callSub } from '../lib/typed';

const retry = new df.RetryOptions(2_000, 5);
retry.backoffCoefficient = 2;

function* modelRollback(context: OrchestrationContext): Generator<Task, RollbackRecord, unknown> {
  const input = context.df.getInput<RollbackInput>();
  const instanceId = context.df.instanceId;
  const now = () => context.df.currentUtcDateTime.toISOString();
  const startedAt = now();
  const base = {
    model: input.model,
    instanceId,
    requestedBy: input.requestedBy,
    requestReason: input.reason,
    startedAt,
  };
  const finish = function* (
    r: Omit<RollbackRecord, keyof typeof base | 'finishedAt'>,
  ): Generator<Task, RollbackRecord, unknown> {
    const record: RollbackRecord = { ...base, ...r, finishedAt: now() };
    context.df.setCustomStatus({ step: 'record', outcome: record.outcome });
    yield* call(context, PA.rollbackRecord, record, retry);
    context.df.setCustomStatus({
      step: 'done',
      outcome: record.outcome,
      reason: record.reason,
      ...(record.path ? { path: record.path } : {}),
    });
    return record;
  };
  const notify = function* (n: Omit<NotifyInput, 'instanceId' | 'model'>): Generator<Task, void, unknown> {
    try {
      yield* call(context, PA.notify, { ...n, model: input.model, instanceId }, retry);
    } catch {
      // best effort
    }
  };

  context.df.setCustomStatus({ step: 'plan' });
  const plan = yield* call(context, PA.rollbackPlan, input, retry);
  if (!plan.ok)
    return yield* finish({
      outcome: 'refused',
      reason: `${plan.code}: ${plan.reason}`,
      fromVersion: null,
      toVersion: input.toVersion ?? null,
      changes: [],
    });
  const target = plan.target.version;
  const standing = plan.standing.reason;

  // A target never approved as champion: a promotion, not a rollback.
  if (!plan.standing.approvedChampion) {
    const notApproved = `ROLLBACK_TARGET_NOT_APPROVED: ${standing}`;
    if (plan.rollback.unapprovedTarget === 'refuse') {
      return yield* finish({
        outcome: 'refused',
        standing,
        fromVersion: plan.current,
        toVersion: target,
        changes: [],
        reason: `${notApproved}; a rollback only returns to a version approved as ${plan.championRole} before — promote it instead (POST /api/models/${encodeURIComponent(input.model)}/versions/${target}/promote)`,
      });
    }
    context.df.setCustomStatus({ step: 'promotion', to: target, reason: notApproved });
    const event = makeEvent(
      EVENT_TYPES.promoteRequested,
      {
        model: { name: input.model, version: target },
        targetAlias: plan.championRole,
        requestedBy: input.requestedBy,
        requestId: `${input.requestId}:rollback`,
        reason: `rollback: ${input.reason}`,
      },
      { source: '/stagecraft/rollback', time: startedAt },
    );
    const promotionInstanceId = `${instanceId}:promotion`;
    const promoted = yield* callSub(context, O.modelPromotion, { event }, promotionInstanceId);
    const moved = promoted.outcome === 'promoted';
    if (moved)
      yield* notify({
        event: 'model.rolled_back',
        title: `${input.model} rolled back to v${target} (after validation and approval)`,
        text: `${input.requestedBy}: ${input.reason}`,
        facts: { from: promoted.previousChampion ?? '(none)', to: target, promotion: promotionInstanceId },
      });
    return yield* finish({
      outcome: moved
        ? promoted.deploy && !['SKIPPED', 'SUCCEEDED'].includes(promoted.deploy.state)
          ? 'failed'
          : 'rolled-back'
        : 'refused',
      path: 'promotion',
      standing,
      promotionInstanceId,
      reason: `${notApproved}; ran validation and approval as promotion ${promotionInstanceId}: ${promoted.outcome} (${promoted.reason})`,
      fromVersion: moved ? (promoted.previousChampion ?? null) : plan.current,
      toVersion: target,
      changes: promoted.aliasChanges ?? [],
      ...(promoted.approval ? { approval: promoted.approval } : {}),
      ...(promoted.deploy ? { deploy: promoted.deploy } : {}),
    });
  }

  // Policy may require N-of-M even for a rollback to an approved former champion.
  let path: RollbackRecord['path'] = 'direct';
  let approvalSummary: RollbackRecord['approval'];
  const approvers: string[] = [];
  if (plan.rollback.requireApproval) {
    path = 'approval';
    context.df.setCustomStatus({ step: 'approval', to: target });
    const approvalInput: CreateApprovalInput = {
      instanceId,
      kind: 'rollback',
      model: plan.target,
      trigger: {
        kind: 'promote-requested',
        eventId: input.requestId,
        triggeredBy: input.requestedBy,
        requestId: input.requestId,
        reason: input.reason,
        targetAlias: plan.championRole,
      },
      // The model's approvers and timing; the requester never approves their own rollback; the target's author was
      // already reviewed when it became champion, so an unknown author adds nothing here.
      approval: {
        ...plan.approval,
        required: true,
        minApprovals: plan.rollback.minApprovals ?? plan.approval.minApprovals,
        excludeTrigger: true,
        unknownAuthor: 'allow',
      },
      summary: `Rollback of ${input.model} from v${plan.current ?? '(none)'} to v${target}, requested by ${input.requestedBy}: ${input.reason} (${standing})`,
      notify: plan.notify,
    };
    const request = yield* approvalFlow(context, approvalInput, (extra) =>
      context.df.setCustomStatus({ step: 'approval', to: target, ...extra }),
    );
    approvalSummary = summarizeApproval(request);
    if (request.status !== 'approved') {
      const why = `rollback approval ${request.status}${request.reason ? ` (${request.reason})` : ''}`;
      yield* notify({
        event: 'approval.decided',
        title: `Rollback of ${input.model} to v${target} was not approved`,
        text: why,
      });
      return yield* finish({
        outcome: 'refused',
        path,
        standing,
        reason: `ROLLBACK_NOT_APPROVED: ${why}`,
        fromVersion: plan.current,
        toVersion: target,
        changes: [],
        approval: approvalSummary,
      });
    }
    approvers.push(...approvalSummary.votes.filter((v) => v.verdict === 'approve').map((v) => v.approver));
  }

  context.df.setCustomStatus({ step: 'move', to: target });
  const actor = approvers.length ? `${input.requestedBy} (approved by ${approvers.join(', ')})` : input.requestedBy;
  const moved = yield* call(
    context,
    PA.rollbackApply,
    { instanceId, model: input.model, version: target, promotion: plan.promotion, actor, reason: input.reason },
    retry,
  );

  context.df.setCustomStatus({ step: 'deploy', action: plan.deploy.action });
  let deploy: DeployOutcome = { action: plan.deploy.action, state: 'SKIPPED' };
  if (plan.deploy.action === 'serving-endpoint' && !plan.deploy.job) {
    // Stagecraft-managed endpoint: switch straight to the target version (no split, no gate); a failed update
    // restores the config that served before. The record keeps both configs.
    const rolloutInput: ServingRolloutInput = {
      promotionInstanceId: instanceId,
      model: plan.target,
      endpoint: plan.deploy.endpoint,
      deploy: plan.deploy,
      abChecks: [],
      direct: true,
    };
    const started = now();
    const rollout = yield* callSub(context, O.servingRollout, rolloutInput, `${instanceId}:serving`);
    deploy = {
      action: 'serving-endpoint',
      state: rollout.state === 'SUCCEEDED' ? 'SUCCEEDED' : rollout.state === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED',
      runRef: `serving-endpoint:${plan.deploy.endpoint}`,
      resultSummary: rollout.reason,
      startedAt: started,
      finishedAt: now(),
      serving: rollout,
    };
  } else if (plan.deploy.action !== 'none' && plan.deploy.job) {
    try {
      const vars = templateVars(
        plan.target,
        {
          kind: 'promote-requested',
          eventId: input.requestId,
          triggeredBy: input.requestedBy,
          requestId: input.requestId,
          reason: input.reason,
          targetAlias: plan.championRole,
        },
        instanceId,
      );
      const timeoutSeconds = jobTimeoutSeconds(plan.deploy.job);
      const jobInput: RunJobInput = {
        ref: { kind: 'deploy', model: input.model },
        vars,
        idempotencyKey: `${instanceId}:deploy`,
        label: `redeploy ${input.model} v${target}`,
        timeoutSeconds,
        pollInitialSeconds: Math.min(5, Math.max(1, timeoutSeconds / 20)),
      };
      const out = yield* callSub(context, O.runJob, jobInput, `${instanceId}:deploy`);
      deploy = {
        action: plan.deploy.action,
        state: out.state,
        runRef: out.runRef,
        startedAt: out.startedAt,
        finishedAt: out.finishedAt,
        ...(out.resultSummary !== undefined ? { resultSummary: out.resultSummary } : {}),
      };
    } catch (e) {
      deploy = {
        action: plan.deploy.action,
        state: 'FAILED',
        resultSummary: e instanceof Error ? e.message.slice(0, 500) : 'redeploy failed',
      };
    }
  }

  yield* notify({
    event: 'model.rolled_back',
    title: `${input.model} rolled back to v${target}`,
    text: `${input.requestedBy}: ${input.reason}`,
    facts: {
      from: moved.previousChampion ?? '(none)',
      to: target,
      deploy: deploy.state,
      allowed: standing,
      ...(approvers.length ? { approvedBy: approvers.join(', ') } : {}),
    },
  });
  const ok = deploy.state === 'SKIPPED' || deploy.state === 'SUCCEEDED';
  return yield* finish({
    outcome: ok ? 'rolled-back' : 'failed',
    path,
    standing,
    reason: ok ? `champion moved to v${target}` : `champion moved to v${target} but redeploy ended ${deploy.state}`,
    fromVersion: moved.previousChampion,
    toVersion: target,
    changes: moved.changes,
    deploy,
    ...(approvalSummary ? { approval: approvalSummary } : {}),
  });
}

df.app.orchestration(ROLLBACK, modelRollback);
