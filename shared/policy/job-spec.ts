import { z } from 'zod';
import { parseDuration } from '../decisions/duration';
import type { JobDef } from './schema-common';
import { renderRecord, renderTemplate } from './template';

/**
 * A job ready to start: the policy's job definition with placeholders rendered and durations in ms.
 * This is what activities pass to a JobRunner (serialisable, validated at the activity boundary).
 * Retries and backoff stay with the caller (the orchestration retries by starting a new attempt key).
 */
export const JobSpec = z.discriminatedUnion('runner', [
  z.strictObject({
    runner: z.literal('databricks'),
    jobId: z.int().positive(),
    parameters: z.record(z.string(), z.string()),
    timeoutMs: z.int().positive(),
  }),
  z.strictObject({
    runner: z.literal('local'),
    command: z.string().min(1),
    args: z.array(z.string()),
    env: z.record(z.string(), z.string()),
    cwd: z.string().optional(),
    parameters: z.record(z.string(), z.string()),
    parameterStyle: z.enum(['args', 'env']),
    timeoutMs: z.int().positive(),
  }),
]);
export type JobSpec = z.output<typeof JobSpec>;

export function jobSpecFromDef(def: JobDef, vars: Readonly<Record<string, string>> = {}, timeoutOverride?: string): JobSpec {
  const timeoutMs = parseDuration(timeoutOverride ?? def.timeout);
  const parameters = renderRecord(def.parameters, vars, 'parameters');
  if (def.runner === 'databricks') return { runner: 'databricks', jobId: def.jobId, parameters, timeoutMs };
  const spec: JobSpec = {
    runner: 'local',
    command: renderTemplate(def.command, vars, 'command'),
    args: def.args.map((a, i) => renderTemplate(a, vars, `args[${i}]`)),
    env: renderRecord(def.env, vars, 'env'),
    parameters,
    parameterStyle: def.parameterStyle,
    timeoutMs,
  };
  if (def.cwd !== undefined) spec.cwd = renderTemplate(def.cwd, vars, 'cwd');
  return spec;
}
