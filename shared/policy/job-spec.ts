import { z } from 'zod';
import { parseDuration } from '../decisions/duration';
import type { JobDef } from './schema-common';
import { renderRecord, renderShellScript, renderTemplate, shellScriptIndex } from './template';

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

/** Where `{ setting: NAME }` env values come from: the app settings (process.env in an activity). */
export type SettingsSource = Readonly<Record<string, string | undefined>>;

/**
 * Renders a job definition. Declared env values are resolved here: literals are rendered, `{ setting }` values
 * read from `settings` (left out when the setting is unset). Placeholders inside a shell's `-c` script become quoted
 * references to variables holding the values (template.ts), so a value never becomes shell syntax. Only the jobStart activity passes real settings; the result holds setting
 * values, so it is never returned into orchestration history.
 */
export function jobSpecFromDef(
  def: JobDef,
  vars: Readonly<Record<string, string>> = {},
  timeoutOverride?: string,
  settings: SettingsSource = {},
): JobSpec {
  const timeoutMs = parseDuration(timeoutOverride ?? def.timeout);
  const parameters = renderRecord(def.parameters, vars, 'parameters');
  if (def.runner === 'databricks') return { runner: 'databricks', jobId: def.jobId, parameters, timeoutMs };
  const script = shellScriptIndex(def.command, def.args);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(def.env)) {
    if (typeof value === 'string') env[name] = renderTemplate(value, vars, `env.${name}`);
    else if (settings[value.setting] !== undefined) env[name] = settings[value.setting]!;
  }
  const args = def.args.map((a, i) => {
    if (i !== script) return renderTemplate(a, vars, `args[${i}]`);
    const rendered = renderShellScript(a, vars, `args[${i}]`);
    Object.assign(env, rendered.env);
    return rendered.script;
  });
  const spec: JobSpec = {
    runner: 'local',
    command: renderTemplate(def.command, vars, 'command'),
    args,
    env,
    parameters,
    parameterStyle: def.parameterStyle,
    timeoutMs,
  };
  if (def.cwd !== undefined) spec.cwd = renderTemplate(def.cwd, vars, 'cwd');
  return spec;
}

/** The overall time of one attempt, in whole seconds (what callers wait for). */
export function jobTimeoutSeconds(def: JobDef, timeoutOverride?: string): number {
  return Math.max(1, Math.ceil(parseDuration(timeoutOverride ?? def.timeout) / 1000));
}
