/**
 * `releaseDeployment` (input `{ event }`, a git.release.pushed event): optional approval gate (the approval
 * mechanism of model promotion), then replace the production job definitions the repo declares with the files
 * at the release commit (before/after recorded), then a smoke run if configured.
 *
 * Invariant: nothing is changed before the approval (when required) is granted; a rejected or expired request
 * ends the run REJECTED with the definitions untouched.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { RunJobInput } from '../../shared/jobs/contract';
import type { ReleaseFinishInput } from '../../shared/pipelines/contract';
import { PIPELINES } from '../../shared/pipelines/names';
import type { CreateApprovalInput } from '../../shared/promotion/messages';
import { approvalFlow, summarizeApproval } from '../promotion/approval-flow';
import { PipelineActivities as PLA } from '../contracts/pipelines';
import { Orchestrators as O } from '../contracts/orchestrators';
import { call, callSub } from '../lib/typed';

const retry = new df.RetryOptions(2_000, 4);
retry.backoffCoefficient = 2;

function* releaseDeployment(
  context: OrchestrationContext,
): Generator<Task, ReleaseFinishInput | { status: 'skipped'; reason: string }, unknown> {
  const input = context.df.getInput<{ event?: unknown } | undefined>();
  const instanceId = context.df.instanceId;
  const plan = yield* call(context, PLA.releasePlan, { event: input?.event, instanceId }, retry);
  if (plan.skip) {
    context.df.setCustomStatus({ step: 'skipped', reason: plan.reason });
    return { status: 'skipped', reason: plan.reason };
  }
  const { git } = plan;
  const finish: ReleaseFinishInput = { instanceId, git, startedAt: plan.startedAt, outcome: 'FAILED', changes: [] };

  if (plan.approval) {
    context.df.setCustomStatus({ step: 'awaiting-approval', repo: git.repo, commit: git.commit });
    const approvalInput: CreateApprovalInput = {
      instanceId,
      kind: 'release-deployment',
      // The approval store is keyed by model/version: a release is "release:<repo>" at its commit.
      model: {
        name: `release:${git.repo}`,
        version: git.commit,
        status: 'READY',
        runId: undefined,
        source: undefined,
        author: git.actor,
        description: `release ${git.branch} of ${git.repo}`,
        tags: {},
        aliases: [],
        currentStage: undefined,
        createdAt: undefined,
        gitCommit: git.commit,
        retrainingRun: undefined,
      },
      trigger: {
        kind: 'promote-requested',
        eventId: instanceId,
        triggeredBy: git.actor,
        requestId: undefined,
        reason: `release ${git.branch}`,
        targetAlias: undefined,
      },
      approval: plan.approval,
      summary: `Release ${git.branch} of ${git.repo} at ${git.commit}: replace ${plan.definitions.length} job definition(s)`,
      notify: plan.approvalNotify ?? [],
    };
    const request = yield* approvalFlow(context, approvalInput, (extra) =>
      context.df.setCustomStatus({ step: 'awaiting-approval', repo: git.repo, commit: git.commit, ...extra }),
    );
    const decided = summarizeApproval(request);
    finish.approval = {
      status: request.status,
      approvalId: request.approvalId,
      votes: decided.votes,
      ...(decided.reason !== undefined ? { reason: decided.reason } : {}),
    };
    if (request.status !== 'approved') {
      finish.outcome = 'REJECTED';
      yield* call(context, PLA.releaseFinish, finish, retry);
      context.df.setCustomStatus({ step: 'done', outcome: finish.outcome, repo: git.repo, commit: git.commit });
      return finish;
    }
  }

  context.df.setCustomStatus({ step: 'updating-jobs', repo: git.repo, commit: git.commit });
  finish.changes = yield* call(context, PLA.releaseApply, { instanceId, git, definitions: plan.definitions }, retry);
  const failed = finish.changes.filter((c) => c.error !== undefined);
  if (failed.length === 0 && plan.smoke) {
    context.df.setCustomStatus({ step: 'smoke-run', repo: git.repo, commit: git.commit });
    const jobInput: RunJobInput = {
      ref: plan.smoke.ref,
      vars: plan.smoke.vars,
      idempotencyKey: `${instanceId}:smoke`,
      label: `release smoke ${git.repo}`,
      timeoutSeconds: plan.smoke.timeoutSeconds,
    };
    try {
      finish.smoke = yield* callSub(context, O.runJob, jobInput, `${instanceId}:smoke`);
    } catch (e) {
      finish.error = `smoke run could not start: ${(e instanceof Error ? e.message : String(e)).slice(0, 500)}`;
    }
  }
  finish.outcome =
    failed.length > 0 ? 'FAILED' : plan.smoke && finish.smoke?.state !== 'SUCCEEDED' ? 'SMOKE_FAILED' : 'DEPLOYED';
  if (failed.length > 0)
    finish.error = `could not update: ${failed.map((c) => `${c.name} (${c.error ?? ''})`).join('; ')}`.slice(0, 1_000);
  yield* call(context, PLA.releaseFinish, finish, retry);
  context.df.setCustomStatus({
    step: 'done',
    outcome: finish.outcome,
    repo: git.repo,
    commit: git.commit,
    changed: finish.changes.filter((c) => c.changed).map((c) => c.name),
  });
  return finish;
}

df.app.orchestration(PIPELINES.release, releaseDeployment);
