/** Descriptors of the pipelines activities (names from shared/pipelines/names.ts, unchanged). */
import { z } from 'zod';
import type { RunJobOutput } from '../../shared/jobs/contract';
import type {
  CiFinishInput,
  CiOutput,
  CiPlan,
  DefinitionChange,
  ReleaseApplyInput,
  ReleaseFinishInput,
  ReleasePlan,
  ScheduledJobInput,
  ScheduledPlan,
} from '../../shared/pipelines/contract';
import { PIPELINE_ACTIVITIES as N } from '../../shared/pipelines/names';
import { activity } from '../lib/typed';

const id = z.string().min(1);
const git = z.object({
  provider: z.enum(['github', 'azure-devops']),
  repo: id,
  branch: z.string(),
  commit: id,
  policyKey: z.string(),
});
const planInput = z.object({ event: z.unknown().optional(), instanceId: id });

export interface ScheduledFinishInput {
  instanceId: string;
  plan: ScheduledPlan;
  result?: RunJobOutput | undefined;
  error?: string | undefined;
  outcome: string;
}

export const PipelineActivities = {
  ciPlan: activity(N.ciPlan, planInput).returns<CiPlan, { event: unknown; instanceId: string }>(),
  ciFinish: activity(
    N.ciFinish,
    z.object({
      instanceId: id,
      git,
      startedAt: z.string(),
      results: z.array(z.object({ name: z.string(), state: z.string() })),
    }),
  ).returns<CiOutput, CiFinishInput>(),
  releasePlan: activity(N.releasePlan, planInput).returns<ReleasePlan, { event: unknown; instanceId: string }>(),
  releaseApply: activity(
    N.releaseApply,
    z.object({ instanceId: id, git, definitions: z.array(z.object({ name: z.string(), file: z.string() })) }),
  ).returns<DefinitionChange[], ReleaseApplyInput>(),
  releaseFinish: activity(
    N.releaseFinish,
    z.object({
      instanceId: id,
      git,
      startedAt: z.string(),
      outcome: z.enum(['DEPLOYED', 'FAILED', 'REJECTED', 'SMOKE_FAILED']),
      changes: z.array(z.object({ name: z.string() })),
    }),
  ).returns<boolean, ReleaseFinishInput>(),
  scheduledPlan: activity(N.scheduledPlan, z.object({ input: z.unknown(), instanceId: id })).returns<
    ScheduledPlan,
    { input: ScheduledJobInput; instanceId: string }
  >(),
  scheduledFinish: activity(
    N.scheduledFinish,
    z.object({ instanceId: id, plan: z.object({ skip: z.boolean() }), outcome: z.string() }),
  ).returns<boolean, ScheduledFinishInput>(),
} as const;
