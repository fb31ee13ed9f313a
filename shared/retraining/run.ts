import { trainingParameters } from '../jobs/catalog';
import { jobSpecFromDef, jobTimeoutSeconds, type Retraining } from '../policy';
import type { RunInput } from './contract';

/**
 * What the training job receives. Every retraining run passes, besides the policy's own parameters:
 * `retraining_run_id` (to be set as the `stagecraft.retraining_run_id` tag of the registered version),
 * `trigger_kind`, `data_snapshot` (the instant the data is cut at: the drift window end, or the start time)
 * and, for drift, `drift_window_start` / `drift_window_end`. Policy parameters may use the same values as
 * placeholders: {{retraining.runId}}, {{trigger.kind}}, {{data.snapshot}}, {{drift.windowStart}}, ...
 * Manual request parameters (plain names) become `param.<name>` variables and, once checked against the model's
 * `retraining.parameters` schema, job parameters (shared/jobs/catalog.ts builds them when the job starts).
 */
export function trainingVars(run: RunInput, startedAt: string): Record<string, string> {
  const p = run.parameters;
  const snapshot = p['drift.windowEnd'] ?? p['schedule.time'] ?? startedAt;
  const vars: Record<string, string> = {
    'model.name': run.model,
    'run.id': run.runId,
    'retraining.runId': run.runId,
    'instance.id': run.runId,
    'trigger.kind': run.triggerKind,
    'trigger.id': run.triggerId,
    'trigger.reason': run.reason,
    'data.snapshot': snapshot,
    'drift.windowStart': p['drift.windowStart'] ?? '',
    'drift.windowEnd': p['drift.windowEnd'] ?? '',
  };
  for (const [k, v] of Object.entries(p)) if (!k.includes('.')) vars[`param.${k}`] = v;
  return vars;
}

/**
 * The variables the training job is started with (runJob ref `{ kind: 'training', model }`), and what it will be
 * passed, for the run's record. Throws RETRAIN_PARAMETERS_INVALID for manual parameters the policy does not allow.
 * No declared setting values are read here: the record never holds them.
 */
export function trainingJob(
  retraining: Retraining,
  run: RunInput,
  startedAt: string,
): {
  vars: Record<string, string>;
  runner: 'local' | 'databricks';
  parameters: Record<string, string>;
  timeoutSeconds: number;
} {
  const vars = trainingVars(run, startedAt);
  const parameters = {
    ...trainingParameters(retraining, vars),
    ...jobSpecFromDef(retraining.trainingJob, vars).parameters,
  };
  return {
    vars,
    runner: retraining.trainingJob.runner,
    parameters,
    timeoutSeconds: jobTimeoutSeconds(retraining.trainingJob),
  };
}
