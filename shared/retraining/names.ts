/** Orchestration and activity names of the retraining area (registered under orchestrations/). */
export const RETRAINING = {
  coordinator: 'retrainingCoordinator',
  run: 'retrainingRun',
  wake: 'retrainingWake',
} as const;

export const RETRAINING_ACTIVITIES = {
  begin: 'retrainingBegin',
  approvalState: 'retrainingApprovalState',
  effects: 'retrainingEffects',
  runStatus: 'retrainingRunStatus',
  runPrepare: 'retrainingRunPrepare',
  runFinish: 'retrainingRunFinish',
  raise: 'retrainingRaise',
} as const;

/** Tag (and job parameter) that links a model version to the retraining run that produced it. */
export const RETRAINING_RUN_TAG = 'stagecraft.retraining_run_id';
