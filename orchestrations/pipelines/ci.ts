/**
 * `ciPipeline` (input `{ event }`, a git.merged event; instance id from provider + repo + commit, so a retried
 * webhook finds this run): fan out the repo's integration suites as jobs, wait for all (each bounded by the
 * pipeline's overall timeout), record each result, write a JUnit report, report the verdict to the provider.
 *
 * Invariants:
 * - Each suite's job is started with the idempotency key `<instanceId>:<suite>`: a replay or a host restart
 *   never starts a second run of a suite.
 * - A suite that cannot even start is an ERROR result, never a failed orchestration: the verdict and the status
 *   report always happen.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { RunJobInput } from '../../shared/jobs/contract';
import type { CiFinishInput, CiOutput, SuiteOutcome } from '../../shared/pipelines/contract';
import { PIPELINES } from '../../shared/pipelines/names';
import { PipelineActivities as PLA } from '../contracts/pipelines';
import { Orchestrators as O } from '../contracts/orchestrators';
import { all, awaitTask, call, subTask } from '../lib/typed';

const retry = new df.RetryOptions(2_000, 4);
retry.backoffCoefficient = 2;

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 1_000);
}

function* ciPipeline(context: OrchestrationContext): Generator<Task, CiOutput, unknown> {
  const input = context.df.getInput<{ event?: unknown } | undefined>();
  const instanceId = context.df.instanceId;
  const plan = yield* call(context, PLA.ciPlan, { event: input?.event, instanceId }, retry);
  if (plan.skip) {
    context.df.setCustomStatus({ step: 'skipped', reason: plan.reason });
    return { status: 'skipped', reason: plan.reason };
  }
  const { git } = plan;
  context.df.setCustomStatus({
    step: 'running',
    repo: git.repo,
    commit: git.commit,
    suites: plan.suites.map((s) => s.name),
  });

  const tasks = plan.suites.map((s) => {
    const jobInput: RunJobInput = {
      ref: s.ref,
      vars: s.vars,
      idempotencyKey: `${instanceId}:${s.name}`,
      label: `ci ${git.repo} ${s.name}`,
      timeoutSeconds: s.timeoutSeconds,
    };
    return subTask(context, O.runJob, jobInput, `${instanceId}:suite:${s.name}`);
  });
  const results: SuiteOutcome[] = [];
  if (tasks.length > 0) {
    try {
      const outs = yield* all(context, tasks);
      outs.forEach((o, i) =>
        results.push({ name: plan.suites[i]!.name, required: plan.suites[i]!.required, state: o.state, job: o }),
      );
    } catch {
      // Task.all fails fast; collect every suite on its own (finished ones answer at once).
      for (const [i, t] of tasks.entries()) {
        const s = plan.suites[i]!;
        try {
          const o = yield* awaitTask(t);
          results.push({ name: s.name, required: s.required, state: o.state, job: o });
        } catch (e) {
          results.push({ name: s.name, required: s.required, state: 'ERROR', error: errorText(e) });
        }
      }
    }
  }
  context.df.setCustomStatus({ step: 'reporting', repo: git.repo, commit: git.commit });
  const finish: CiFinishInput = { instanceId, git, startedAt: plan.startedAt, results };
  const out = yield* call(context, PLA.ciFinish, finish, retry);
  context.df.setCustomStatus({
    step: 'done',
    repo: git.repo,
    commit: git.commit,
    verdict: out.status,
    description: out.verdict?.description,
  });
  return out;
}

df.app.orchestration(PIPELINES.ci, ciPipeline);
