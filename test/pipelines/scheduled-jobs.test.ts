/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * Feature-table refresh and batch scoring jobs declared under `jobs` in the policy, through the real local host:
 * a schedule tick starts each due job once as a `scheduledJob` orchestration (same tick again: nothing new), the job
 * runs through runJob and the local runner, and the run is recorded and listed like every run; `POST /api/jobs/{name}/run`
 * runs a declared job on request, once per request id; a disabled or undeclared job is refused with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHost, type Workspace, eventually, jobScript, startTestHost, workspace } from '../runs/harness';

let ws: Workspace;
let t: TestHost;

function ran(name: string): string[][] {
  try {
    return readFileSync(join(ws.dir, `ran-${name}.log`), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  ws = workspace('scheduled-jobs');
  const node = JSON.stringify(process.execPath);
  const features = jobScript(ws, 'features');
  const scoring = jobScript(ws, 'scoring');
  ws.file(
    'policy.yaml',
    `
version: 1
jobs:
  customer-features:
    kind: feature-refresh
    schedule: "*/15 * * * *"
    job: { runner: local, command: ${node}, args: [${JSON.stringify(features)}], parameters: { table: customer_features }, timeout: 5m }
  nightly-scoring:
    kind: batch-scoring
    model: fraud-detector
    schedule: "0 2 * * *"
    job: { runner: local, command: ${node}, args: [${JSON.stringify(scoring)}], timeout: 5m }
  paused-refresh:
    kind: feature-refresh
    enabled: false
    schedule: "*/15 * * * *"
    job: { runner: local, command: ${node}, args: [${JSON.stringify(features)}], timeout: 5m }
`,
  );
  t = await startTestHost(ws, { STAGECRAFT_POLICY_PATH: join(ws.dir, 'policy.yaml') });
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

describe('scheduled feature refresh and scoring jobs', () => {
  it('a tick starts each due job once; it runs through runJob and is recorded as a job run; the same tick again starts nothing', async () => {
    const tick = { at: '2026-11-30T02:00:20Z', from: '2026-11-30T01:59:20Z' };
    const r = await t.api('POST', '/api/schedules/tick', tick);
    expect(r.status).toBe(200);
    const names = r.json.jobs.map((j: any) => j.name).sort();
    expect(names).toEqual(['customer-features', 'nightly-scoring']); // paused-refresh is disabled
    expect(r.json.jobs.map((j: any) => j.started)).toEqual([true, true]);
    for (const j of r.json.jobs) {
      const done = await t.waitFor(j.instanceId, (x) => x.runtimeStatus === 'Completed', 60_000, `${j.name} to finish`);
      expect(done.output).toMatchObject({ status: 'SUCCEEDED', job: j.name });
    }
    expect(ran('features')).toHaveLength(1);
    expect(ran('features')[0]).toEqual(expect.arrayContaining(['customer_features']));
    expect(ran('scoring')).toHaveLength(1);

    const again = await t.api('POST', '/api/schedules/tick', tick);
    expect(again.status).toBe(200);
    expect(again.json.jobs.map((j: any) => j.started)).toEqual([false, false]);
    const runs = await eventually(
      async () => (await t.api('GET', '/api/runs?workflow=job')).json.runs as any[],
      (x) => x.length >= 2,
      30_000,
      'two job runs listed',
    );
    expect(runs.map((x) => x.id).sort()).toEqual(r.json.jobs.map((j: any) => j.instanceId).sort());
    expect(ran('features')).toHaveLength(1);
  }, 180_000);

  it('POST /api/jobs/{name}/run runs a declared job once per request id; an undeclared job is 404 naming the declared ones', async () => {
    const first = await t.api('POST', '/api/jobs/customer-features/run', { requestId: 'backfill-1' });
    expect(first.status).toBe(202);
    const second = await t.api('POST', '/api/jobs/customer-features/run', { requestId: 'backfill-1' });
    expect(second.status).toBe(202);
    expect(second.json.instanceId).toBe(first.json.instanceId);
    const done = await t.waitFor(
      first.json.instanceId,
      (x) => x.runtimeStatus === 'Completed',
      60_000,
      'the requested run',
    );
    expect(done.output).toMatchObject({ status: 'SUCCEEDED' });
    expect(ran('features')).toHaveLength(2);

    const missing = await t.api('POST', '/api/jobs/nope/run', {});
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'JOB_NOT_DECLARED' });
    expect(JSON.stringify(missing.json)).toContain('customer-features');
    const bad = await t.api('POST', '/api/jobs/customer-features/run', { requestId: 'has spaces' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('requestId');
  }, 180_000);

  it('a disabled job requested by HTTP is recorded as skipped with the reason, and does not run', async () => {
    const r = await t.api('POST', '/api/jobs/paused-refresh/run', { requestId: 'try-1' });
    expect(r.status).toBe(202);
    const done = await t.waitFor(r.json.instanceId, (x) => x.runtimeStatus === 'Completed', 60_000, 'the skipped run');
    expect(done.output).toMatchObject({ status: 'skipped' });
    expect(String(done.output.reason)).toMatch(/disabled/i);
    expect(ran('features')).toHaveLength(2);
  }, 120_000);
});
