/**
 * Storage for the approval, promotion and job records, from settings: AzureWebJobsStorage (connection string,
 * Azurite locally) or StorageAccountName (identity), RECORDS_TABLE_PREFIX and REPORTS_CONTAINER. Read here rather
 * than through shared/config's loadConfig, which also insists on Service Bus settings these activities do not need.
 */
import type { TableClient } from '@azure/data-tables';
import type { StorageConfig } from '../config';
import { ConfigError } from '../errors';
import { BlobStore, storageClients } from '../records';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Storage {
  table(suffix: string): TableClient;
  reports: BlobStore;
}

const cache = new Map<string, Storage>();

export function storageConfigFromEnv(env: Env = process.env): StorageConfig {
  const conn = env['AzureWebJobsStorage']?.trim();
  if (conn) return { kind: 'connectionString', connectionString: conn };
  const account = env['StorageAccountName']?.trim();
  if (account) return { kind: 'identity', accountName: account };
  throw new ConfigError('AzureWebJobsStorage or StorageAccountName must be set for approvals, promotions and job records', { setting: 'AzureWebJobsStorage' });
}

export function storageFromEnv(env: Env = process.env): Storage {
  const config = storageConfigFromEnv(env);
  const prefix = env['RECORDS_TABLE_PREFIX']?.trim() || 'Stagecraft';
  if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(prefix)) throw new ConfigError('RECORDS_TABLE_PREFIX must start with a letter and contain only letters and digits', { setting: 'RECORDS_TABLE_PREFIX' });
  const container = env['REPORTS_CONTAINER']?.trim() || 'stagecraft-reports';
  const key = `${config.kind === 'connectionString' ? config.connectionString : config.accountName}|${prefix}|${container}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const clients = storageClients(config);
  const s: Storage = { table: (suffix) => clients.tableClient(`${prefix}${suffix}`), reports: new BlobStore(clients.blobService, container) };
  cache.set(key, s);
  return s;
}
