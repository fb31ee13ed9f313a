/**
 * One config reader for the whole app. It reads only the settings enumerated in SETTINGS_DOC from an injectable
 * env (default process.env), validates them with zod and fails loudly: one ConfigError naming every missing or
 * invalid setting and what to set, never echoing a secret value.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import { SETTINGS_DOC, SETTING_NAMES } from './settings';

export { SETTINGS_DOC, SETTING_NAMES, settingsMarkdownTable, type SettingDoc } from './settings';

export type StorageConfig =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; accountName: string };

export type ServiceBusConfig = (
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; fullyQualifiedNamespace: string }
) & { topicName: string };

export interface IntakeConfig {
  maxBodyBytes: number;
  mlflow: { secrets: string[]; toleranceSeconds: number };
  databricks: { secrets: string[] };
  github: { secrets: string[] };
  azureDevOps: { username: string | undefined; passwords: string[]; headerName: string; headerSecrets: string[] };
  azureMonitor: { keys: string[] };
  drift: { keys: string[] };
  databricksJobs: { username: string | undefined; passwords: string[] };
  databricksUc: { secrets: string[]; toleranceSeconds: number };
  cloudEvents: { keys: string[] };
  /** Databricks SQL alert webhooks (data quality monitoring): keys and alert id/name → model. */
  databricksAlerts: { keys: string[]; models: Record<string, string> };
  /** Azure ML DatasetDriftDetected through Event Grid (CloudEvents): keys and monitor name/id → model. */
  azureMl: { keys: string[]; models: Record<string, string> };
}

export interface StagecraftConfig {
  storage: StorageConfig;
  serviceBus: ServiceBusConfig;
  intake: IntakeConfig;
  git: { mainBranches: string[]; releasePatterns: string[] };
  mlflow: { trackingUri: string | undefined; token: string | undefined };
  reconciler: { schedule: string; models: string[] };
  ucReconciler: { targets: string[]; maxCalls: number };
  records: { tablePrefix: string; reportsContainer: string };
}

export type Env = Readonly<Record<string, string | undefined>>;

const splitList = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
const list = z.string().optional().transform(splitList);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const intWithDefault = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(def) : v.trim()))
    .pipe(z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max)));
const textWithDefault = (def: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? def : v.trim()));

/** `a=b,c=d` → { a: 'b', c: 'd' } (keys and values trimmed; each entry needs both sides). */
const mapping = z.string().optional().transform(splitList).pipe(
  z.array(z.string().regex(/^[^=]+=[^=]+$/, "entries must be '<alert or monitor>=<model>'")).transform((entries) => Object.fromEntries(entries.map((e) => e.split('=').map((x) => x.trim()) as [string, string]))),
);

const branchPattern = z.string().regex(/^[A-Za-z0-9._\-/*]+$/, 'branch patterns may use letters, digits, . _ - / and *');

/** Per-setting schemas; keys are exactly the names in SETTINGS_DOC (checked at module load below). */
const settingSchemas = {
  AzureWebJobsStorage: optionalText,
  StorageAccountName: optionalText.pipe(
    z.string().regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lower-case letters or digits').optional(),
  ),
  ServiceBusConnection: optionalText.pipe(
    z.string().regex(/(^|;)\s*Endpoint=sb:\/\//i, 'must be a Service Bus connection string containing Endpoint=sb://...').optional(),
  ),
  ServiceBusConnection__fullyQualifiedNamespace: optionalText
    .transform((v) => v?.replace(/^sb:\/\//i, '').replace(/\/+$/, ''))
    .pipe(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name such as my-ns.servicebus.windows.net').optional()),
  ServiceBusTopicName: textWithDefault('stagecraft-events').pipe(
    z.string().regex(/^[A-Za-z0-9][\w.\-/]{0,258}[A-Za-z0-9]$/, 'must be a valid Service Bus entity name'),
  ),
  MLFLOW_WEBHOOK_SECRETS: list,
  MLFLOW_WEBHOOK_TOLERANCE_SECONDS: intWithDefault(300, 1, 86_400),
  DATABRICKS_WEBHOOK_SECRETS: list,
  GITHUB_WEBHOOK_SECRETS: list,
  AZDO_WEBHOOK_USERNAME: optionalText,
  AZDO_WEBHOOK_PASSWORDS: list,
  AZDO_WEBHOOK_HEADER_NAME: textWithDefault('X-Stagecraft-Token').pipe(
    z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name (letters, digits, -)'),
  ),
  AZDO_WEBHOOK_HEADER_SECRETS: list,
  AZURE_MONITOR_WEBHOOK_KEYS: list,
  DRIFT_WEBHOOK_KEYS: list,
  DATABRICKS_JOBS_WEBHOOK_USERNAME: optionalText,
  DATABRICKS_JOBS_WEBHOOK_PASSWORDS: list,
  DATABRICKS_UC_WEBHOOK_SECRETS: list,
  DATABRICKS_UC_WEBHOOK_TOLERANCE_SECONDS: intWithDefault(300, 1, 86_400),
  CLOUDEVENTS_KEYS: list,
  DATABRICKS_ALERT_WEBHOOK_KEYS: list,
  DATABRICKS_ALERT_MODELS: mapping,
  AZUREML_EVENTGRID_KEYS: list,
  AZUREML_DRIFT_MODELS: mapping,
  INTAKE_MAX_BODY_BYTES: intWithDefault(1_048_576, 1_024, 100 * 1_048_576),
  GIT_MAIN_BRANCHES: textWithDefault('main').transform(splitList).pipe(z.array(branchPattern).min(1, 'needs at least one branch')),
  GIT_RELEASE_BRANCH_PATTERNS: textWithDefault('release/*').transform(splitList).pipe(z.array(branchPattern)),
  MLFLOW_TRACKING_URI: optionalText.pipe(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:5000' }).optional(),
  ),
  MLFLOW_TRACKING_TOKEN: optionalText,
  RECONCILER_SCHEDULE: textWithDefault('0 */5 * * * *').pipe(
    z.string().refine((v) => v.split(/\s+/).length === 6, 'must be an NCRONTAB expression with 6 fields (seconds first)'),
  ),
  RECONCILER_MODELS: list,
  UC_RECONCILER_TARGETS: list.pipe(z.array(z.string().regex(/^[^.\s/*]+\.[^.\s/*]+\.([^.\s/*]+|\*)$/, 'entries must be catalog.schema.model or catalog.schema.*'))),
  UC_RECONCILER_MAX_CALLS: intWithDefault(50, 1, 10_000),
  RECORDS_TABLE_PREFIX: textWithDefault('Stagecraft').pipe(
    z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must start with a letter and contain only letters and digits (max 40)'),
  ),
  REPORTS_CONTAINER: textWithDefault('stagecraft-reports').pipe(
    z.string().regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name (3-63 lower-case letters, digits, single hyphens)'),
  ),
} satisfies Record<string, z.ZodType>;

type Parsed = { [K in keyof typeof settingSchemas]: z.output<(typeof settingSchemas)[K]> };

for (const name of SETTING_NAMES) {
  if (!(name in settingSchemas)) throw new Error(`SETTINGS_DOC lists ${name} but config has no schema for it`);
}

/** One problem with one setting; `fix` says what to set. */
export interface SettingProblem {
  setting: string;
  problem: string;
  fix: string;
}

function fixFor(name: string): string {
  const doc = SETTINGS_DOC.find((s) => s.name === name);
  return doc ? doc.description : `set ${name}`;
}

/**
 * Reads and validates every Stagecraft setting.
 * @throws ConfigError listing every problem (`details.problems`), each naming the setting; values of secrets never appear.
 * @example
 * const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ServiceBusConnection: 'Endpoint=sb://127.0.0.1;...' });
 */
export function loadConfig(env: Env = process.env): StagecraftConfig {
  const problems: SettingProblem[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(settingSchemas)) {
    const result = (schema as z.ZodType).safeParse(env[name]);
    if (result.success) parsed[name] = result.data;
    else problems.push({ setting: name, problem: result.error.issues.map((i) => i.message).join('; '), fix: fixFor(name) });
  }
  const p = parsed as Partial<Parsed>;

  const either = (a: keyof Parsed, b: keyof Parsed): void => {
    if (p[a] === undefined && p[b] === undefined && !problems.some((x) => x.setting === a || x.setting === b)) {
      problems.push({ setting: `${a} or ${b}`, problem: 'neither is set', fix: `${fixFor(a)} Or: ${fixFor(b)}` });
    }
  };
  either('AzureWebJobsStorage', 'StorageAccountName');
  either('ServiceBusConnection', 'ServiceBusConnection__fullyQualifiedNamespace');
  if (p.AZDO_WEBHOOK_USERNAME !== undefined && (p.AZDO_WEBHOOK_PASSWORDS ?? []).length === 0) {
    problems.push({ setting: 'AZDO_WEBHOOK_PASSWORDS', problem: 'AZDO_WEBHOOK_USERNAME is set but no password is', fix: fixFor('AZDO_WEBHOOK_PASSWORDS') });
  }
  if (p.DATABRICKS_JOBS_WEBHOOK_USERNAME !== undefined && (p.DATABRICKS_JOBS_WEBHOOK_PASSWORDS ?? []).length === 0) {
    problems.push({ setting: 'DATABRICKS_JOBS_WEBHOOK_PASSWORDS', problem: 'DATABRICKS_JOBS_WEBHOOK_USERNAME is set but no password is', fix: fixFor('DATABRICKS_JOBS_WEBHOOK_PASSWORDS') });
  }

  if (problems.length > 0) {
    const lines = problems.map((x) => `- ${x.setting}: ${x.problem}. ${x.fix}`);
    throw new ConfigError(`Stagecraft settings are missing or invalid:\n${lines.join('\n')}`, { problems });
  }
  const v = p as Parsed;
  return {
    storage: v.AzureWebJobsStorage !== undefined
      ? { kind: 'connectionString', connectionString: v.AzureWebJobsStorage }
      : { kind: 'identity', accountName: v.StorageAccountName! },
    serviceBus: v.ServiceBusConnection !== undefined
      ? { kind: 'connectionString', connectionString: v.ServiceBusConnection, topicName: v.ServiceBusTopicName }
      : { kind: 'identity', fullyQualifiedNamespace: v.ServiceBusConnection__fullyQualifiedNamespace!, topicName: v.ServiceBusTopicName },
    intake: {
      maxBodyBytes: v.INTAKE_MAX_BODY_BYTES,
      mlflow: { secrets: v.MLFLOW_WEBHOOK_SECRETS, toleranceSeconds: v.MLFLOW_WEBHOOK_TOLERANCE_SECONDS },
      databricks: { secrets: v.DATABRICKS_WEBHOOK_SECRETS },
      github: { secrets: v.GITHUB_WEBHOOK_SECRETS },
      azureDevOps: {
        username: v.AZDO_WEBHOOK_USERNAME,
        passwords: v.AZDO_WEBHOOK_PASSWORDS,
        headerName: v.AZDO_WEBHOOK_HEADER_NAME,
        headerSecrets: v.AZDO_WEBHOOK_HEADER_SECRETS,
      },
      azureMonitor: { keys: v.AZURE_MONITOR_WEBHOOK_KEYS },
      drift: { keys: v.DRIFT_WEBHOOK_KEYS },
      databricksJobs: { username: v.DATABRICKS_JOBS_WEBHOOK_USERNAME, passwords: v.DATABRICKS_JOBS_WEBHOOK_PASSWORDS },
      databricksUc: { secrets: v.DATABRICKS_UC_WEBHOOK_SECRETS, toleranceSeconds: v.DATABRICKS_UC_WEBHOOK_TOLERANCE_SECONDS },
      cloudEvents: { keys: v.CLOUDEVENTS_KEYS },
      databricksAlerts: { keys: v.DATABRICKS_ALERT_WEBHOOK_KEYS, models: v.DATABRICKS_ALERT_MODELS },
      azureMl: { keys: v.AZUREML_EVENTGRID_KEYS, models: v.AZUREML_DRIFT_MODELS },
    },
    git: { mainBranches: v.GIT_MAIN_BRANCHES, releasePatterns: v.GIT_RELEASE_BRANCH_PATTERNS },
    mlflow: { trackingUri: v.MLFLOW_TRACKING_URI, token: v.MLFLOW_TRACKING_TOKEN },
    reconciler: { schedule: v.RECONCILER_SCHEDULE, models: v.RECONCILER_MODELS },
    ucReconciler: { targets: v.UC_RECONCILER_TARGETS, maxCalls: v.UC_RECONCILER_MAX_CALLS },
    records: { tablePrefix: v.RECORDS_TABLE_PREFIX, reportsContainer: v.REPORTS_CONTAINER },
  };
}

/**
 * A single setting with its default, for trigger options resolved when the app registers its functions. The Functions
 * host cannot apply a default to a `%NAME%` binding expression: an unset setting there disables the function (all
 * Service Bus triggers, the reconciler timer). So triggers never use `%NAME%` for a setting that has a default; they
 * read it here. An invalid value falls back to the default so registration still succeeds, and the start-up check
 * (`loadConfig`, run by functions/startup.ts) reports it by name.
 */
export function settingForTrigger(name: 'ServiceBusTopicName' | 'RECONCILER_SCHEDULE', env: Env = process.env): string {
  const r = settingSchemas[name].safeParse(env[name]);
  return r.success ? r.data : settingSchemas[name].parse(undefined);
}

let cached: StagecraftConfig | undefined;

/** The process-wide config, read from process.env once. Settings changes need a restart (as in Azure). */
export function getConfig(): StagecraftConfig {
  cached ??= loadConfig(process.env);
  return cached;
}

/** Forget the cached config (tests that change process.env). */
export function resetConfigCache(): void {
  cached = undefined;
}

/** A setting a feature needs that is optional for the app as a whole; throws a ConfigError naming it. */
export function requireSetting<T>(value: T | undefined, name: string): T {
  if (value === undefined) {
    throw new ConfigError(`Setting ${name} is required for this feature. ${fixFor(name)}`, { problems: [{ setting: name, problem: 'missing', fix: fixFor(name) }] });
  }
  return value;
}
