/**
 * The records sink (shared/sink): a timer drains the outbox into Delta tables every minute; `GET /api/sink` shows
 * the backlog (operators). Both do nothing when STAGECRAFT_SINK_SCHEMA is unset.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { drainSink, sinkSchema, sinkStatus } from '../shared/sink';
import { route } from './lib/route';

export async function drainRecordsSink(_timer: Timer, context: InvocationContext): Promise<void> {
  if (!sinkSchema()) return;
  const r = await drainSink();
  if (r.written || r.failed) context.info('records sink drained', r);
  if (r.failed) context.warn(`records sink: ${r.failed} record(s) stay queued: ${r.error ?? 'unknown error'}`);
}

app.timer('recordsSinkDrain', { schedule: '0 */1 * * * *', handler: drainRecordsSink });

route('sinkStatus', {
  methods: ['GET'],
  route: 'sink',
  auth: 'operator',
  note: 'role operator or admin; the records sink backlog (count, oldest, attempts, last error)',
  errorPrefix: 'SINK',
  handler: async () => ({ status: 200, jsonBody: await sinkStatus() }),
});
