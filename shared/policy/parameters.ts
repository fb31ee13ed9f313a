import { z } from 'zod';
import type { JobDef } from './schema-common';

/**
 * Manual retraining parameters (`POST /api/models/{name}/retrain` body `parameters`) are checked against the
 * schema the model's policy declares under `retraining.parameters`. Pure: no I/O.
 *
 * Invariants:
 * - No schema declared → every parameter is refused; an undeclared name is refused.
 * - Names that steer the process or the provenance are refused always, even when the policy declares them (the
 *   policy is then invalid): loader/interpreter variables (NODE_OPTIONS, LD_*, DYLD_*, PYTHON*, PATH, HOME,
 *   BASH_ENV, ENV...), the parameters Stagecraft itself passes to a training job, the policy's own training-job
 *   parameters and env names, and registry/provenance options (tracking_uri, git_commit...). Names are compared
 *   case-insensitively with '-' and '_' alike, because 'env' style upper-cases them and scripts accept both.
 * - A string value may not start with '-' (it would read as an option in 'args' style) nor hold control characters.
 */
export const RetrainParameter = z
  .strictObject({
    type: z.enum(['string', 'integer', 'number', 'boolean']).default('string'),
    description: z.string().optional(),
    min: z.number().optional().meta({ description: 'integer/number: smallest allowed value.' }),
    max: z.number().optional().meta({ description: 'integer/number: largest allowed value.' }),
    enum: z.array(z.string().min(1)).min(1).optional().meta({ description: 'string: the allowed values.' }),
    pattern: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'string: a regular expression the whole value must match.' }),
    maxLength: z.int().min(1).max(1_000).default(200).meta({ description: 'string: longest allowed value.' }),
  })
  .superRefine((p, ctx) => {
    const numeric = p.type === 'integer' || p.type === 'number';
    if (!numeric && (p.min !== undefined || p.max !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `min/max apply to integer and number parameters, not ${p.type}`,
      });
    if (p.type !== 'string' && (p.enum !== undefined || p.pattern !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['enum'],
        message: `enum/pattern apply to string parameters, not ${p.type}`,
      });
    if (p.min !== undefined && p.max !== undefined && p.min > p.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${p.min} is above max ${p.max}` });
    if (p.pattern !== undefined) {
      try {
        new RegExp(p.pattern, 'u');
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: `not a valid regular expression: ${(e as Error).message}`,
        });
      }
    }
  })
  .meta({
    description:
      'A manual retraining parameter: type string (default; enum, pattern, maxLength), integer/number (min, max) or boolean.',
  });
export type RetrainParameter = z.output<typeof RetrainParameter>;

export const RetrainParameterName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'parameter names are identifiers (letters, digits, _)' });

/** The parameters every retraining run passes to its training job (shared/jobs/catalog.ts). */
export const TRAINING_PARAMETERS = [
  'retraining_run_id',
  'trigger_kind',
  'data_snapshot',
  'drift_window_start',
  'drift_window_end',
] as const;

/** Registry and provenance options a requester must never set: they redirect tokens or fake where a model came from. */
const PROVENANCE = new Set(['tracking_uri', 'registry_uri', 'git_commit', 'model_name', 'experiment_name', 'run_id']);
const EXACT = new Set([
  'path',
  'home',
  'env',
  'bash_env',
  'shell',
  'shellopts',
  'bashopts',
  'ifs',
  'tmpdir',
  'lang',
  'node_options',
  'node_path',
  'perl5opt',
  'perl5lib',
  'rubyopt',
  'rubylib',
  'java_tool_options',
  'classpath',
]);
const PREFIXES = [
  'ld_',
  'dyld_',
  'python',
  'node_',
  'lc_',
  'git_',
  'mlflow_',
  'databricks_',
  'azure_',
  'stagecraft_',
  'npm_config_',
  'conda',
];

export function normalizedName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/** Names of variables that steer a process, its loader or interpreter (NODE_OPTIONS, LD_PRELOAD, PYTHONPATH...). */
export function controlsProcess(name: string): boolean {
  const n = normalizedName(name);
  return EXACT.has(n) || PREFIXES.some((p) => n.startsWith(p));
}

/** Why a parameter name can never be set by a request, or undefined when it can be declared. */
export function reservedReason(name: string, trainingJob?: JobDef): string | undefined {
  const n = normalizedName(name);
  if (controlsProcess(n)) return 'it controls how the job process or its interpreter runs';
  if ((TRAINING_PARAMETERS as readonly string[]).includes(n)) return 'Stagecraft sets it for every retraining run';
  if (PROVENANCE.has(n)) return 'it decides which registry the job talks to or the provenance it records';
  if (trainingJob) {
    if (Object.keys(trainingJob.parameters).some((k) => normalizedName(k) === n))
      return 'the training job already sets it in the policy';
    if (trainingJob.runner === 'local' && Object.keys(trainingJob.env).some((k) => normalizedName(k) === n))
      return 'the training job declares it as an environment variable';
  }
  return undefined;
}

export interface ParameterProblem {
  name: string;
  problem: string;
}

/**
 * Checks manual parameters against the declared schema. Returns the problems (empty when all are accepted),
 * one per offending name, in the order given.
 */
export function checkRetrainParameters(
  schema: Readonly<Record<string, RetrainParameter>> | undefined,
  trainingJob: JobDef | undefined,
  params: Readonly<Record<string, string>>,
): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  const declared = schema ?? {};
  const none = Object.keys(declared).length === 0;
  for (const [name, value] of Object.entries(params)) {
    const reserved = reservedReason(name, trainingJob);
    if (reserved) {
      problems.push({ name, problem: `may never be set: ${reserved}` });
      continue;
    }
    if (none) {
      problems.push({
        name,
        problem:
          'the policy declares no retraining.parameters for this model: declare the parameters a request may set',
      });
      continue;
    }
    const spec = Object.prototype.hasOwnProperty.call(declared, name) ? declared[name] : undefined;
    if (!spec) {
      problems.push({
        name,
        problem: `is not declared in retraining.parameters (declared: ${Object.keys(declared).sort().join(', ')})`,
      });
      continue;
    }
    const problem = valueProblem(spec, value);
    if (problem) problems.push({ name, problem });
  }
  return problems;
}

function valueProblem(spec: RetrainParameter, value: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  switch (spec.type) {
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : "must be 'true' or 'false'";
    case 'integer':
    case 'number': {
      const ok =
        spec.type === 'integer' ? /^-?\d{1,15}$/.test(value) : /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value);
      if (!ok) return `must be ${spec.type === 'integer' ? 'an integer' : 'a number'}`;
      const n = Number(value);
      if (!Number.isFinite(n)) return 'must be a finite number';
      if (spec.min !== undefined && n < spec.min) return `must be at least ${spec.min}`;
      if (spec.max !== undefined && n > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    }
    case 'string':
      if (value.length > spec.maxLength) return `must be at most ${spec.maxLength} characters`;
      if (value.startsWith('-')) return "must not start with '-' (it would read as an option)";
      if (spec.enum && !spec.enum.includes(value)) return `must be one of ${spec.enum.join(', ')}`;
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`, 'u').test(value)) return `must match ${spec.pattern}`;
      return undefined;
  }
}

export function formatParameterProblems(problems: readonly ParameterProblem[]): string {
  return problems.map((p) => `${p.name} ${p.problem}`).join('; ');
}
