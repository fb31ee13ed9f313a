import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { StorageConfig } from '../config';
import { storageSection } from '../config/core';
import type { Env } from '../config/env';

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

const text = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export function runsSettings(env: Env = process.env, cwd = process.cwd()): RunsSettings {
  // Storage and the records names come from the `storage` section's schemas (one definition of each setting);
  // storage itself is optional here.
  const shape = storageSection.schema.shape;
  const problems: string[] = [];
  const one = <T>(
    name: keyof typeof shape,
    r: { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } },
  ): T | undefined => {
    if (r.success) return r.data;
    problems.push(`${name}: ${r.error.issues.map((i) => i.message).join('; ')}`);
    return undefined;
  };
  const prefix = one('RECORDS_TABLE_PREFIX', shape.RECORDS_TABLE_PREFIX.safeParse(env['RECORDS_TABLE_PREFIX']));
  const container = one('REPORTS_CONTAINER', shape.REPORTS_CONTAINER.safeParse(env['REPORTS_CONTAINER']));
  const publicUrl = text.parse(env['STAGECRAFT_PUBLIC_URL']);
  if (publicUrl !== undefined && !/^https?:\/\//.test(publicUrl))
    problems.push('STAGECRAFT_PUBLIC_URL: must be an http(s) URL');
  if (problems.length || prefix === undefined || container === undefined)
    throw new ConfigError(`settings are invalid: ${problems.join('; ')}`, { problems });
  const cs = text.parse(env['AzureWebJobsStorage']);
  const account = text.parse(env['StorageAccountName']);
  const storage: StorageConfig | undefined = cs
    ? { kind: 'connectionString', connectionString: cs }
    : account
      ? { kind: 'identity', accountName: account }
      : undefined;
  const policy = text.parse(env['STAGECRAFT_POLICY_PATH']) ?? 'stagecraft.policy.yaml';
  return {
    storage,
    tablePrefix: prefix,
    reportsContainer: container,
    policyPath: isAbsolute(policy) ? policy : resolve(cwd, policy),
    publicUrl: publicUrl?.replace(/\/+$/, ''),
  };
}
