/**
 * The job catalog: what a `runJob` may run is named by a reference into the policy, never carried as a command.
 * The jobStart activity loads the policy and resolves the reference here, renders the templates with the
 * caller's variables, resolves declared settings, and only then starts the runner. Pure given its inputs.
 *
 * Invariants:
 * - A reference the policy does not declare fails with JOB_NOT_IN_POLICY (nothing runs).
 * - Variables only fill `{{placeholders}}` the policy wrote (shell scripts quoted per context); they never add
 *   parameters, except a training run's manual `param.*` values, checked again here against the model's
 *   `retraining.parameters` schema (RETRAIN_PARAMETERS_INVALID), whatever path they came by.
 * - Declared `{ setting }` env values are read from `settings` here, so the rendered spec (with values) stays in
 *   the activity and never enters orchestration history.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import {
  type JobDef,
  type JobSpec,
  type Policy,
  type Retraining,
  type SettingsSource,
  checkRetrainParameters,
  formatParameterProblems,
  jobSpecFromDef,
  jobTimeoutSeconds,
  resolvePipeline,
  tryResolvePolicy,
} from '../policy';

const Name = z.string().min(1).max(256);

export const JobRef = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('model-validation'), model: Name, check: Name }),
  z.strictObject({ kind: z.literal('deploy'), model: Name }),
  z.strictObject({ kind: z.literal('training'), model: Name }),
  z.strictObject({ kind: z.literal('pipeline-suite'), repo: Name, suite: Name }),
  z.strictObject({ kind: z.literal('release-smoke'), repo: Name }),
  z.strictObject({ kind: z.literal('scheduled'), job: Name }),
]);
export type JobRef = z.output<typeof JobRef>;

/** Template variables: dotted names, bounded values (they end up in argv, env or a job parameter). */
export const JobVars = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/, { message: 'variable names are dotted identifiers' }),
    z.string().max(4_000),
  )
  .refine((v) => Object.keys(v).length <= 200, { message: 'at most 200 variables' })
  .default({});
export type JobVars = z.output<typeof JobVars>;

export function describeJobRef(ref: JobRef): string {
  switch (ref.kind) {
    case 'model-validation':
      return `validation '${ref.check}' of model ${ref.model}`;
    case 'deploy':
      return `deploy job of model ${ref.model}`;
    case 'training':
      return `training job of model ${ref.model}`;
    case 'pipeline-suite':
      return `suite '${ref.suite}' of pipeline ${ref.repo}`;
    case 'release-smoke':
      return `release smoke run of pipeline ${ref.repo}`;
    case 'scheduled':
      return `scheduled job '${ref.job}'`;
  }
}

function notDeclared(ref: JobRef, why: string): ValidationError {
  return new ValidationError('JOB_NOT_IN_POLICY', `the policy declares no ${describeJobRef(ref)}: ${why}`, {
    details: { ref },
  });
}

/** The job definition (and timeout override) a reference names in the policy. */
export function jobDefAt(policy: Policy, ref: JobRef): { def: JobDef; timeout?: string; retraining?: Retraining } {
  switch (ref.kind) {
    case 'model-validation':
    case 'deploy':
    case 'training': {
      const r = tryResolvePolicy(policy, ref.model);
      if (!r.ok) throw notDeclared(ref, r.error.message);
      const mp = r.value.policy;
      if (ref.kind === 'model-validation') {
        const check = Object.prototype.hasOwnProperty.call(mp.validations, ref.check)
          ? mp.validations[ref.check]
          : undefined;
        if (!check) throw notDeclared(ref, `no validation '${ref.check}'`);
        if (check.type !== 'job')
          throw notDeclared(ref, `validation '${ref.check}' is a ${check.type} check, not a job`);
        return check.timeout !== undefined ? { def: check.job, timeout: check.timeout } : { def: check.job };
      }
      if (ref.kind === 'deploy') {
        if (mp.deploy.action === 'none') throw notDeclared(ref, 'deploy.action is none');
        if (!mp.deploy.job) throw notDeclared(ref, 'the serving endpoint is configured by Stagecraft, not by a job');
        return { def: mp.deploy.job };
      }
      if (!mp.retraining) throw notDeclared(ref, 'no retraining section');
      if (!mp.retraining.enabled) throw notDeclared(ref, 'retraining is disabled');
      return { def: mp.retraining.trainingJob, retraining: mp.retraining };
    }
    case 'pipeline-suite': {
      const p = resolvePipeline(policy, ref.repo);
      if (!p) throw notDeclared(ref, `no pipeline ${ref.repo}`);
      const suite = Object.prototype.hasOwnProperty.call(p.suites, ref.suite) ? p.suites[ref.suite] : undefined;
      if (!suite) throw notDeclared(ref, `no suite '${ref.suite}'`);
      return { def: suite.job };
    }
    case 'release-smoke': {
      const p = resolvePipeline(policy, ref.repo);
      if (!p?.release?.smokeRun)
        throw notDeclared(ref, p ? 'the release section has no smokeRun' : `no pipeline ${ref.repo}`);
      return { def: p.release.smokeRun.job };
    }
    case 'scheduled': {
      const j = Object.prototype.hasOwnProperty.call(policy.jobs, ref.job) ? policy.jobs[ref.job] : undefined;
      if (!j) throw notDeclared(ref, `no job '${ref.job}' under jobs`);
      if (!j.enabled) throw notDeclared(ref, `job '${ref.job}' is disabled`);
      return { def: j.job };
    }
  }
}

/** The manual parameters of a training run: its `param.<name>` variables. */
export function manualParameters(vars: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars)
      .filter(([k]) => k.startsWith('param.'))
      .map(([k, v]) => [k.slice('param.'.length), v]),
  );
}

/**
 * The parameters every retraining run passes (see shared/retraining/run.ts), then the checked manual parameters;
 * the policy's own parameters win over both.
 */
export function trainingParameters(
  retraining: Retraining,
  vars: Readonly<Record<string, string>>,
): Record<string, string> {
  const runId = vars['retraining.runId'];
  if (!runId) throw new ValidationError('JOB_VARS_INVALID', 'a training job needs the retraining.runId variable');
  const manual = manualParameters(vars);
  const problems = checkRetrainParameters(retraining.parameters, retraining.trainingJob, manual);
  if (problems.length) {
    throw new ValidationError(
      'RETRAIN_PARAMETERS_INVALID',
      `retraining parameters refused: ${formatParameterProblems(problems)}`,
      { details: { parameters: problems.map((p) => p.name) } },
    );
  }
  const extra: Record<string, string> = {
    retraining_run_id: runId,
    trigger_kind: vars['trigger.kind'] ?? 'manual',
    data_snapshot: vars['data.snapshot'] ?? '',
  };
  if (vars['drift.windowStart']) extra['drift_window_start'] = vars['drift.windowStart'];
  if (vars['drift.windowEnd']) extra['drift_window_end'] = vars['drift.windowEnd'];
  return { ...extra, ...manual };
}

/** Resolves and renders the job a reference names. Throws ValidationError (JOB_NOT_IN_POLICY, TEMPLATE_..., RETRAIN_...). */
export function resolveJob(
  policy: Policy,
  ref: JobRef,
  rawVars: Readonly<Record<string, string>>,
  settings: SettingsSource = {},
): JobSpec {
  const { def, timeout, retraining } = jobDefAt(policy, ref);
  const vars: Record<string, string> = { ...rawVars };
  if (ref.kind === 'model-validation' || ref.kind === 'deploy' || ref.kind === 'training')
    vars['model.name'] = ref.model;
  if (ref.kind === 'pipeline-suite') vars['suite.name'] = ref.suite;
  if (ref.kind === 'scheduled') vars['job.name'] = ref.job;
  const spec = jobSpecFromDef(def, vars, timeout, settings);
  if (retraining) spec.parameters = { ...trainingParameters(retraining, vars), ...spec.parameters };
  return spec;
}

/** Seconds a caller waits for the job a reference names (the runner enforces the same limit). */
export function jobRefTimeoutSeconds(policy: Policy, ref: JobRef): number {
  const { def, timeout } = jobDefAt(policy, ref);
  return jobTimeoutSeconds(def, timeout);
}
