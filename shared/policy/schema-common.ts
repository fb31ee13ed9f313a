import { z } from 'zod';
import { DURATION_PATTERN, tryParseDuration } from '../decisions/duration';
import { isValidCron, parseCron } from '../decisions/cron';

/** Building blocks shared by every section of the policy file. Pure: no I/O. */

export const Duration = z
  .string()
  .regex(DURATION_PATTERN, {
    message: "must be a duration like '30s', '15m', '1h', '1h30m' or '2d' (units d, h, m, s, largest first)",
  })
  .meta({
    description: "Duration: units d, h, m, s, largest first, e.g. '90s', '15m', '1h30m', '2d'.",
    examples: ['15m', '4h', '2d'],
  });

/** A duration of at least `minMs` (e.g. reminders no more often than every minute). */
export function durationAtLeast(minMs: number, label: string) {
  return Duration.refine((s) => (tryParseDuration(s) ?? Infinity) >= minMs, { message: `must be at least ${label}` });
}

export const Cron = z
  .string()
  .refine(isValidCron, {
    error: (iss) => {
      try {
        parseCron(String(iss.input));
        return 'invalid cron expression';
      } catch (e) {
        return (e as Error).message;
      }
    },
  })
  .meta({
    description: 'Five-field cron in UTC: minute hour day-of-month month day-of-week.',
    examples: ['0 3 * * 1', '*/30 * * * *'],
  });

export const Identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
  message: 'must be 1-64 letters, digits, _ . - (starting with a letter or digit)',
});

export const Principal = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .meta({ description: 'A user (e-mail/UPN) or group name.' });

export const ApproverSet = z.strictObject({
  users: z.array(Principal).default([]),
  groups: z.array(Principal).default([]),
});

/**
 * Parameter values may use placeholders `{{name}}` filled at run time, e.g. `{{model.name}}`,
 * `{{model.version}}`, `{{run.id}}`, `{{trigger.kind}}` (see template.ts for the full list).
 */
export const Parameters = z
  .record(z.string().min(1), z.string())
  .meta({ description: 'Job parameters; values may use {{placeholders}}.' });

const jobCommon = {
  parameters: Parameters.default({}),
  timeout: Duration.default('1h').meta({ description: 'Overall time allowed for one attempt.' }),
  retries: z.int().min(0).max(10).default(0).meta({ description: 'Extra attempts after a failed one.' }),
  backoff: Duration.default('30s').meta({ description: 'Delay before the first retry; doubles each retry.' }),
};

export const DatabricksJob = z.strictObject({
  runner: z.literal('databricks'),
  jobId: z.int().positive().meta({ description: 'Databricks job id (jobs/run-now).' }),
  ...jobCommon,
});

/**
 * A declared job environment variable: a literal, non-secret value (placeholders allowed), or `{ setting: NAME }`
 * for the value of an app setting read when the job starts (Key Vault references arrive as settings). A local job
 * sees only PATH, HOME, LANG, TMPDIR from the host plus these: never the host's other settings or secrets.
 */
export const EnvValue = z
  .union([
    z.string(),
    z.strictObject({
      setting: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an app setting name' })
        .meta({ description: 'Name of the app setting whose value the job gets; unset settings are left out.' }),
    }),
  ])
  .meta({
    description: 'A literal (non-secret, may use {{placeholders}}) or { setting: NAME } to pass an app setting.',
  });
export type EnvValue = z.output<typeof EnvValue>;

export const LocalJob = z.strictObject({
  runner: z.literal('local'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' }), EnvValue)
    .default({})
    .meta({
      description:
        'The only variables the job gets besides PATH, HOME, LANG and TMPDIR: literals or { setting: NAME }.',
    }),
  cwd: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Working directory, relative to the policy file or absolute.' }),
  parameterStyle: z
    .enum(['args', 'env'])
    .default('args')
    .meta({ description: "'args': --key value after args; 'env': KEY=value (upper-cased, non-alphanumerics as _)." }),
  ...jobCommon,
});

export const JobDef = z.discriminatedUnion('runner', [DatabricksJob, LocalJob]).meta({
  description: 'A job: a Databricks job (runner: databricks) or a local command for the embedded mode (runner: local).',
});

export type JobDef = z.output<typeof JobDef>;
export type JobDefInput = z.input<typeof JobDef>;
