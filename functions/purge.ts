/**
 * Daily purge of finished workflow history older than STAGECRAFT_HISTORY_RETENTION (shared/runs/purge.ts).
 */
import { type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { durablePortOf } from '../shared/durable/durable-functions';
import { historyRetentionMs, purgeHistory, PURGE_SCHEDULE } from '../shared/runs/purge';

export async function purgeOldHistory(
  _timer: Timer,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const r = await purgeHistory(durablePortOf(client), historyRetentionMs(), Date.now());
  context.info(`Purged ${r.instancesDeleted} finished instance(s) created before ${r.createdBefore}`, r);
}

df.app.client.timer('purgeHistory', { schedule: PURGE_SCHEDULE, handler: purgeOldHistory });
