import { isAbsolute, resolve } from 'node:path';
import type { StorageConfig } from '../config';
import { storageSection } from '../config/core';
import type { Env } from '../config/env';
import { defineSection, loadSection } from '../config/section';
import { optionalHttpUrl, optionalText } from '../setting-values';

/**
 * Settings read by the pipelines, retraining and runs areas (the `runs` section).
 * Storage is optional here: without it, records are skipped with a logged reason (the durable history still
 * holds every step), so orchestrations never fail for want of a records table.
 */
export interface RunsSettings {
  storage: StorageConfig | undefined;
  tablePrefix: string;
  reportsContainer: string;
  policyPath: string;
  /** Public base URL of this app, for links in statuses (e.g. https://func.azurewebsites.net). */
  publicUrl: string | undefined;
}

// Storage and the records names are the `storage` section's own schemas (one definition of each setting).
const storage = storageSection.schema.shape;

export const runsSection = defineSection(
  'runs',
  {
    AzureWebJobsStorage: storage.AzureWebJobsStorage,
    StorageAccountName: storage.StorageAccountName,
    RECORDS_TABLE_PREFIX: storage.RECORDS_TABLE_PREFIX,
    REPORTS_CONTAINER: storage.REPORTS_CONTAINER,
    STAGECRAFT_POLICY_PATH: optionalText,
    STAGECRAFT_PUBLIC_URL: optionalHttpUrl,
  },
  (v): RunsSettings => ({
    storage:
      v.AzureWebJobsStorage !== undefined
        ? { kind: 'connectionString', connectionString: v.AzureWebJobsStorage }
        : v.StorageAccountName !== undefined
          ? { kind: 'identity', accountName: v.StorageAccountName }
          : undefined,
    tablePrefix: v.RECORDS_TABLE_PREFIX,
    reportsContainer: v.REPORTS_CONTAINER,
    policyPath: v.STAGECRAFT_POLICY_PATH ?? 'stagecraft.policy.yaml',
    publicUrl: v.STAGECRAFT_PUBLIC_URL?.replace(/\/+$/, ''),
  }),
);

/** The `runs` section with the policy path resolved against `cwd`. @throws ConfigError naming every bad setting */
export function runsSettings(env: Env = process.env, cwd = process.cwd()): RunsSettings {
  const s = loadSection(runsSection, env);
  return { ...s, policyPath: isAbsolute(s.policyPath) ? s.policyPath : resolve(cwd, s.policyPath) };
}
