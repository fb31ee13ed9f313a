/** Activities of `releaseDeployment`: plan, apply the job definitions (before/after), record the outcome. */
import type { InvocationContext } from '@azure/functions';
import { loadPolicy } from '../../../shared/policy/load';
import type {
  DefinitionChange,
  ReleaseApplyInput,
  ReleaseFinishInput,
  ReleasePlan,
} from '../../../shared/pipelines/contract';
import { PIPELINES } from '../../../shared/pipelines/names';
import { planRelease } from '../../../shared/pipelines/plan';
import { applyDefinition } from '../../../shared/pipelines/release';
import { blobSegment, reportsStore } from '../../../shared/pipelines/reports';
import { pipelinesSettings } from '../../../shared/pipelines/settings';
import { runsSettings } from '../../../shared/runs/settings';
import { type RunStep, runStepStore } from '../../../shared/runs/store';
import { repoFileSource, vcsSettings } from '../../../shared/vcs';
import { PipelineActivities } from '../../contracts/pipelines';
import { registerActivity } from '../register';

registerActivity(PipelineActivities.releasePlan, {
  handler: async (input: { event: unknown; instanceId: string }, ctx: InvocationContext): Promise<ReleasePlan> => {
    const settings = runsSettings();
    const now = new Date().toISOString();
    const plan = planRelease(await loadPolicy(settings.policyPath), input.event, input.instanceId, now);
    await runStepStore(settings).upsert([
      plan.skip
        ? {
            instanceId: input.instanceId,
            name: 'plan',
            at: now,
            workflow: PIPELINES.release,
            kind: 'release.plan',
            status: 'skipped',
            title: `release skipped: ${plan.reason}`,
          }
        : {
            instanceId: input.instanceId,
            name: 'plan',
            at: now,
            workflow: PIPELINES.release,
            kind: 'release.plan',
            status: 'planned',
            title: `release ${plan.git.branch} of ${plan.git.repo}@${plan.git.commit.slice(0, 12)}: ${plan.definitions.length} job definition(s)${plan.smoke ? ', smoke run' : ''}${plan.approval ? ', approval required' : ''}`,
            data: {
              git: plan.git,
              definitions: plan.definitions,
              smoke: plan.smoke !== undefined,
              approval: plan.approval !== undefined,
            },
          },
    ]);
    ctx.info('release planned', { instanceId: input.instanceId, skip: plan.skip });
    return plan;
  },
});

registerActivity(PipelineActivities.releaseApply, {
  handler: async (input: ReleaseApplyInput, ctx: InvocationContext): Promise<DefinitionChange[]> => {
    const settings = runsSettings();
    const p = pipelinesSettings();
    const deps = {
      source: repoFileSource(vcsSettings(), p.checkouts),
      databricks: p.databricks,
      localDefinitionsDir: p.localDefinitionsDir,
    };
    const applied = [];
    // One at a time: a partial failure leaves a clear record of which definitions were replaced.
    for (const def of input.definitions) applied.push(await applyDefinition(input.git, def, deps));
    const now = new Date().toISOString();
    const store = reportsStore(settings);
    if (store) {
      await store.putJson(`release/${blobSegment(input.instanceId)}/changes.json`, {
        instanceId: input.instanceId,
        git: input.git,
        at: now,
        definitions: applied.map((a) => ({ ...a.change, before: a.before, after: a.after })),
      });
    }
    const steps: RunStep[] = applied.map((a) => ({
      instanceId: input.instanceId,
      name: `definition-${a.change.name}`,
      at: now,
      workflow: PIPELINES.release,
      kind: 'release.definition',
      status: a.change.error ? 'failed' : a.change.changed ? 'updated' : 'unchanged',
      title: a.change.error
        ? `${a.change.target} from ${a.change.file}: ${a.change.error}`
        : `${a.change.target} from ${a.change.file}: ${a.change.changed ? `${a.change.beforeHash ?? '(none)'} -> ${a.change.afterHash} (changed: ${a.change.changedKeys.join(', ') || 'content'})` : `unchanged (${a.change.afterHash})`}`,
      data: a.change,
    }));
    await runStepStore(settings).upsert(steps);
    ctx.info('release definitions applied', {
      instanceId: input.instanceId,
      updated: applied.filter((a) => a.change.changed).length,
      failed: applied.filter((a) => a.change.error).length,
    });
    return applied.map((a) => a.change);
  },
});

registerActivity(PipelineActivities.releaseFinish, {
  handler: async (input: ReleaseFinishInput, ctx: InvocationContext) => {
    const settings = runsSettings();
    const now = new Date().toISOString();
    await runStepStore(settings).upsert([
      {
        instanceId: input.instanceId,
        name: 'outcome',
        at: now,
        workflow: PIPELINES.release,
        kind: 'release.outcome',
        status: input.outcome,
        title: `release ${input.outcome}: ${input.changes.filter((c) => c.changed).length} updated, ${input.changes.filter((c) => !c.changed && !c.error).length} unchanged${input.smoke ? `, smoke ${input.smoke.state}` : ''}${input.approval ? `, approval ${input.approval.status}` : ''}${input.error ? ` - ${input.error}` : ''}`,
        data: input,
      },
    ]);
    ctx.info('release finished', { instanceId: input.instanceId, outcome: input.outcome });
    return true;
  },
});
