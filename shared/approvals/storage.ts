/**
 * Storage for the approval, promotion and job records: the `storage` settings section (AzureWebJobsStorage or
 * StorageAccountName, RECORDS_TABLE_PREFIX, REPORTS_CONTAINER), built by the composition root (shared/services.ts).
 * Needs no Service Bus settings.
 */
import type { Env } from '../config/env';
import { servicesFor, type Storage } from '../services';

export type { Env } from '../config/env';
export type { Storage } from '../services';

/** The records storage of these settings (one per setting values per process). */
export function storageFromEnv(env: Env = process.env): Storage {
  return servicesFor(env).storage();
}
