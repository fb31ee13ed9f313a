import { jobSpecFromDef, type JobSpec, type Retraining } from '../policy';
import type { RunInput } from './contract';

/**
 * What the training job receives. Every retraining run passes, besides the policy's own parameters:
 * `retraining_run_id` (to be set as the `stagecraft.retraining_run_id` tag of the registered version),
 * `trigger_kind`, `data_snapshot` (the instant the data is cut at: the drift window end, or the start time)
 * and, for drift, `drift_window_start` / `drift_window_end`. Policy parameters may use the same values as
 * placeholders: {{retraining.runId}}, {{trigger.kind}}, {{data.snapshot}}, {{drift.windowStart}}, ...
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

export function trainingJob(retraining: Retraining, run: RunInput, startedAt: string): { job: JobSpec; parameters: Record<string, string>; timeoutSeconds: number } {
  const vars = trainingVars(run, startedAt);
  const job = jobSpecFromDef(retraining.trainingJob, vars);
  const extra: Record<string, string> = {
    retraining_run_id: run.runId,
    trigger_kind: run.triggerKind,
    data_snapshot: vars['data.snapshot']!,
  };
  if (vars['drift.windowStart']) extra['drift_window_start'] = vars['drift.windowStart'];
  if (vars['drift.windowEnd']) extra['drift_window_end'] = vars['drift.windowEnd'];
  // Manual requests may pass plain parameters (no dots); they go to the job as given.
  for (const [k, v] of Object.entries(run.parameters)) if (!k.includes('.')) extra[k] = v;
  job.parameters = { ...extra, ...job.parameters };
  return { job, parameters: job.parameters, timeoutSeconds: Math.max(1, Math.ceil(job.timeoutMs / 1000)) };
}
