/**
 * The documentation of the core settings (the README table is generated from here). Each belongs to a zod settings
 * section (shared/config/core.ts, registry.ts; checked by sections.ts), read with an injectable env so tests inject
 * settings; the workflow settings are documented in workflow-settings-doc.ts.
 *
 * Secrets (`secret: true`) are never printed: errors name the setting and the problem, never the value.
 */
import { INTAKE_SETTINGS_DOC } from '../intake/sources';

export interface SettingDoc {
  name: string;
  /** `true`: start-up fails without it. A string: required unless that other condition holds (documented in words). */
  required: boolean | string;
  default?: string;
  secret?: boolean;
  section: 'storage' | 'serviceBus' | 'intake' | 'git' | 'mlflow' | 'reconciler' | 'records';
  description: string;
}

export const SETTINGS_DOC: readonly SettingDoc[] = [
  // storage
  {
    name: 'AzureWebJobsStorage',
    section: 'storage',
    required: 'unless StorageAccountName is set',
    secret: true,
    description:
      'Storage connection string (Azurite locally: `UseDevelopmentStorage=true` or a full connection string with endpoints).',
  },
  {
    name: 'StorageAccountName',
    section: 'storage',
    required: 'unless AzureWebJobsStorage is set',
    description:
      'Storage account name for identity-based access (DefaultAzureCredential; needs Storage Table Data Contributor and Storage Blob Data Contributor).',
  },
  // service bus
  {
    name: 'ServiceBusConnection',
    section: 'serviceBus',
    required: 'unless ServiceBusConnection__fullyQualifiedNamespace is set',
    secret: true,
    description:
      'Service Bus connection string (emulator: `Endpoint=sb://127.0.0.1:PORT;SharedAccessKeyName=...;SharedAccessKey=...;UseDevelopmentEmulator=true`).',
  },
  {
    name: 'ServiceBusConnection__fullyQualifiedNamespace',
    section: 'serviceBus',
    required: 'unless ServiceBusConnection is set',
    description:
      'Service Bus namespace host (e.g. `sb-stagecraft.servicebus.windows.net`) for identity-based access (Azure Service Bus Data Sender/Receiver).',
  },
  {
    name: 'ServiceBusTopicName',
    section: 'serviceBus',
    required: false,
    default: 'stagecraft-events',
    description:
      'Topic every normalized CloudEvent is published to and the router triggers listen on (resolved in code, not as `%ServiceBusTopicName%`, so the default also holds for the triggers in Azure).',
  },
  // intake: declared by each source (shared/intake/sources), in list order, body limit last
  ...INTAKE_SETTINGS_DOC,
  // git
  {
    name: 'GIT_MAIN_BRANCHES',
    section: 'git',
    required: false,
    default: 'main',
    description: 'Branches whose merges start pipelines, comma-separated (`main,master`).',
  },
  {
    name: 'GIT_RELEASE_BRANCH_PATTERNS',
    section: 'git',
    required: false,
    default: 'release/*',
    description: 'Release branch patterns, comma-separated; `*` matches within one path segment, `**` across segments.',
  },
  // mlflow + reconciler
  {
    name: 'MLFLOW_TRACKING_URI',
    section: 'mlflow',
    required: 'for the registry reconciler',
    description: 'MLflow tracking server base URL (`http(s)://host:port`), used by the reconciler.',
  },
  {
    name: 'MLFLOW_TRACKING_TOKEN',
    section: 'mlflow',
    required: false,
    secret: true,
    description: 'Bearer token for the MLflow server (Databricks PAT or proxy token).',
  },
  {
    name: 'RECONCILER_SCHEDULE',
    section: 'reconciler',
    required: false,
    default: '0 */5 * * * *',
    description:
      'NCRONTAB (6 fields, with seconds, UTC in Azure) for the registry reconciler timer (resolved in code; no run on start-up).',
  },
  {
    name: 'RECONCILER_MODELS',
    section: 'reconciler',
    required: false,
    default: '',
    description: 'Registered model names the reconciler polls, comma-separated. Empty: the reconciler does nothing.',
  },
  {
    name: 'UC_RECONCILER_TARGETS',
    section: 'reconciler',
    required: false,
    default: '',
    description:
      'Unity Catalog models (`catalog.schema.model`) and schemas (`catalog.schema.*`) the UC reconciler polls (same schedule; needs DATABRICKS_HOST). Empty: it does nothing.',
  },
  {
    name: 'UC_RECONCILER_MAX_CALLS',
    section: 'reconciler',
    required: false,
    default: '50',
    description:
      'Most Unity Catalog REST calls one UC reconciler tick makes; models not reached wait for the next tick (round-robin).',
  },
  // records
  {
    name: 'RECORDS_TABLE_PREFIX',
    section: 'records',
    required: false,
    default: 'Stagecraft',
    description: 'Prefix of every records table name (letters and digits only).',
  },
  {
    name: 'REPORTS_CONTAINER',
    section: 'records',
    required: false,
    default: 'stagecraft-reports',
    description: 'Blob container for reports (validation HTML/JSON/JUnit XML).',
  },
];

export const SETTING_NAMES: readonly string[] = SETTINGS_DOC.map((s) => s.name);

/** Markdown table for the README (generated, never hand-edited). */
export function settingsMarkdownTable(): string {
  const rows = SETTINGS_DOC.map((s) => {
    const req = s.required === true ? 'yes' : s.required === false ? 'no' : s.required;
    const def = s.default === undefined ? '' : s.default === '' ? '(empty)' : `\`${s.default}\``;
    return `| \`${s.name}\` | ${req} | ${def} | ${s.secret ? 'yes' : ''} | ${s.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| Setting | Required | Default | Secret | Description |', '| --- | --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}
