/**
 * THE list of intake sources. Everything else is derived from it: the intake HTTP functions (functions/intake.ts,
 * one `intake-<name>` route per source), the intake settings schema and docs (`INTAKE_SETTINGS`,
 * `INTAKE_SETTINGS_DOC`), and the intake rows of docs/SECURITY.md's route table (`intakeRouteRows`). Adding a source
 * is: its definition file (./<name>.ts, `defineSource`), one line here, and its test.
 */
import { z } from 'zod';
import type { SettingDoc } from '../../config/settings';
import { azureDevOpsSource } from './azure-devops';
import { azureMonitorSource } from './azure-monitor';
import { azureMlSource } from './azureml';
import { cloudEventsSource } from './cloudevents';
import { databricksSource } from './databricks';
import { databricksAlertsSource } from './databricks-alerts';
import { databricksJobsSource } from './databricks-jobs';
import { databricksUcSource } from './databricks-uc';
import { driftSource } from './drift';
import { githubSource } from './github';
import { mlflowSource } from './mlflow';
import { intWithDefault } from '../../setting-values';
import type { IntakeSource, SettingSpec, SettingSpecs } from './types';

export * from './types';
export { parseAzureDevOpsEvent } from './azure-devops';
export { branchMatches, classifyBranch } from './util';

export const SOURCE_LIST = [
  mlflowSource,
  databricksSource,
  githubSource,
  azureDevOpsSource,
  azureMonitorSource,
  driftSource,
  databricksJobsSource,
  databricksUcSource,
  cloudEventsSource,
  databricksAlertsSource,
  azureMlSource,
] as const;

export type SourceName = (typeof SOURCE_LIST)[number]['name'];

/** Settings of the intake as a whole (not of one source). */
export const INTAKE_COMMON_SETTINGS = {
  INTAKE_MAX_BODY_BYTES: {
    schema: intWithDefault(1_048_576, 1_024, 100 * 1_048_576),
    default: '1048576',
    description: 'Largest accepted webhook body in bytes; larger deliveries get 413.',
  },
} satisfies SettingSpecs;

type SourceConfigs<L extends readonly IntakeSource[]> = {
  [S in L[number] as S['settings']['key']]: ReturnType<S['settingsOf']>;
};
/** `config.intake`: the body limit plus one slot per source (`settings.key` → what its `toConfig` returns). */
export type IntakeSettingsOf<L extends readonly IntakeSource[]> = { maxBodyBytes: number } & SourceConfigs<L>;
export type IntakeSettings = IntakeSettingsOf<typeof SOURCE_LIST>;

/**
 * Every check a list must pass to be served: unique source names, routes, function names and setting names (two
 * sources can never read or register the same thing). Throws naming the clash.
 */
export function checkSourceList(sources: readonly IntakeSource[]): void {
  const seen = new Map<string, string>();
  const claim = (what: string, by: string): void => {
    const prior = seen.get(what);
    if (prior !== undefined) throw new Error(`intake sources ${prior} and ${by} both declare ${what}`);
    seen.set(what, by);
  };
  for (const name of Object.keys(INTAKE_COMMON_SETTINGS)) claim(`setting ${name}`, 'the intake');
  for (const s of sources) {
    claim(`source ${s.name}`, s.name);
    claim(`route ${s.http.route}`, s.name);
    claim(`config slot ${s.settings.key}`, s.name);
    for (const name of Object.keys(s.settings.env)) claim(`setting ${name}`, s.name);
  }
}

/**
 * The zod object of all intake settings of a list: keys are app setting names, input the raw environment (unknown
 * keys are ignored), cross-setting rules reported on the setting to fix. `intakeConfig` turns its output into
 * `config.intake`.
 */
export function intakeSettingsShape(sources: readonly IntakeSource[]): Record<string, SettingSpec['schema']> {
  checkSourceList(sources);
  const shape: Record<string, SettingSpec['schema']> = {};
  for (const [name, spec] of Object.entries(INTAKE_COMMON_SETTINGS)) shape[name] = spec.schema;
  for (const s of sources) for (const [name, spec] of Object.entries(s.settings.env)) shape[name] = spec.schema;
  return shape;
}

/** The cross-setting problems of a list's sources (each names the setting to fix). */
export function intakeSettingsProblems(
  sources: readonly IntakeSource[],
  values: Record<string, unknown>,
): Array<{ setting: string; problem: string }> {
  return sources.flatMap((s) => s.settings.check?.(values as never) ?? []);
}

export function intakeSettingsSchema(sources: readonly IntakeSource[]) {
  return z.object(intakeSettingsShape(sources)).superRefine((values, ctx) => {
    for (const p of intakeSettingsProblems(sources, values))
      ctx.addIssue({ code: 'custom', path: [p.setting], message: p.problem });
  });
}

/** `config.intake` from the parsed settings: the body limit and each source's slot. */
export function intakeConfig<L extends readonly IntakeSource[]>(
  sources: L,
  values: Record<string, unknown>,
): IntakeSettingsOf<L> {
  const out: Record<string, unknown> = { maxBodyBytes: values['INTAKE_MAX_BODY_BYTES'] };
  for (const s of sources) out[s.settings.key] = s.settings.toConfig(values);
  return out as IntakeSettingsOf<L>;
}

/** The intake's section of the app settings (zod object keyed by setting name), for the sectioned config schema. */
export const INTAKE_SETTINGS = intakeSettingsSchema(SOURCE_LIST);

/** INTAKE_SETTINGS parsed into `config.intake` (today's shape: `maxBodyBytes`, `mlflow`, `azureDevOps`, ...). */
export const INTAKE_CONFIG = INTAKE_SETTINGS.transform((values): IntakeSettings => intakeConfig(SOURCE_LIST, values));

/** The settings docs of a list (README table, start-up messages), in list order, body limit last. */
export function intakeSettingsDoc(sources: readonly IntakeSource[]): SettingDoc[] {
  const doc = (name: string, spec: Omit<SettingSpec, 'schema'>): SettingDoc => ({
    name,
    section: 'intake',
    required: false,
    ...(spec.secret ? { secret: true } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
    description: spec.description,
  });
  return [
    ...sources.flatMap((s) => Object.entries(s.settings.env).map(([name, spec]) => doc(name, spec))),
    ...Object.entries(INTAKE_COMMON_SETTINGS).map(([name, spec]) => doc(name, spec)),
  ];
}

export const INTAKE_SETTINGS_DOC: readonly SettingDoc[] = intakeSettingsDoc(SOURCE_LIST);

/** Rows of docs/SECURITY.md's route table for a list: `| POST | \`/api/<route>\` | <auth> | <security> |`. */
export function intakeRouteRows(sources: readonly IntakeSource[]): string[] {
  return sources.map(
    (s) =>
      `| ${[...s.http.methods].sort().join(', ')} | \`/api/${s.http.route}\` | ${s.http.auth} | ${s.http.security} |`,
  );
}

export const SOURCES: Readonly<Record<SourceName, IntakeSource<SourceName>>> = Object.fromEntries(
  SOURCE_LIST.map((s) => [s.name, s]),
) as Record<SourceName, IntakeSource<SourceName>>;

export function isSourceName(value: string): value is SourceName {
  return Object.prototype.hasOwnProperty.call(SOURCES, value);
}
