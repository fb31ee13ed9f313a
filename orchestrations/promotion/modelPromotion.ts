/**
 * `modelPromotion`: validate a new model version, gate, ask for approval, promote, deploy and record it all.
 * Input `{ event }`: a model.version.created or promote.requested StagecraftEvent (see shared/router/plan.ts).
 *
 * Steps (custom status `step` names them): load → validate → report → gate → challenger → approval → promote →
 * deploy → publish → record → done. Every run ends with ONE promotion record, whatever the outcome.
 * Decisions are pure functions from shared/decisions; every read and write is an activity.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { AnyStagecraftEvent } from '../../shared/events';
import { unknownAuthorEffect } from '../../shared/decisions/approval';
import { validationVerdict, type ValidationVerdict } from '../../shared/decisions/verdict';
import { rulesFromPolicy } from '../../shared/approvals/model';
import type { RunJobInput } from '../../shared/jobs/contract';
import { jobTimeoutSeconds } from '../../shared/policy/job-spec';
import type { NotifyEvent } from '../../shared/policy';
import type {
  CreateApprovalInput,
  NotifyInput,
  PromoteInput,
  PromotionCheckInput,
  PublishPromotedInput,
  SetChallengerInput,
  WriteReportInput,
} from '../../shared/promotion/messages';
import { PROMOTION } from '../../shared/promotion/names';
import type {
  DeployOutcome,
  LoadContextResult,
  PromotionOutcome,
  PromotionRecord,
  ReportLinks,
} from '../../shared/promotion/types';
import { templateVars } from '../../shared/promotion/vars';
import { type AbTestCheck, type ServingRolloutInput } from '../../shared/serving/types';
import { approvalFlow, summarizeApproval } from './approval-flow';
import { deploymentJobTagValue, type DeploymentJobTagResult } from '../../shared/registry/deployment-job';
import { PromotionActivities as PA } from '../contracts/promotion';
import { Orchestrators as O } from '../contracts/orchestrators';
import { all, call, callSub, subTask } from '../lib/typed';

const retry = new df.RetryOptions(2_000, 5);
retry.backoffCoefficient = 2;

const FAILURE_OUTCOME: Record<Exclude<LoadContextResult, { ok: true }>['code'], PromotionOutcome> = {
  VERSION_NOT_READY: 'not-ready',
  VERSION_NOT_FOUND: 'failed',
  POLICY_NO_MODEL: 'no-policy',
  POLICY_INVALID: 'invalid-policy',
  EVENT_INVALID: 'failed',
};

function* modelPromotion(context: OrchestrationContext): Generator<Task, PromotionRecord, unknown> {
  const input = context.df.getInput<{ event: AnyStagecraftEvent } | undefined>();
  const instanceId = context.df.instanceId;
  const now = () => context.df.currentUtcDateTime.toISOString();
  const steps: PromotionRecord['steps'] = [];
  const status: Record<string, unknown> = {};
  const show = (extra: Record<string, unknown>) => {
    Object.assign(status, extra);
    context.df.setCustomStatus({ ...status });
  };
  const step = (name: string, extra: Record<string, unknown> = {}) => {
    steps.push({ step: name, at: now() });
    show({ step: name, ...extra });
  };
  const startedAt = now();

  const finish = function* (
    record: Omit<PromotionRecord, 'promotionId' | 'instanceId' | 'startedAt' | 'finishedAt' | 'steps'>,
  ): Generator<Task, PromotionRecord, unknown> {
    step('record', { outcome: record.outcome });
    const full: PromotionRecord = {
      promotionId: instanceId,
      instanceId,
      startedAt,
      finishedAt: now(),
      steps,
      ...record,
    };
    yield* call(context, PA.writeRecord, full, retry);
    step('done', { outcome: record.outcome, reason: record.reason });
    return full;
  };

  // 1. Load the policy and the model version.
  step('load');
  const loaded = yield* call(context, PA.loadContext, { event: input?.event, instanceId }, retry);
  if (!loaded.ok) {
    return yield* finish({
      outcome: FAILURE_OUTCOME[loaded.code],
      reason: `${loaded.code}: ${loaded.reason}`,
      model: loaded.model?.name ?? 'unknown',
      version: loaded.model?.version ?? 'unknown',
      validations: [],
      ...(loaded.trigger ? { trigger: loaded.trigger } : {}),
    });
  }
  const { model, policy: resolved, trigger } = loaded;
  const policy = resolved.policy;
  const base = {
    model: model.name,
    version: model.version,
    ...(model.runId !== undefined ? { runId: model.runId } : {}),
    ...(model.gitCommit !== undefined ? { gitCommit: model.gitCommit } : {}),
    ...(model.retrainingRun !== undefined ? { retrainingRun: model.retrainingRun } : {}),
    ...(model.author !== undefined ? { author: model.author } : {}),
    authorSource: model.authorSource ?? (model.author !== undefined ? 'event' : 'unknown'),
    trigger,
    dryRun: resolved.dryRun,
  };
  const vars = templateVars(model, trigger, instanceId);
  const notify = function* (
    event: NotifyEvent,
    title: string,
    text: string,
    extra: Partial<NotifyInput> = {},
  ): Generator<Task, void, unknown> {
    const n: NotifyInput = { event, model: model.name, title, text, instanceId, ...extra };
    try {
      yield* call(context, PA.notify, n, retry);
    } catch {
      // Notifications are best effort; the record says what happened.
    }
  };

  // 2. Fan out every enabled validation; each records its own result. ab-test checks gate a serving rollout instead.
  const servingRollout = policy.deploy.action === 'serving-endpoint' && !policy.deploy.job ? policy.deploy : undefined;
  const checks = Object.entries(policy.validations).filter(
    ([, c]) => c.enabled && !(servingRollout && c.type === 'ab-test'),
  );
  step('validate', { checks: checks.map(([id]) => id) });
  const tasks = checks.map(([id, check]) => {
    const ci: PromotionCheckInput = {
      promotionInstanceId: instanceId,
      id,
      check,
      model,
      promotion: policy.promotion,
      vars,
    };
    return subTask(context, O.promotionCheck, ci, `${instanceId}:check:${id}`);
  });
  const results = tasks.length ? yield* all(context, tasks) : [];

  // 3. Report, then gate.
  const verdict: ValidationVerdict = validationVerdict(results, { dryRun: resolved.dryRun });
  step('report', { verdict: verdict.summary });
  const reportInput: WriteReportInput = { instanceId, model, dryRun: resolved.dryRun, verdict, results };
  let report: ReportLinks | undefined;
  try {
    report = yield* call(context, PA.writeReport, reportInput, retry);
  } catch {
    report = undefined;
  }
  const reportExtra = report ? { link: report.html } : {};
  step('gate', { gate: verdict.gate });
  if (verdict.gate === 'blocked') {
    yield* notify(
      'validation.failed',
      `${model.name} v${model.version} failed validation`,
      verdict.summary,
      reportExtra,
    );
    return yield* finish({
      ...base,
      outcome: 'blocked',
      reason: verdict.summary,
      verdict,
      validations: results,
      ...(report ? { report } : {}),
    });
  }
  yield* notify('validation.passed', `${model.name} v${model.version} passed validation`, verdict.summary, reportExtra);

  // An unknown author under `unknownAuthor: block` stops here, before any alias moves: excludeAuthor cannot be enforced.
  const authorEffect = unknownAuthorEffect(
    rulesFromPolicy(policy.approval),
    base.authorSource,
    policy.approval.unknownAuthor,
    trigger.triggeredBy !== undefined ? { triggeredBy: trigger.triggeredBy } : {},
  );
  if (authorEffect.action === 'block') {
    yield* notify(
      'approval.decided',
      `${model.name} v${model.version} cannot be approved: author unknown`,
      authorEffect.reason,
      reportExtra,
    );
    return yield* finish({
      ...base,
      outcome: 'blocked',
      reason: authorEffect.reason,
      verdict,
      validations: results,
      ...(report ? { report } : {}),
    });
  }

  // 4. Challenger.
  step('challenger');
  const challengerInput: SetChallengerInput = {
    instanceId,
    model: model.name,
    version: model.version,
    promotion: policy.promotion,
  };
  const challenger = yield* call(context, PA.setChallenger, challengerInput, retry);

  // 5. Approval.
  step('approval');
  const approvalInput: CreateApprovalInput = {
    instanceId,
    model,
    trigger,
    approval: policy.approval,
    summary: `${model.name} v${model.version}: ${verdict.summary}`,
    notify: policy.notify,
    ...(report ? { reportUrl: report.html } : {}),
  };
  const approval = yield* approvalFlow(context, approvalInput, show);
  const approvalSummary = summarizeApproval(approval);
  // Unity Catalog deployment job: the decision becomes the approval task's version tag (shared/registry/deployment-job).
  const jobTagValue =
    policy.approval.deploymentJobTag !== undefined ? deploymentJobTagValue(approval.status) : undefined;
  let deploymentJobTag: DeploymentJobTagResult | undefined;
  if (jobTagValue !== undefined && policy.approval.deploymentJobTag !== undefined) {
    const tag = policy.approval.deploymentJobTag;
    try {
      deploymentJobTag = yield* call(
        context,
        PA.deploymentJobTag,
        { model: model.name, version: model.version, tag, value: jobTagValue },
        retry,
      );
    } catch (e) {
      // The decision stands; the record says the tag could not be written.
      deploymentJobTag = {
        tag,
        value: jobTagValue,
        set: false,
        at: now(),
        error: e instanceof Error ? e.message.slice(0, 300) : 'the tag could not be written',
      };
    }
  }
  const jobTagExtra = deploymentJobTag ? { deploymentJobTag } : {};
  if (approval.status !== 'approved') {
    const outcome: PromotionOutcome =
      approval.status === 'expired' ? 'expired' : approval.status === 'cancelled' ? 'cancelled' : 'rejected';
    yield* notify(
      'approval.decided',
      `${model.name} v${model.version} was not approved`,
      `approval ${approval.status}${approval.reason ? ` (${approval.reason})` : ''}`,
      reportExtra,
    );
    return yield* finish({
      ...base,
      outcome,
      reason: `approval ${approval.status}${approval.reason ? ` (${approval.reason})` : ''}`,
      verdict,
      validations: results,
      approval: approvalSummary,
      aliasChanges: challenger.changes,
      aliasBefore: challenger.aliasBefore,
      aliasAfter: challenger.aliasAfter,
      ...jobTagExtra,
      ...(report ? { report } : {}),
    });
  }
  if (approvalSummary.required)
    yield* notify(
      'approval.decided',
      `${model.name} v${model.version} approved`,
      approvalSummary.votes.map((v) => `${v.approver}: ${v.verdict}`).join(', '),
      reportExtra,
    );

  // 6a. A serving rollout runs before the champion moves: the alias names what serves 100 %.
  let deploy: DeployOutcome = { action: policy.deploy.action, state: 'SKIPPED' };
  if (servingRollout) {
    step('deploy', { action: policy.deploy.action, endpoint: servingRollout.endpoint });
    const abChecks = Object.entries(policy.validations).filter(
      (e): e is [string, AbTestCheck] => e[1].enabled && e[1].type === 'ab-test',
    );
    const rolloutInput: ServingRolloutInput = {
      promotionInstanceId: instanceId,
      model,
      endpoint: servingRollout.endpoint,
      deploy: servingRollout,
      abChecks,
    };
    const startedDeploy = now();
    const rollout = yield* callSub(context, O.servingRollout, rolloutInput, `${instanceId}:serving`);
    deploy = {
      action: 'serving-endpoint',
      state: rollout.state === 'SUCCEEDED' ? 'SUCCEEDED' : rollout.state === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED',
      runRef: `serving-endpoint:${servingRollout.endpoint}`,
      resultSummary: rollout.reason,
      startedAt: startedDeploy,
      finishedAt: now(),
      serving: rollout,
    };
    if (rollout.state !== 'SUCCEEDED') {
      yield* notify(
        'deploy.failed',
        `rollout of ${model.name} v${model.version} to ${servingRollout.endpoint} ${rollout.state}`,
        `${rollout.reason}${rollout.restored === undefined ? '' : rollout.restored ? ' (previous config restored)' : ' (previous config NOT restored)'}`,
      );
      return yield* finish({
        ...base,
        outcome: rollout.state === 'GATE_FAILED' ? 'blocked' : 'failed',
        reason: rollout.reason,
        verdict,
        validations: [...results, ...rollout.ab],
        approval: approvalSummary,
        aliasChanges: challenger.changes,
        aliasBefore: challenger.aliasBefore,
        aliasAfter: challenger.aliasAfter,
        deploy,
        ...(report ? { report } : {}),
      });
    }
    results.push(...rollout.ab);
  }

  // 6. Promote.
  step('promote');
  const approvers = approvalSummary.votes.filter((v) => v.verdict === 'approve').map((v) => v.approver);
  const promoteInput: PromoteInput = {
    instanceId,
    model: model.name,
    version: model.version,
    promotion: policy.promotion,
    actor: approvers.join(', ') || 'stagecraft',
    reason: `promotion ${instanceId}`,
  };
  const promoted = yield* call(context, PA.promote, promoteInput, retry);

  // 7. Deploy per policy (a deploy job; a serving rollout already ran).
  if (!servingRollout) step('deploy', { action: policy.deploy.action });
  if (policy.deploy.action !== 'none' && policy.deploy.job) {
    try {
      const timeoutSeconds = jobTimeoutSeconds(policy.deploy.job);
      const jobInput: RunJobInput = {
        ref: { kind: 'deploy', model: model.name },
        vars,
        idempotencyKey: `${instanceId}:deploy`,
        label: `deploy ${model.name} v${model.version}`,
        timeoutSeconds,
        pollInitialSeconds: Math.min(5, Math.max(1, timeoutSeconds / 20)),
      };
      const out = yield* callSub(context, O.runJob, jobInput, `${instanceId}:deploy`);
      deploy = {
        action: policy.deploy.action,
        state: out.state,
        runRef: out.runRef,
        startedAt: out.startedAt,
        finishedAt: out.finishedAt,
        ...(out.resultSummary !== undefined ? { resultSummary: out.resultSummary } : {}),
        ...(out.outputTail !== undefined ? { outputTail: out.outputTail } : {}),
      };
    } catch (e) {
      deploy = {
        action: policy.deploy.action,
        state: 'FAILED',
        resultSummary: e instanceof Error ? e.message.slice(0, 500) : 'deployment failed',
      };
    }
    if (deploy.state !== 'SUCCEEDED')
      yield* notify(
        'deploy.failed',
        `deployment of ${model.name} v${model.version} ${deploy.state}`,
        deploy.resultSummary ?? deploy.state,
      );
  }

  // 8. Publish `model promoted`.
  step('publish');
  const championAlias = policy.promotion.mode === 'stages' ? 'Production' : policy.promotion.championAlias;
  const publishInput: PublishPromotedInput = {
    model: model.name,
    version: model.version,
    alias: championAlias,
    previousVersion: promoted.previousChampion,
    promotionId: instanceId,
    promotedAt: now(),
  };
  let eventPublished = false;
  try {
    const published = yield* call(context, PA.publishPromoted, publishInput, retry);
    eventPublished = published.published;
  } catch {
    eventPublished = false;
  }
  yield* notify(
    'model.promoted',
    `${model.name} v${model.version} is now ${championAlias}`,
    promoted.previousChampion ? `previous: v${promoted.previousChampion}` : 'first champion',
    reportExtra,
  );

  // 9. One record joining everything.
  return yield* finish({
    ...base,
    outcome: 'promoted',
    reason: `approved by ${approvers.join(', ') || (approvalSummary.required ? 'deadline policy' : 'policy (no approval required)')}`,
    verdict,
    validations: results,
    approval: approvalSummary,
    aliasBefore: challenger.aliasBefore,
    aliasAfter: promoted.aliasAfter,
    previousChampion: promoted.previousChampion,
    aliasChanges: [...challenger.changes, ...promoted.changes],
    deploy,
    ...jobTagExtra,
    eventPublished,
    ...(report ? { report } : {}),
  });
}

df.app.orchestration(PROMOTION, modelPromotion);
