/**
 * Crash safety: the host child process is killed with SIGKILL in the middle of fan-outs, timers and waits, then
 * restarted on the same state dir. Every instance must finish with the right output, every activity result must be
 * applied exactly once (history and output), and activities run at least once (side-effect log per activity key).
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock, TEST_CLOCK_ENV } from '../helpers/clock';
import { startHostProcess, type HostProcess } from '../helpers/host';
import { CONFORMANCE_APP, durableHeaders, raiseRaw, rawStatus, startNew, waitFor, type Status } from './helpers';

/** Hosts of the current test, killed after it. */
const running: HostProcess[] = [];
/** Hosts a describe's tests share (started in its beforeAll), killed after the file. */
const shared: HostProcess[] = [];

afterEach(async () => {
  for (const h of running.splice(0)) await h.kill();
});

afterAll(async () => {
  for (const h of shared.splice(0)) await h.kill();
});

async function boot(
  stateDir: string,
  sideEffects: string,
  env: Record<string, string> = {},
  owner: HostProcess[] = running,
): Promise<HostProcess> {
  const h = await startHostProcess({
    appDir: CONFORMANCE_APP,
    stateDir,
    env: { SIDE_EFFECT_LOG: sideEffects, ...env },
  });
  owner.push(h);
  return h;
}

function sideEffectCounts(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean))
    counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function completedTaskCount(s: Status): number {
  return (s.historyEvents ?? []).filter((e) => e['EventType'] === 'TaskCompleted').length;
}

async function exited(h: HostProcess): Promise<void> {
  if (h.child.exitCode !== null || h.child.signalCode !== null) return;
  await new Promise((r) => h.child.once('exit', r));
}

// The two crashes happen one after the other on one state dir: the host restarted after the first crash is the one
// the second crash kills (3 host starts instead of 4). Markers and side-effect keys are per instance; the second test
// starts its own first host on a fresh state dir when the first did not leave a restarted host.
describe('crash at the worst moments (the app kills its own host)', () => {
  const state = mkdtempSync(join(tmpdir(), 'durable-crash-'));
  const log = join(state, 'side-effects.log');
  /** The host the first test restarted after its crash, for the second test to crash. */
  let restarted: HostProcess | undefined;

  it("between an activity's end and its commit: the activity runs again and its result is applied once", async () => {
    let host = await boot(state, log);
    const id = await startNew(host.baseUrl, 'CrashAfterActivity', { marker: join(state, 'crash-after-activity') });
    await exited(host);
    host = await boot(state, log, {}, shared);
    const s = await waitFor(host.baseUrl, id);
    expect(s.output).toEqual([`survived ${id}-crash`, 'Hello after']);
    expect(sideEffectCounts(log).get(`${id}-crash`)).toBe(2);
    expect(completedTaskCount(s)).toBe(2);
    restarted = host;
  });

  it('inside an orchestrator episode: nothing of it was committed, the episode re-runs once and the next activity runs once', async () => {
    const dir = restarted ? state : mkdtempSync(join(tmpdir(), 'durable-crash-'));
    const effects = join(dir, 'side-effects.log');
    let host = restarted ?? (await boot(dir, effects));
    const id = await startNew(host.baseUrl, 'CrashInEpisode', { marker: join(dir, 'crash-in-episode') });
    await exited(host);
    host = await boot(dir, effects);
    const s = await waitFor(host.baseUrl, id);
    expect(s.output).toEqual(['a', 'b']);
    const counts = sideEffectCounts(effects);
    expect(counts.get(`${id}-a`)).toBe(1);
    expect(counts.get(`${id}-b`)).toBe(1);
    expect(completedTaskCount(s)).toBe(2);
  });
});

describe('SIGKILL and restart on the same state', () => {
  it('mid fan-out: finishes with every result applied once; only interrupted activities run again', async () => {
    const state = mkdtempSync(join(tmpdir(), 'durable-crash-'));
    const log = join(state, 'side-effects.log');
    let host = await boot(state, log);
    const count = 60;
    const id = await startNew(host.baseUrl, 'FanOut', { count, prefix: 'fan', ms: 150 });
    await until(() => [...sideEffectCounts(log).values()].length >= 12, 'some activities to run');
    await host.kill();
    const before = sideEffectCounts(log);
    expect(before.size).toBeLessThan(count);

    host = await boot(state, log);
    const s = await waitFor(host.baseUrl, id, ['Completed', 'Failed'], 60_000);
    expect(s.runtimeStatus).toBe('Completed');
    const out = s.output as { count: number; sum: number; results: number[] };
    expect(out.results).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(completedTaskCount(s)).toBe(count);
    const after = sideEffectCounts(log);
    for (let i = 0; i < count; i++) expect(after.get(`fan-${i}`) ?? 0).toBeGreaterThanOrEqual(1);
    // At-least-once, not at-random: an activity re-runs only if its result was not committed before the kill.
    const rerun = [...after.entries()].filter(([, n]) => n > 1).map(([k]) => k);
    for (const key of rerun) expect(before.has(key)).toBe(true);
  });

  it('repeated kills during a fan-out still converge to one correct output', async () => {
    const state = mkdtempSync(join(tmpdir(), 'durable-crash-'));
    const log = join(state, 'side-effects.log');
    let host = await boot(state, log);
    const count = 40;
    const id = await startNew(host.baseUrl, 'FanOut', { count, prefix: 'multi', ms: 100 });
    for (let round = 1; round <= 3; round++) {
      const seen = sideEffectCounts(log).size;
      await until(() => sideEffectCounts(log).size >= Math.min(count, seen + 5), `progress in round ${round}`);
      await host.kill();
      host = await boot(state, log);
    }
    const s = await waitFor(host.baseUrl, id, ['Completed', 'Failed'], 60_000);
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { results: number[] }).results).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(completedTaskCount(s)).toBe(count);
  });

  it('mid timer: a timer that came due while the host was down fires after restart, never early', async () => {
    const state = mkdtempSync(join(tmpdir(), 'durable-crash-'));
    const log = join(state, 'side-effects.log');
    // On a test clock: the host is down for 90 minutes of clock time, between the two timers' fire times.
    let host = await boot(state, log, TEST_CLOCK_ENV);
    const due = await startNew(host.baseUrl, 'TimerOrch', { ms: 3_600_000 });
    const later = await startNew(host.baseUrl, 'TimerOrch', { ms: 7_200_000 });
    await waitFor(host.baseUrl, due, ['Running']);
    await waitFor(host.baseUrl, later, ['Running']);
    await host.kill();
    host = await boot(state, log, {
      ...TEST_CLOCK_ENV,
      DEVHOST_TEST_CLOCK_START: new Date(Date.now() + 90 * 60_000).toISOString(),
    });
    const ended = (s: Status) => {
      expect(s.runtimeStatus).toBe('Completed');
      const out = s.output as { start: string; end: string };
      return Date.parse(out.end) - Date.parse(out.start);
    };
    expect(ended(await waitFor(host.baseUrl, due))).toBeGreaterThanOrEqual(3_600_000);
    // Never early: the two-hour timer is still waiting after restart, and fires once the clock passes it.
    expect((await rawStatus(host.baseUrl, later)).body.runtimeStatus).toBe('Running');
    await advanceClock(host, 3_600_000);
    expect(ended(await waitFor(host.baseUrl, later))).toBeGreaterThanOrEqual(7_200_000);
  });
});

// One SIGKILL for three claims: a waiting instance and one with an event accepted, entity operations accepted, and a
// sequence of 100 activities killed part-way are all set up on one host, which is killed once and restarted on the
// same state; each test then checks its own instance after the restart.
describe('one SIGKILL and restart on the same state: waits, entity operations and a sequence', () => {
  let host: HostProcess;
  let waiting = '';
  let accepted = '';
  let sequence = '';
  const entity = () => `${host.baseUrl}/runtime/webhooks/durabletask/entities/Tally/crashy`;

  beforeAll(async () => {
    const state = mkdtempSync(join(tmpdir(), 'durable-crash-'));
    const log = join(state, 'side-effects.log');
    host = await boot(state, log, {}, shared);
    waiting = await startNew(host.baseUrl, 'LongWait');
    accepted = await startNew(host.baseUrl, 'WaitEvents');
    await waitFor(host.baseUrl, waiting, ['Running']);
    await waitFor(host.baseUrl, accepted, ['Running']);
    expect(await raiseRaw(host.baseUrl, accepted, 'a', 1)).toBe(202);
    expect(await raiseRaw(host.baseUrl, accepted, 'a', 2)).toBe(202);
    for (let n = 1; n <= 20; n++) {
      const r = await fetch(`${entity()}?op=add`, {
        method: 'POST',
        body: String(n),
        headers: durableHeaders(host.baseUrl, true),
      });
      expect(r.status).toBe(202);
    }
    sequence = await startNew(host.baseUrl, 'Sequential', { count: 100 });
    await until(async () => {
      const r = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${sequence}?showHistory=true`, {
        headers: durableHeaders(host.baseUrl),
      });
      const s = (await r.json()) as Status;
      return completedTaskCount(s) >= 30 || s.runtimeStatus === 'Completed';
    }, 'progress');
    await host.kill();
    host = await boot(state, log, {}, shared);
  }, 120_000);

  it('mid wait: a waiting instance keeps waiting across a crash, and an event accepted before the crash is not lost', async () => {
    const still = await waitFor(host.baseUrl, waiting, ['Running']);
    expect(still.customStatus).toBe('started');
    expect(await raiseRaw(host.baseUrl, waiting, 'go', 'after restart')).toBe(202);
    expect(await raiseRaw(host.baseUrl, accepted, 'b', 3)).toBe(202);
    expect((await waitFor(host.baseUrl, waiting)).output).toBe('after restart');
    expect((await waitFor(host.baseUrl, accepted)).output).toEqual([1, 2, 3]);
  });

  it('entity operations accepted before a crash are applied exactly once to the persisted state', async () => {
    let value: unknown;
    await until(async () => {
      const r = await fetch(entity(), { headers: durableHeaders(host.baseUrl) });
      value = r.status === 200 ? await r.json() : undefined;
      return value === 210;
    }, 'the entity to apply every operation');
    expect(value).toBe(210);
  });

  it('mid sequence: 100 sequential activities killed half-way finish with the right sum', async () => {
    const s = await waitFor(host.baseUrl, sequence);
    expect(s.output).toBe((99 * 100) / 2);
    expect(completedTaskCount(s)).toBe(100);
  });
});
