/**
 * The core sections: storage (with the records table prefix and reports container), Service Bus, intake secrets,
 * git, the reconcilers. Each is a zod object whose keys are the setting names documented in SETTINGS_DOC;
 * `loadConfig` (index.ts) is their union.
 */
import { z } from 'zod';
import { defineSection, fixFor } from './section';
import { intWithDefault, list, mapping, optionalText, splitList, textWithDefault } from './schemas';

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

/** A cross-setting rule: one of two alternatives must be set (reported once, only if neither has its own problem). */
function either(a: string, b: string, v: Record<string, unknown>, report: (s: string, p: string, f: string) => void, failed: (s: string) => boolean): void {
  if (v[a] === undefined && v[b] === undefined && !failed(a) && !failed(b)) report(`${a} or ${b}`, 'neither is set', `${fixFor(a)} Or: ${fixFor(b)}`);
}

export const storageSection = defineSection(
  'storage',
  {
    AzureWebJobsStorage: optionalText,
    StorageAccountName: optionalText.pipe(z.string().regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lower-case letters or digits').optional()),
    RECORDS_TABLE_PREFIX: textWithDefault('Stagecraft').pipe(
      z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must start with a letter and contain only letters and digits (max 40)'),
    ),
    REPORTS_CONTAINER: textWithDefault('stagecraft-reports').pipe(
      z.string().regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name (3-63 lower-case letters, digits, single hyphens)'),
    ),
  },
  (v): { storage: StorageConfig; records: { tablePrefix: string; reportsContainer: string } } => ({
    storage: v.AzureWebJobsStorage !== undefined
      ? { kind: 'connectionString', connectionString: v.AzureWebJobsStorage }
      : { kind: 'identity', accountName: v.StorageAccountName! },
    records: { tablePrefix: v.RECORDS_TABLE_PREFIX, reportsContainer: v.REPORTS_CONTAINER },
  }),
  (v, report, failed) => either('AzureWebJobsStorage', 'StorageAccountName', v, report, failed),
);

export const serviceBusSection = defineSection(
  'serviceBus',
  {
    ServiceBusConnection: optionalText.pipe(
      z.string().regex(/(^|;)\s*Endpoint=sb:\/\//i, 'must be a Service Bus connection string containing Endpoint=sb://...').optional(),
    ),
    ServiceBusConnection__fullyQualifiedNamespace: optionalText
      .transform((v) => v?.replace(/^sb:\/\//i, '').replace(/\/+$/, ''))
      .pipe(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name such as my-ns.servicebus.windows.net').optional()),
    ServiceBusTopicName: textWithDefault('stagecraft-events').pipe(
      z.string().regex(/^[A-Za-z0-9][\w.\-/]{0,258}[A-Za-z0-9]$/, 'must be a valid Service Bus entity name'),
    ),
  },
  (v): ServiceBusConfig => v.ServiceBusConnection !== undefined
    ? { kind: 'connectionString', connectionString: v.ServiceBusConnection, topicName: v.ServiceBusTopicName }
    : { kind: 'identity', fullyQualifiedNamespace: v.ServiceBusConnection__fullyQualifiedNamespace!, topicName: v.ServiceBusTopicName },
  (v, report, failed) => either('ServiceBusConnection', 'ServiceBusConnection__fullyQualifiedNamespace', v, report, failed),
);

/**
 * Webhook secrets and keys of the intake sources. An intake source that declares its own settings contributes its
 * own section instead (defineSection in its module, listed in shared/config/sections.ts).
 */
export const intakeSection = defineSection(
  'intake',
  {
    MLFLOW_WEBHOOK_SECRETS: list,
    MLFLOW_WEBHOOK_TOLERANCE_SECONDS: intWithDefault(300, 1, 86_400),
    DATABRICKS_WEBHOOK_SECRETS: list,
    GITHUB_WEBHOOK_SECRETS: list,
    AZDO_WEBHOOK_USERNAME: optionalText,
    AZDO_WEBHOOK_PASSWORDS: list,
    AZDO_WEBHOOK_HEADER_NAME: textWithDefault('X-Stagecraft-Token').pipe(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name (letters, digits, -)')),
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
  },
  (v): IntakeConfig => ({
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
  }),
  (v, report) => {
    if (v.AZDO_WEBHOOK_USERNAME !== undefined && (v.AZDO_WEBHOOK_PASSWORDS ?? []).length === 0) {
      report('AZDO_WEBHOOK_PASSWORDS', 'AZDO_WEBHOOK_USERNAME is set but no password is');
    }
    if (v.DATABRICKS_JOBS_WEBHOOK_USERNAME !== undefined && (v.DATABRICKS_JOBS_WEBHOOK_PASSWORDS ?? []).length === 0) {
      report('DATABRICKS_JOBS_WEBHOOK_PASSWORDS', 'DATABRICKS_JOBS_WEBHOOK_USERNAME is set but no password is');
    }
  },
);

const branchPattern = z.string().regex(/^[A-Za-z0-9._\-/*]+$/, 'branch patterns may use letters, digits, . _ - / and *');

export const gitSection = defineSection(
  'git',
  {
    GIT_MAIN_BRANCHES: textWithDefault('main').transform(splitList).pipe(z.array(branchPattern).min(1, 'needs at least one branch')),
    GIT_RELEASE_BRANCH_PATTERNS: textWithDefault('release/*').transform(splitList).pipe(z.array(branchPattern)),
  },
  (v) => ({ mainBranches: v.GIT_MAIN_BRANCHES, releasePatterns: v.GIT_RELEASE_BRANCH_PATTERNS }),
);

export const reconcilerSection = defineSection(
  'reconciler',
  {
    RECONCILER_SCHEDULE: textWithDefault('0 */5 * * * *').pipe(
      z.string().refine((v) => v.split(/\s+/).length === 6, 'must be an NCRONTAB expression with 6 fields (seconds first)'),
    ),
    RECONCILER_MODELS: list,
    UC_RECONCILER_TARGETS: list.pipe(z.array(z.string().regex(/^[^.\s/*]+\.[^.\s/*]+\.([^.\s/*]+|\*)$/, 'entries must be catalog.schema.model or catalog.schema.*'))),
    UC_RECONCILER_MAX_CALLS: intWithDefault(50, 1, 10_000),
  },
  (v) => ({
    reconciler: { schedule: v.RECONCILER_SCHEDULE, models: v.RECONCILER_MODELS },
    ucReconciler: { targets: v.UC_RECONCILER_TARGETS, maxCalls: v.UC_RECONCILER_MAX_CALLS },
  }),
);
