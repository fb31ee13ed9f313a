/** Orchestration and activity names of the pipelines area. */
export const PIPELINES = {
  ci: 'ciPipeline',
  release: 'releaseDeployment',
  scheduled: 'scheduledJob',
} as const;

export const PIPELINE_ACTIVITIES = {
  ciPlan: 'ciPlan',
  ciFinish: 'ciFinish',
  releasePlan: 'releasePlan',
  releaseApply: 'releaseApply',
  releaseFinish: 'releaseFinish',
  scheduledPlan: 'scheduledJobPlan',
  scheduledFinish: 'scheduledJobFinish',
} as const;
