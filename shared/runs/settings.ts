import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { StorageConfig } from '../config';

/**
 * Settings read by the pipelines, retraining and runs areas (folded into shared/config later).
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

const text = z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export function runsSettings(env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): RunsSettings {
  const problems: string[] = [];
  const prefix = text.parse(env['RECORDS_TABLE_PREFIX']) ?? 'Stagecraft';
  if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(prefix)) problems.push('RECORDS_TABLE_PREFIX: must start with a letter and contain only letters and digits (max 40)');
  const container = text.parse(env['REPORTS_CONTAINER']) ?? 'stagecraft-reports';
  if (!/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(container)) problems.push('REPORTS_CONTAINER: must be a blob container name');
  const publicUrl = text.parse(env['STAGECRAFT_PUBLIC_URL']);
  if (publicUrl !== undefined && !/^https?:\/\//.test(publicUrl)) problems.push('STAGECRAFT_PUBLIC_URL: must be an http(s) URL');
  if (problems.length) throw new ConfigError(`settings are invalid: ${problems.join('; ')}`, { problems });
  const cs = text.parse(env['AzureWebJobsStorage']);
  const account = text.parse(env['StorageAccountName']);
  const storage: StorageConfig | undefined = cs ? { kind: 'connectionString', connectionString: cs } : account ? { kind: 'identity', accountName: account } : undefined;
  const policy = text.parse(env['STAGECRAFT_POLICY_PATH']) ?? 'stagecraft.policy.yaml';
  return {
    storage,
    tablePrefix: prefix,
    reportsContainer: container,
    policyPath: isAbsolute(policy) ? policy : resolve(cwd, policy),
    publicUrl: publicUrl?.replace(/\/+$/, ''),
  };
}
