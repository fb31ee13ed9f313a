/**
 * Retention of workflow history: instances that finished (Completed, Failed, Terminated) and were created more than
 * STAGECRAFT_HISTORY_RETENTION ago (default 30d, at least 1d) are purged from the durable store, so the task hub and
 * run listings stay bounded. Running, pending and suspended instances are never purged. Run-step records (Tables)
 * are kept: `GET /api/runs/{id}` still answers for a purged run from them (status `Purged`).
 */
import type { Env } from '../config/env';
import { defineSection, loadSection } from '../config/section';
import type { DurablePort, PurgeableStatus } from '../durable/port';
import { durationWithDefault } from '../setting-values';

export const DEFAULT_HISTORY_RETENTION = '30d';
const MIN_RETENTION_MS = 24 * 3600_000;
/** Daily at 03:17 UTC (off the hour, away from other daily jobs). */
export const PURGE_SCHEDULE = '0 17 3 * * *';

/** The `historyRetention` section: STAGECRAFT_HISTORY_RETENTION in milliseconds. */
export const historyRetentionSection = defineSection(
  'historyRetention',
  {
    STAGECRAFT_HISTORY_RETENTION: durationWithDefault(
      DEFAULT_HISTORY_RETENTION,
      MIN_RETENTION_MS,
      'must be a duration of at least 1d, e.g. 30d or 90d',
    ),
  },
  (v): number => v.STAGECRAFT_HISTORY_RETENTION,
);

/** @throws ConfigError naming STAGECRAFT_HISTORY_RETENTION */
export function historyRetentionMs(env: Env = process.env): number {
  return loadSection(historyRetentionSection, env);
}

export const PURGED_STATUSES: readonly PurgeableStatus[] = ['Completed', 'Failed', 'Terminated'];

export async function purgeHistory(
  durable: Pick<DurablePort, 'purgeFinished'>,
  retentionMs: number,
  nowMs: number,
): Promise<{ instancesDeleted: number; createdBefore: string }> {
  const createdBefore = new Date(nowMs - retentionMs);
  const instancesDeleted = await durable.purgeFinished(createdBefore, PURGED_STATUSES);
  return { instancesDeleted, createdBefore: createdBefore.toISOString() };
}
