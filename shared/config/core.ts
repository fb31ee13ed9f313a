/**
 * The core sections: storage (with the records table prefix and reports container), Service Bus, intake secrets,
 * git, the reconcilers. Each is a zod object whose keys are the setting names documented in SETTINGS_DOC;
 * `loadConfig` (index.ts) is their union.
 */
import { z } from 'zod';
import {
  intakeConfig,
  intakeSettingsProblems,
  intakeSettingsShape,
  SOURCE_LIST,
  type IntakeSettings,
} from '../intake/sources';
import { defineSection, fixFor } from './section';
import { intWithDefault, list, optionalText, splitList, textWithDefault } from '../setting-values';

export type StorageConfig =
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; accountName: string };

export type ServiceBusConfig = (
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; fullyQualifiedNamespace: string }
) & { topicName: string };

/** `config.intake`: the body limit and one slot per intake source (shapes declared by the sources themselves). */
export type IntakeConfig = IntakeSettings;

/** A cross-setting rule: one of two alternatives must be set (reported once, only if neither has its own problem). */
function either(
  a: string,
  b: string,
  v: Record<string, unknown>,
  report: (s: string, p: string, f: string) => void,
  failed: (s: string) => boolean,
): void {
  if (v[a] === undefined && v[b] === undefined && !failed(a) && !failed(b))
    report(`${a} or ${b}`, 'neither is set', `${fixFor(a)} Or: ${fixFor(b)}`);
}

export const storageSection = defineSection(
  'storage',
  {
    AzureWebJobsStorage: optionalText,
    StorageAccountName: optionalText.pipe(
      z
        .string()
        .regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lower-case letters or digits')
        .optional(),
    ),
    RECORDS_TABLE_PREFIX: textWithDefault('Stagecraft').pipe(
      z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must start with a letter and contain only letters and digits (max 40)'),
    ),
    REPORTS_CONTAINER: textWithDefault('stagecraft-reports').pipe(
      z
        .string()
        .regex(
          /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
          'must be a blob container name (3-63 lower-case letters, digits, single hyphens)',
        ),
    ),
  },
  (v): { storage: StorageConfig; records: { tablePrefix: string; reportsContainer: string } } => ({
    storage:
      v.AzureWebJobsStorage !== undefined
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
      z
        .string()
        .regex(/(^|;)\s*Endpoint=sb:\/\//i, 'must be a Service Bus connection string containing Endpoint=sb://...')
        .optional(),
    ),
    ServiceBusConnection__fullyQualifiedNamespace: optionalText
      .transform((v) => v?.replace(/^sb:\/\//i, '').replace(/\/+$/, ''))
      .pipe(
        z
          .string()
          .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name such as my-ns.servicebus.windows.net')
          .optional(),
      ),
    ServiceBusTopicName: textWithDefault('stagecraft-events').pipe(
      z.string().regex(/^[A-Za-z0-9][\w.\-/]{0,258}[A-Za-z0-9]$/, 'must be a valid Service Bus entity name'),
    ),
  },
  (v): ServiceBusConfig =>
    v.ServiceBusConnection !== undefined
      ? { kind: 'connectionString', connectionString: v.ServiceBusConnection, topicName: v.ServiceBusTopicName }
      : {
          kind: 'identity',
          fullyQualifiedNamespace: v.ServiceBusConnection__fullyQualifiedNamespace!,
          topicName: v.ServiceBusTopicName,
        },
  (v, report, failed) =>
    either('ServiceBusConnection', 'ServiceBusConnection__fullyQualifiedNamespace', v, report, failed),
);

/**
 * Webhook secrets and keys of the intake sources: derived from the sources' own declarations (SOURCE_LIST in
 * shared/intake/sources/index.ts), so adding a source adds its settings here without touching this file.
 */
const intakeShape = intakeSettingsShape(SOURCE_LIST);
export const intakeSection = defineSection(
  'intake',
  intakeShape,
  (v): IntakeConfig => intakeConfig(SOURCE_LIST, v),
  (v, report, failed) => {
    // A source's cross-setting rules run when its own settings parsed (a setting with a problem is already reported).
    const complete = SOURCE_LIST.filter((s) => !Object.keys(s.settings.env).some(failed));
    for (const p of intakeSettingsProblems(complete, v)) report(p.setting, p.problem);
  },
);

const branchPattern = z
  .string()
  .regex(/^[A-Za-z0-9._\-/*]+$/, 'branch patterns may use letters, digits, . _ - / and *');

export const gitSection = defineSection(
  'git',
  {
    GIT_MAIN_BRANCHES: textWithDefault('main')
      .transform(splitList)
      .pipe(z.array(branchPattern).min(1, 'needs at least one branch')),
    GIT_RELEASE_BRANCH_PATTERNS: textWithDefault('release/*').transform(splitList).pipe(z.array(branchPattern)),
  },
  (v) => ({ mainBranches: v.GIT_MAIN_BRANCHES, releasePatterns: v.GIT_RELEASE_BRANCH_PATTERNS }),
);

export const reconcilerSection = defineSection(
  'reconciler',
  {
    RECONCILER_SCHEDULE: textWithDefault('0 */5 * * * *').pipe(
      z
        .string()
        .refine((v) => v.split(/\s+/).length === 6, 'must be an NCRONTAB expression with 6 fields (seconds first)'),
    ),
    RECONCILER_MODELS: list,
    UC_RECONCILER_TARGETS: list.pipe(
      z.array(
        z
          .string()
          .regex(/^[^.\s/*]+\.[^.\s/*]+\.([^.\s/*]+|\*)$/, 'entries must be catalog.schema.model or catalog.schema.*'),
      ),
    ),
    UC_RECONCILER_MAX_CALLS: intWithDefault(50, 1, 10_000),
  },
  (v) => ({
    reconciler: { schedule: v.RECONCILER_SCHEDULE, models: v.RECONCILER_MODELS },
    ucReconciler: { targets: v.UC_RECONCILER_TARGETS, maxCalls: v.UC_RECONCILER_MAX_CALLS },
  }),
);
