/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * Drift-, schedule- and request-driven retraining through the real local host: per-model coordinators decide
 * (drift rule, cooldown, debounce), retraining runs start the model's training job via runJob.
 * Each scenario uses its own model, so the coordinators do not interfere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, makeEvent } from '../../shared/events';
import { retrainCommand } from '../../shared/retraining/cli';
import { planRoute } from '../../shared/router/plan';
import { runsCommand } from '../../shared/runs/cli';
import { advanceClock, TEST_CLOCK_ENV } from '../../devhost/test/helpers/clock';
import {
  FUNCTION_KEY,
  type TestHost,
  type Workspace,
  eventually,
  jobScript,
  startTestHost,
  workspace,
} from '../runs/harness';

let ws: Workspace;
let t: TestHost;

function drift(model: string, value: number, windowStart: string, i = 0) {
  const end = new Date(Date.parse(windowStart) + 86_400_000).toISOString();
  return makeEvent(
    EVENT_TYPES.driftDetected,
    {
      model: { name: model },
      detector: { tool: 'custom' },
      window: { start: windowStart, end },
      severity: 'Sev2',
      features: [{ name: 'amount', metric: 'psi', value, drifted: value > 0.2 }],
      detectedAt: new Date(Date.parse(end) + i).toISOString(),
    },
    { source: '/test/drift', time: new Date().toISOString() },
  );
}

/** Delivers a drift event the way the router does: signal the model's coordinator, starting it if missing. */
async function deliver(ev: ReturnType<typeof drift>): Promise<string> {
  const plan = planRoute(ev);
  if (plan.kind !== 'signal') throw new Error('drift should signal the coordinator');
  const st = await t.status(plan.instanceId);
  if (!st) await t.start(plan.startIfMissing!.orchestration, plan.instanceId, plan.startIfMissing!.input);
  const code = await t.raise(plan.instanceId, plan.eventName, plan.payload);
  if (code !== 202) throw new Error(`raise answered ${code}`);
  return plan.instanceId;
}

const coordinator = (model: string) => `retraining:${model}`;
const totalsOf = (s: any) => s?.customStatus?.totals ?? {};
/** Decisions about triggers (notes about wake-ups and finished runs are not triggers). */
const decided = (s: any) =>
  ['start', 'suppress', 'ignore', 'drop'].reduce((a, k) => a + ((totalsOf(s)[k] as number | undefined) ?? 0), 0);

async function runsOf(model: string, to?: string): Promise<any[]> {
  const r = await t.api(
    'GET',
    `/api/runs?workflow=retrain&model=${encodeURIComponent(model)}${to ? `&to=${encodeURIComponent(to)}` : ''}`,
  );
  expect(r.status).toBe(200);
  return r.json.runs;
}

function trainedCount(model: string): number {
  try {
    return readFileSync(join(ws.dir, `ran-train-${model}.log`), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0;
  }
}

beforeAll(async () => {
  ws = workspace('retrain');
  const node = JSON.stringify(process.execPath);
  const model = (name: string, extra: string, ms = 300) => {
    const script = jobScript(ws, `train-${name}`, { ms });
    return `
  ${name}:
    retraining:
      trainingJob: { runner: local, command: ${node}, args: [${JSON.stringify(script)}], parameters: { reason: "{{trigger.kind}}" }, timeout: 5m }
${extra}`;
  };
  ws.file(
    'policy.yaml',
    `
version: 1
defaults:
  approval: { required: false }
models:${model(
      'm-below',
      `      drift: [{ metric: psi, threshold: 0.2, n: 2, m: 3 }]
      cooldown: 1h`,
    )}${model(
      'm-storm',
      `      drift: [{ metric: psi, threshold: 0.2, n: 1, m: 1 }]
      cooldown: 1h`,
      2_000,
    )}${model(
      'm-trail',
      `      drift: [{ metric: psi, threshold: 0.2, n: 1, m: 1 }]
      cooldown: 30m
      maxDelay: 1h`,
      200,
    )}${model(
      'm-sched',
      `      schedule: "0 3 * * 1"
      cooldown: 1h`,
    )}${model('m-manual', `      cooldown: 1s`, 6_000)}${model(
      'm-params',
      `      cooldown: 1s
      parameters:
        epochs: { type: integer, min: 1, max: 50 }
        mode: { enum: [fast, full] }`,
    )}${model(
      'm-direct',
      `      cooldown: 1s
      parameters:
        epochs: { type: integer, min: 1, max: 50 }`,
    )}
`,
  );
  // The cooldown is realistic (30 min) and passed on the host's test clock (shorter than m-storm's 1 h cooldown, so
  // advancing it wakes nothing of the other models).
  t = await startTestHost(ws, { STAGECRAFT_POLICY_PATH: join(ws.dir, 'policy.yaml'), ...TEST_CLOCK_ENV });
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

describe('retraining', () => {
  it('drift below the N-of-M rule is recorded as ignored and starts no run', async () => {
    const id = await deliver(drift('m-below', 0.5, '2026-11-20T00:00:00Z'));
    await deliver(drift('m-below', 0.1, '2026-11-21T00:00:00Z'));
    const s = await t.waitFor(id, (x) => decided(x) >= 2, 30_000, 'two decisions');
    expect(totalsOf(s).ignore).toBe(2);
    expect(s.customStatus.recent.map((d: any) => d.reason)).toEqual(['DRIFT_BELOW_RULE', 'DRIFT_BELOW_RULE']);
    expect(s.customStatus.recent[1].message).toContain('1 of the last 2 psi windows above 0.2; 2 needed');
    expect(await runsOf('m-below')).toHaveLength(0);
  }, 60_000);

  it('a storm of 1,000 drift alerts for one model within seconds starts exactly one retraining run', async () => {
    const events = Array.from({ length: 1000 }, (_, i) =>
      drift('m-storm', 0.4 + (i % 7) / 100, '2026-11-25T00:00:00Z', i),
    );
    const id = await deliver(events[0]!);
    let next = 1;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < events.length) {
          const ev = events[next++]!;
          expect(await t.raise(id, 'RetrainTrigger', ev)).toBe(202);
        }
      }),
    );
    const s = await t.waitFor(id, (x) => decided(x) >= 1000, 120_000, '1,000 decisions');
    expect(totalsOf(s).start).toBe(1);
    expect(totalsOf(s).suppress).toBe(999);
    const runs = await eventually(
      () => runsOf('m-storm'),
      (r) => r.length > 0,
      30_000,
      'the retraining run',
    );
    expect(runs).toHaveLength(1);
    await t.waitFor(runs[0].id, (x) => x.runtimeStatus === 'Completed', 60_000, 'the retraining run');
    expect(trainedCount('m-storm')).toBe(1);
    // The suppressions are folded into a few records with counts, not 999 rows.
    const suppressedRecords = async () =>
      (await t.api('GET', `/api/runs/${encodeURIComponent(id)}`)).json.timeline.filter(
        (e: any) => e.source === 'record' && e.status === 'suppress',
      );
    const count = (records: any[]) => records.reduce((a: number, e: any) => a + (e.data.count as number), 0);
    const suppressed = await eventually(
      suppressedRecords,
      (r) => count(r) === 999,
      30_000,
      'the suppression records to be flushed',
    );
    expect(count(suppressed)).toBe(999);
    expect(suppressed.length).toBeLessThanOrEqual(3);
  }, 240_000);

  it('a model cron due in the evaluated window starts one scheduled retraining; the same tick again starts nothing', async () => {
    const tick = { at: '2026-11-30T03:00:30Z', from: '2026-11-30T02:59:30Z' };
    const r = await t.api('POST', '/api/schedules/tick', tick);
    expect(r.status).toBe(200);
    expect(r.json.models).toEqual([
      expect.objectContaining({ model: 'm-sched', scheduledFor: '2026-11-30T03:00:00.000Z' }),
    ]);
    const id = coordinator('m-sched');
    await t.waitFor(id, (x) => totalsOf(x).start === 1, 30_000, 'the scheduled start');
    expect((await t.api('POST', '/api/schedules/tick', tick)).status).toBe(200);
    const s = await t.waitFor(id, (x) => totalsOf(x).ignore === 1, 30_000, 'the duplicate tick');
    expect(s.customStatus.recent.at(-1).reason).toBe('DUPLICATE_TICK');
    const runs = await eventually(
      () => runsOf('m-sched'),
      (r) => r.length > 0,
      30_000,
      'the scheduled run',
    );
    expect(runs).toHaveLength(1);
    const run = await t.waitFor(runs[0].id, (x) => x.runtimeStatus === 'Completed', 60_000, 'the scheduled run');
    expect(run.input.triggerKind).toBe('schedule');
  }, 120_000);

  it('a manual retrain while one is running is refused with 409 and the reason; the CLI exits 3', async () => {
    const first = await t.api('POST', '/api/models/m-manual/retrain', { reason: 'new labels', requestedBy: 'carol' });
    expect(first.status).toBe(202);
    expect(first.json.decision).toBe('started');
    const second = await t.api('POST', '/api/models/m-manual/retrain', { reason: 'again' });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('RETRAIN_RUNNING');
    expect(second.json.error.message).toContain(first.json.runId);
    const lines: string[] = [];
    const code = await retrainCommand(['m-manual', '--reason', 'from the CLI'], {
      url: t.url,
      key: FUNCTION_KEY,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    expect(code).toBe(3);
    expect(lines.join('\n')).toContain('RETRAIN_RUNNING');
    const unknown = await t.api('POST', '/api/models/no-such-model/retrain', {});
    expect(unknown.status).toBe(404);
    const bad = await t.api('POST', '/api/models/m-manual/retrain', { parameters: { 'bad name': 'x' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('parameters');
  }, 60_000);

  it('manual parameters: NODE_OPTIONS, LD_PRELOAD, PYTHONPATH, tracking_uri, git_commit and undeclared names are 400 naming each; nothing starts', async () => {
    const refused = {
      NODE_OPTIONS: '--require /tmp/evil.js',
      LD_PRELOAD: '/tmp/evil.so',
      PYTHONPATH: '/tmp/evil',
      tracking_uri: 'http://attacker.example',
      git_commit: 'deadbeef',
      undeclared_knob: '1',
    };
    for (const [name, value] of Object.entries(refused)) {
      const r = await t.api('POST', '/api/models/m-params/retrain', {
        reason: 'attack',
        parameters: { epochs: '5', [name]: value },
      });
      expect(r.status, name).toBe(400);
      expect(r.json.error.code).toBe('RETRAIN_PARAMETERS_INVALID');
      expect(r.json.error.message).toContain(name);
      expect(r.json.error.details.parameters.map((p: { name: string }) => p.name)).toEqual([name]);
    }
    const all = await t.api('POST', '/api/models/m-params/retrain', { parameters: refused });
    expect(all.status).toBe(400);
    expect(all.json.error.details.parameters.map((p: { name: string }) => p.name)).toEqual(Object.keys(refused));
    const outOfRange = await t.api('POST', '/api/models/m-params/retrain', {
      parameters: { epochs: '500', mode: 'turbo' },
    });
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.json.error.message).toMatch(/epochs must be at most 50.*mode must be one of fast, full/);
    // No schema declared for the model: any parameter is refused, saying to declare them.
    const undeclared = await t.api('POST', '/api/models/m-manual/retrain', { parameters: { epochs: '5' } });
    expect(undeclared.status).toBe(400);
    expect(undeclared.json.error.message).toMatch(/declares no retraining.parameters/);
    expect(await runsOf('m-params')).toEqual([]);
    expect(trainedCount('m-params')).toBe(0);
  }, 60_000);

  it('declared manual parameters within the schema are accepted and reach the training job', async () => {
    const ok = await t.api('POST', '/api/models/m-params/retrain', {
      reason: 'tune',
      parameters: { epochs: 7, mode: 'fast' },
    });
    expect(ok.status).toBe(202);
    expect(ok.json.decision).toBe('started');
    await eventually(
      async () => trainedCount('m-params'),
      (n) => n === 1,
      60_000,
      'the training job ran',
    );
    const argv = JSON.parse(readFileSync(join(ws.dir, 'ran-train-m-params.log'), 'utf8').trim()) as string[];
    const args = Object.fromEntries(argv.flatMap((a, i) => (a.startsWith('--') ? [[a.slice(2), argv[i + 1]]] : [])));
    expect(args).toMatchObject({
      epochs: '7',
      mode: 'fast',
      reason: 'manual',
      trigger_kind: 'manual',
      retraining_run_id: ok.json.runId,
    });
  }, 90_000);

  it('a retrain.requested event that bypasses the API (events endpoint → router) with NODE_OPTIONS is refused when the job starts; nothing runs', async () => {
    const ev = makeEvent(
      EVENT_TYPES.retrainRequested,
      {
        model: { name: 'm-direct' },
        reason: 'via events',
        requestedBy: 'mallory',
        requestId: 'direct-1',
        parameters: { epochs: '3', NODE_OPTIONS: '--require /tmp/evil.js' },
      },
      { source: '/test/events', time: new Date().toISOString() },
    );
    await deliver(ev as unknown as ReturnType<typeof drift>);
    const runs = await eventually(
      async () => runsOf('m-direct'),
      (r) => r.length === 1 && r[0].status !== 'Running' && r[0].status !== 'Pending',
      90_000,
      'the run ended',
    );
    const detail = await t.api('GET', `/api/runs/${encodeURIComponent(runs[0].id as string)}`);
    expect(JSON.stringify(detail.json)).toContain('RETRAIN_PARAMETERS_INVALID');
    expect(JSON.stringify(detail.json)).toContain('NODE_OPTIONS');
    expect(trainedCount('m-direct')).toBe(0);
  }, 120_000);

  it('stagecraft runs lists retraining runs by model and prints a run timeline from history and records', async () => {
    const lines: string[] = [];
    expect(
      await runsCommand(['--workflow', 'retrain', '--model', 'm-storm'], {
        url: t.url,
        key: FUNCTION_KEY,
        out: (l) => lines.push(l),
      }),
    ).toBe(0);
    expect(lines.some((l) => l.includes('retrainingRun') && l.includes('m-storm'))).toBe(true);
    const runId = (await runsOf('m-storm'))[0].id as string;
    const detail: string[] = [];
    expect(await runsCommand([runId], { url: t.url, key: FUNCTION_KEY, out: (l) => detail.push(l) })).toBe(0);
    const text = detail.join('\n');
    expect(text).toContain('retraining of m-storm started by a drift trigger');
    expect(text).toContain('sub-orchestration runJob completed');
    expect(text).toContain('ended SUCCEEDED');
    const bad = await t.api('GET', '/api/runs?limit=0');
    expect(bad.status).toBe(400);
    expect((await t.api('GET', '/api/runs/no-such-run')).status).toBe(404);
  }, 60_000);

  // Tests that move the host's test clock come last: the app's own clock reads (an approval's createdAt, decision
  // times) stay on wall-clock time, so after an advance the durable timers of newer requests would be due at once.
  it('drift during the cooldown is suppressed with the reason, then fires one trailing run when the cooldown ends', async () => {
    const id = await deliver(drift('m-trail', 0.5, '2026-11-22T00:00:00Z'));
    await t.waitFor(
      id,
      (x) => totalsOf(x).start === 1 && x.customStatus.lastRun !== undefined,
      30_000,
      'the first run to finish',
    );
    await deliver(drift('m-trail', 0.6, '2026-11-23T00:00:00Z'));
    await deliver(drift('m-trail', 0.7, '2026-11-24T00:00:00Z'));
    const s = await t.waitFor(id, (x) => totalsOf(x).suppress === 2, 30_000, 'two suppressions');
    const reasons = s.customStatus.recent.filter((d: any) => d.action === 'suppress').map((d: any) => d.reason);
    expect(reasons).toEqual(['COOLDOWN', 'COOLDOWN']);
    expect(s.customStatus.trailing.dueAt).toBeDefined();
    // Not before the cooldown ends: still two suppressions and one start.
    expect(totalsOf(await t.status(id)).start).toBe(1);
    await advanceClock(t.host, 30 * 60_000);
    const after = await t.waitFor(id, (x) => totalsOf(x).start === 2, 60_000, 'the trailing start');
    const starts = after.customStatus.recent.filter((d: any) => d.action === 'start');
    expect(starts.map((d: any) => d.reason)).toEqual(['CLEAR', 'TRAILING']);
    // The trailing run was created at the engine's (advanced) time; the listing's default window ends at wall-clock now.
    const to = new Date(Date.now() + 86_400_000).toISOString();
    expect(
      await eventually(
        () => runsOf('m-trail', to),
        (r) => r.length >= 2,
        30_000,
        'the trailing run',
      ),
    ).toHaveLength(2);
  }, 120_000);
});
