/** Activities of `ciPipeline`: plan (policy → suites, pending status), finish (records, JUnit, verdict, status). */
import type { InvocationContext } from '@azure/functions';
import { ciVerdict } from '../../../shared/decisions/ci';
import { loadPolicy } from '../../../shared/policy/load';
import type { CiFinishInput, CiOutput, CiPlan, GitContext } from '../../../shared/pipelines/contract';
import { type JUnitCase, junitXml } from '../../../shared/pipelines/junit';
import { PIPELINES } from '../../../shared/pipelines/names';
import { planCi } from '../../../shared/pipelines/plan';
import { blobSegment, reportsStore, runLink } from '../../../shared/pipelines/reports';
import { runsSettings } from '../../../shared/runs/settings';
import { type RunStep, runStepStore } from '../../../shared/runs/store';
import { type ReportState, type VcsTarget, reportStatus, vcsSettings } from '../../../shared/vcs';
import { PipelineActivities } from '../../contracts/pipelines';
import { registerActivity } from '../register';

function target(git: GitContext): VcsTarget {
  return git.provider === 'github'
    ? { provider: 'github', repo: git.repo, sha: git.commit }
    : {
        provider: 'azure-devops',
        repo: git.repo,
        sha: git.commit,
        ...(git.pullRequest !== undefined ? { pullRequestId: git.pullRequest } : {}),
      };
}

/** Reports a status; never throws (a failed report is recorded, it does not change the CI verdict). */
async function report(
  git: GitContext,
  instanceId: string,
  state: ReportState,
  description: string,
  ctx: InvocationContext,
): Promise<CiOutput['report']> {
  const settings = vcsSettings();
  const link = runLink(runsSettings(), instanceId);
  try {
    const out = await reportStatus(
      target(git),
      { state, description, context: settings.github.context, ...(link ? { targetUrl: link } : {}) },
      settings,
    );
    if (!out.reported) ctx.warn('CI status not reported', { instanceId, provider: git.provider, reason: out.detail });
    else ctx.info('CI status reported', { instanceId, provider: git.provider, state });
    return out;
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    ctx.warn('CI status report failed', { instanceId, provider: git.provider, error: detail });
    return { reported: false, detail: `report failed: ${detail}` };
  }
}

registerActivity(PipelineActivities.ciPlan, {
  handler: async (input: { event: unknown; instanceId: string }, ctx: InvocationContext): Promise<CiPlan> => {
    const settings = runsSettings();
    const now = new Date().toISOString();
    const plan = planCi(await loadPolicy(settings.policyPath), input.event, input.instanceId, now);
    const step: RunStep = plan.skip
      ? {
          instanceId: input.instanceId,
          name: 'plan',
          at: now,
          workflow: PIPELINES.ci,
          kind: 'ci.plan',
          status: 'skipped',
          title: `CI skipped: ${plan.reason}`,
        }
      : {
          instanceId: input.instanceId,
          name: 'plan',
          at: now,
          workflow: PIPELINES.ci,
          kind: 'ci.plan',
          status: 'planned',
          title: `CI of ${plan.git.repo}@${plan.git.commit.slice(0, 12)} (${plan.git.branch}): ${plan.suites.length} suite(s)`,
          data: {
            git: plan.git,
            suites: plan.suites.map((s) => ({
              name: s.name,
              required: s.required,
              runner: s.runner,
              timeoutSeconds: s.timeoutSeconds,
            })),
            timeoutSeconds: plan.timeoutSeconds,
          },
        };
    await runStepStore(settings).upsert([step]);
    if (!plan.skip) {
      await report(plan.git, input.instanceId, 'pending', `${plan.suites.length} suite(s) running`, ctx);
    } else {
      ctx.info('CI skipped', { instanceId: input.instanceId, reason: plan.reason });
    }
    return plan;
  },
});

registerActivity(PipelineActivities.ciFinish, {
  handler: async (input: CiFinishInput, ctx: InvocationContext): Promise<CiOutput> => {
    const settings = runsSettings();
    const now = new Date().toISOString();
    const verdict = ciVerdict(
      input.results.map((r) => ({
        name: r.name,
        state: r.state,
        required: r.required,
        ...(r.error ? { message: r.error } : {}),
      })),
    );
    const steps: RunStep[] = input.results.map((r) => ({
      instanceId: input.instanceId,
      name: `suite-${r.name}`,
      at: r.job?.finishedAt ?? now,
      workflow: PIPELINES.ci,
      kind: 'ci.suite',
      status: r.state,
      title: `suite ${r.name}${r.required ? '' : ' (optional)'}: ${r.state}${r.job?.resultSummary ? ` - ${r.job.resultSummary}` : r.error ? ` - ${r.error}` : ''}`,
      data: {
        required: r.required,
        runRef: r.job?.runRef,
        startedAt: r.job?.startedAt,
        finishedAt: r.job?.finishedAt,
        resultSummary: r.job?.resultSummary,
        outputTail: r.job?.outputTail,
        error: r.error,
      },
    }));
    const out: CiOutput = { status: verdict.state, verdict };
    const store = reportsStore(settings);
    if (store) {
      const cases: JUnitCase[] = input.results.map((r) => {
        const c: JUnitCase = {
          name: r.name,
          state: r.state,
          required: r.required,
          durationMs: r.job ? Math.max(0, Date.parse(r.job.finishedAt) - Date.parse(r.job.startedAt)) : 0,
        };
        const message = r.job?.resultSummary ?? r.error;
        if (message) c.message = message;
        if (r.job?.outputTail) c.output = r.job.outputTail;
        return c;
      });
      const path = `ci/${blobSegment(input.instanceId)}/junit.xml`;
      await store.putXml(path, junitXml(`${input.git.repo}@${input.git.commit}`, input.startedAt, cases));
      out.junitPath = `${settings.reportsContainer}/${path}`;
    } else {
      ctx.warn('JUnit report not written: no storage configured', { instanceId: input.instanceId });
    }
    out.report = await report(input.git, input.instanceId, verdict.state, verdict.description, ctx);
    steps.push({
      instanceId: input.instanceId,
      name: 'verdict',
      at: now,
      workflow: PIPELINES.ci,
      kind: 'ci.verdict',
      status: verdict.state,
      title: `CI ${verdict.state}: ${verdict.description}; status ${out.report?.reported ? 'reported' : `not reported (${out.report?.detail ?? ''})`}`,
      data: { verdict, junitPath: out.junitPath, report: out.report },
    });
    await runStepStore(settings).upsert(steps);
    ctx.info('CI finished', {
      instanceId: input.instanceId,
      repo: input.git.repo,
      commit: input.git.commit,
      verdict: verdict.state,
    });
    return out;
  },
});
