/**
 * Issue #17: `GET /api/runs` reads a bounded number of instances per answer (continuation token, created-time
 * window) instead of paging through every instance, and finished history older than the retention is purged.
 * Both against the real local host's durable engine, through the durable client the functions get.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durablePortOf } from '../../shared/durable/durable-functions';
import type { DurablePort } from '../../shared/durable/port';
import { listRuns, parseRunsQuery, type RunSummary } from '../../shared/runs/query';
import { historyRetentionMs, purgeHistory } from '../../shared/runs/purge';
import { type StagecraftError } from '../../shared/errors';
import { CONFORMANCE_APP, rawStatus, waitFor } from '../../devhost/test/durable/helpers';
import { clientFor } from '../helpers/durable-client';
import { masterKeyFor, startHostProcess, type HostProcess } from '../../devhost/test/helpers/host';
import type * as df from 'durable-functions';

let host: HostProcess;
let client: df.DurableClient;
let durable: DurablePort;
const done: string[] = [];

beforeAll(async () => {
  host = await startHostProcess({ appDir: CONFORMANCE_APP });
  client = clientFor(`${host.baseUrl}/runtime/webhooks/durabletask/`, masterKeyFor(host.baseUrl));
  durable = durablePortOf(client);
  for (let i = 0; i < 7; i++) {
    const id = `paging-${i}`;
    await client.startNew('HelloSequence', { instanceId: id });
    done.push(id);
  }
  for (const id of done) await waitFor(host.baseUrl, id);
  await client.startNew('WaitEvents', { instanceId: 'paging-running' });
});
afterAll(async () => {
  await host?.stop();
});

describe('GET /api/runs paging', () => {
  it('answers at most `limit` runs with a token that resumes exactly after them, until every run was listed once', async () => {
    const seen: RunSummary[] = [];
    let token: string | undefined;
    let answers = 0;
    do {
      const page = await listRuns(
        durable,
        parseRunsQuery({ limit: '3', ...(token ? { continuationToken: token } : {}) }),
      );
      expect(page.runs.length).toBeLessThanOrEqual(3);
      expect(page.scanned).toBeLessThanOrEqual(3);
      seen.push(...page.runs);
      token = page.continuationToken;
      answers++;
    } while (token && answers < 10);
    const ids = seen.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...done, 'paging-running'].sort());
    expect(answers).toBe(3);
  });

  it('searches a created-time window (default: the last 7 days) and keeps it in the token', async () => {
    const page = await listRuns(durable, parseRunsQuery({ limit: '2' }));
    const span = Date.parse(page.window.to) - Date.parse(page.window.from);
    expect(span).toBe(7 * 24 * 3600_000);
    const next = await listRuns(durable, parseRunsQuery({ limit: '2', continuationToken: page.continuationToken! }));
    expect(next.window).toEqual(page.window);
    const future = new Date(Date.now() + 3600_000).toISOString();
    const empty = await listRuns(
      durable,
      parseRunsQuery({ from: future, to: new Date(Date.now() + 7200_000).toISOString() }),
    );
    expect(empty.runs).toEqual([]);
    expect(empty.continuationToken).toBeUndefined();
  });

  it('filters and sorts newest first within an answer; a forged token is a 400 naming it', async () => {
    const page = await listRuns(durable, parseRunsQuery({ workflow: 'HelloSequence', limit: '50' }));
    expect(page.runs).toHaveLength(7);
    const times = page.runs.map((r) => r.createdTime);
    expect([...times].sort().reverse()).toEqual(times);
    const e = await listRuns(durable, parseRunsQuery({ continuationToken: 'bm90LWEtdG9rZW4' })).then(
      () => undefined,
      (x: unknown) => x as StagecraftError,
    );
    expect(e?.status).toBe(400);
    expect(JSON.stringify(e?.toJSON())).toContain('continuationToken');
  });
});

describe('history purge', () => {
  it('retention defaults to 30d and refuses less than a day', () => {
    expect(historyRetentionMs({})).toBe(30 * 24 * 3600_000);
    expect(historyRetentionMs({ STAGECRAFT_HISTORY_RETENTION: '90d' })).toBe(90 * 24 * 3600_000);
    expect(() => historyRetentionMs({ STAGECRAFT_HISTORY_RETENTION: '2h' })).toThrow(/STAGECRAFT_HISTORY_RETENTION/);
  });

  it('purges finished instances created before the retention and keeps running ones', async () => {
    // Nothing is old enough yet.
    expect((await purgeHistory(durable, historyRetentionMs({}), Date.now())).instancesDeleted).toBe(0);
    expect((await rawStatus(host.baseUrl, 'paging-0')).code).toBe(200);
    // Two days later with a one-day retention: every finished instance goes, the waiting one stays.
    const r = await purgeHistory(
      durable,
      historyRetentionMs({ STAGECRAFT_HISTORY_RETENTION: '1d' }),
      Date.now() + 2 * 24 * 3600_000,
    );
    expect(r.instancesDeleted).toBe(7);
    for (const id of done) expect((await rawStatus(host.baseUrl, id)).code).toBe(404);
    expect((await rawStatus(host.baseUrl, 'paging-running')).body.runtimeStatus).toBe('Running');
  });
});
