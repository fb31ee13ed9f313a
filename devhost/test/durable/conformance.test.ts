/**
 * Conformance: orchestrations written only with the public durable-functions v3 API run through the real host
 * (child process) on the SQLite engine, driven by the SDK's own DurableClient and by the public HTTP API.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DURABLE_SYSTEM_KEY_NAME, deriveSystemKey } from '../../host/admin-guard';
import { advanceClock, advanceUntil, TEST_CLOCK_ENV } from '../helpers/clock';
import { startHostProcess, type HostProcess } from '../helpers/host';
import {
  api,
  clientOp,
  CONFORMANCE_APP,
  durableHeaders,
  raiseRaw,
  rawStatus,
  startNew,
  waitFor,
  type Status,
} from './helpers';

let host: HostProcess;
let base: string;

beforeAll(async () => {
  // A test clock: tests that do not move it see the engine run in real time.
  host = await startHostProcess({ appDir: CONFORMANCE_APP, env: { ...TEST_CLOCK_ENV } });
  base = host.baseUrl;
});

afterAll(async () => {
  await host?.stop();
});

function eventTypes(s: Status): string[] {
  return (s.historyEvents ?? []).map((e) => String(e['EventType']));
}

describe('activities and sequences', () => {
  it('runs a function-chaining orchestration to Completed with each activity result in order', async () => {
    const id = await startNew(base, 'HelloSequence');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
    expect(eventTypes(s)).toEqual([
      'ExecutionStarted',
      'TaskCompleted',
      'TaskCompleted',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
    expect(s.historyEvents?.[1]).toMatchObject({ FunctionName: 'Hello', Result: 'Hello Tokyo' });
  });

  it('startNew without input delivers the empty string, as the Azure extension does for the SDK\'s "" body', async () => {
    const id = await startNew(base, 'InputEcho');
    const s = await waitFor(base, id);
    expect(s.output).toBe('');
  });

  it('passes inputs through unchanged (object, string, number) and reports them in the status', async () => {
    for (const input of [{ a: 1, nested: [true, null] }, 'plain string', 42]) {
      const id = await startNew(base, 'InputEcho', input);
      const s = await waitFor(base, id);
      expect(s.output).toEqual(input);
      expect(s.input).toEqual(input);
    }
  });

  it('fans out with Task.all and gathers every result exactly once', async () => {
    const id = await startNew(base, 'FanOut', { count: 50 });
    const s = await waitFor(base, id);
    const out = s.output as { count: number; sum: number; results: number[] };
    expect(out.count).toBe(50);
    expect(out.results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(eventTypes(s).filter((t) => t === 'TaskCompleted')).toHaveLength(50);
  });
});

describe('retries and failures', () => {
  it('retries a failing activity with RetryOptions and succeeds on the third attempt (timer between attempts)', async () => {
    const id = await startNew(base, 'RetryThenSucceed');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBe('ok after 3');
    const types = eventTypes(s);
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(2);
    expect(types.filter((t) => t === 'TimerFired')).toHaveLength(2);
  });

  it('fails the retried call after maxNumberOfAttempts with the last error, catchable in the orchestrator', async () => {
    const id = await startNew(base, 'RetryExhausted');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { caught: string }).caught).toContain('flaky failure 3 of');
    expect(eventTypes(s).filter((t) => t === 'TaskFailed')).toHaveLength(3);
  });

  it('lets the orchestrator catch an activity error with the activity name and message', async () => {
    const id = await startNew(base, 'CatchActivityError');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { caught: string }).caught).toContain("Activity function 'Boom' failed:  kaput");
  });

  it('fails the instance on an uncaught activity error, with message and stack in the output', async () => {
    const id = await startNew(base, 'Fails');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toContain("Orchestrator function 'Fails' failed:");
    expect(s.output).toContain('activity exploded');
    expect(s.output).toContain('StackTrace');
    expect(eventTypes(s).at(-1)).toBe('ExecutionCompleted');
  });

  it('fails the instance when orchestrator code throws', async () => {
    const id = await startNew(base, 'ThrowsDirectly');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toBe("Orchestrator function 'ThrowsDirectly' failed: orchestrator code threw");
  });

  it('detects non-determinism on replay and fails naming the orchestration, event id and mismatch', async () => {
    const id = await startNew(base, 'NonDeterministic');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toContain('Non-Deterministic workflow detected');
    expect(s.output).toContain("orchestration 'NonDeterministic'");
    expect(s.output).toContain("history event 0 is TaskScheduled 'Hello'");
    expect(s.output).toContain("CallActivity 'Echo'");
  });
});

describe('sub-orchestrations', () => {
  it('runs children with explicit and generated ids, with retry, and propagates a child failure', async () => {
    const id = await startNew(base, 'Parent');
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    const out = s.output as Record<string, { greeting: string; parent: string; self: string }> & { childError: string };
    expect(out['explicit']).toEqual({ greeting: 'Hello explicit', parent: id, self: `${id}-child` });
    expect(out['generated']!.parent).toBe(id);
    expect(out['generated']!.self).toMatch(/^[0-9a-f]{32}:1$/);
    expect(out['retried']!.greeting).toBe('Hello retried');
    expect(out.childError).toContain("Orchestrator function 'ChildFails' failed");
    const child = await waitFor(base, `${id}-child`);
    expect(child.runtimeStatus).toBe('Completed');
  });
});

describe('timers', () => {
  it('fires a durable timer no earlier than its fire time and advances currentUtcDateTime', async () => {
    const id = await startNew(base, 'TimerOrch', { ms: 300 });
    const s = await waitFor(base, id);
    const out = s.output as { start: string; end: string };
    expect(Date.parse(out.end) - Date.parse(out.start)).toBeGreaterThanOrEqual(300);
    expect(eventTypes(s)).toContain('TimerFired');
  });

  it('splits a long timer into segments of longRunningTimerIntervalDuration and completes at the final fire time', async () => {
    // host.json: maximumShortTimerDuration 2 s, longRunningTimerIntervalDuration 1 s.
    const id = await startNew(base, 'TimerOrch', { ms: 3500 });
    // Each step of the test clock fires the segment that is due (a segment never fires before its time on the clock).
    await advanceUntil(
      host,
      1_000,
      async () => (await rawStatus(base, id)).body.runtimeStatus === 'Completed',
      'the long timer',
    );
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    const out = s.output as { start: string; end: string };
    expect(Date.parse(out.end) - Date.parse(out.start)).toBeGreaterThanOrEqual(3500);
    expect(eventTypes(s).filter((t) => t === 'TimerFired').length).toBeGreaterThanOrEqual(3);
  });
});

describe('external events', () => {
  it('buffers events raised before the orchestrator waits and delivers them in order', async () => {
    const id = await startNew(base, 'WaitEvents');
    expect(await raiseRaw(base, id, 'b', 'third')).toBe(202);
    expect(await raiseRaw(base, id, 'a', 'first')).toBe(202);
    expect(await raiseRaw(base, id, 'a', 'second')).toBe(202);
    const s = await waitFor(base, id);
    expect(s.output).toEqual(['first', 'second', 'third']);
  });

  it('Task.any: an event beats a timer, the timer is cancelled and custom status tracks progress', async () => {
    const id = await startNew(base, 'Approval', { timeoutMs: 60_000 });
    const waiting = await waitFor(base, id, ['Running']);
    expect(waiting.customStatus).toEqual({ stage: 'waiting' });
    const r = await clientOp(base, 'raiseEvent', { id, name: 'approve', data: { by: 'alice' } });
    expect(r.body).toEqual({ ok: true });
    const s = await waitFor(base, id);
    expect(s.output).toEqual({ approved: { by: 'alice' } });
    expect(s.customStatus).toEqual({ stage: 'approved' });
  });

  it('Task.any: a timer beats a missing event', async () => {
    const id = await startNew(base, 'Approval', { timeoutMs: 200 });
    const s = await waitFor(base, id);
    expect(s.output).toEqual({ approved: false });
    expect(s.customStatus).toEqual({ stage: 'timed out' });
  });

  it('answers 404 for an unknown instance and 410 for a finished one', async () => {
    expect(await raiseRaw(base, 'no-such-instance', 'x', 1)).toBe(404);
    const id = await startNew(base, 'InputEcho', 1);
    await waitFor(base, id);
    expect(await raiseRaw(base, id, 'x', 1)).toBe(410);
  });
});

describe('continueAsNew', () => {
  it('restarts with the new input and carries events raised meanwhile into the next execution', async () => {
    const id = await startNew(base, 'Counter', { count: 0, events: [] });
    for (let i = 1; i <= 3; i++) expect(await raiseRaw(base, id, 'inc', i)).toBe(202);
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual({ count: 3, events: [1, 2, 3] });
  });
});

describe('determinism helpers', () => {
  it('newGuid and currentUtcDateTime are stable across replays', async () => {
    const id = await startNew(base, 'Deterministic');
    const s = await waitFor(base, id);
    const out = s.output as {
      g1: string;
      t1: string;
      echoed: { g1: string; t1: string };
      g2: string;
      replaying: boolean;
    };
    expect(out.echoed).toEqual({ g1: out.g1, t1: out.t1 });
    expect(out.g1).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.g2).not.toBe(out.g1);
    expect(out.replaying).toBe(false);
  });
});

describe('management: terminate, suspend, resume, rewind, purge', () => {
  it('terminates a waiting instance with the reason as output', async () => {
    const id = await startNew(base, 'LongWait');
    await waitFor(base, id, ['Running']);
    expect((await clientOp(base, 'terminate', { id, reason: 'operator says stop' })).body).toEqual({ ok: true });
    const s = await waitFor(base, id, ['Terminated']);
    expect(s.output).toBe('operator says stop');
    expect(eventTypes(s)).toContain('ExecutionTerminated');
  });

  it('suspends (events are held) and resumes (held events are delivered)', async () => {
    const id = await startNew(base, 'LongWait');
    await waitFor(base, id, ['Running']);
    await clientOp(base, 'suspend', { id, reason: 'pause' });
    await waitFor(base, id, ['Suspended']);
    expect(await raiseRaw(base, id, 'go', 'held')).toBe(202);
    const still = await rawStatus(base, id);
    expect(still.body.runtimeStatus).toBe('Suspended');
    await clientOp(base, 'resume', { id, reason: 'continue' });
    const s = await waitFor(base, id);
    expect(s.output).toBe('held');
    expect(eventTypes(s)).toEqual(expect.arrayContaining(['ExecutionSuspended', 'ExecutionResumed']));
  });

  it('rewinds a Failed instance: the failed activity runs again (and fails again here)', async () => {
    const id = await startNew(base, 'Fails');
    const failed = await waitFor(base, id);
    const r = await clientOp<{ ok: boolean }>(base, 'rewind', { id, reason: 'again' });
    expect(r.body).toEqual({ ok: true });
    const s = await waitFor(base, id, ['Failed']);
    expect(eventTypes(s)).toContain('ExecutionRewound');
    expect(s.output).toBe(failed.output);
  });

  it('purges a finished instance (then 404) and refuses to purge a running one', async () => {
    const id = await startNew(base, 'InputEcho', 'x');
    await waitFor(base, id);
    expect((await clientOp(base, 'purge', { id })).body).toEqual({ instancesDeleted: 1 });
    expect((await rawStatus(base, id)).code).toBe(404);
    expect((await clientOp(base, 'purge', { id })).body).toEqual({ instancesDeleted: 0 });
    const running = await startNew(base, 'LongWait');
    await waitFor(base, running, ['Running']);
    const res = await fetch(`${api(base)}/instances/${running}`, { method: 'DELETE', headers: durableHeaders(base) });
    expect(res.status).toBe(409);
    await clientOp(base, 'terminate', { id: running, reason: 'cleanup' });
  });

  it('purgeInstanceHistoryBy deletes finished instances in a created-time window', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const a = await startNew(base, 'InputEcho', 'a');
    const b = await startNew(base, 'InputEcho', 'b');
    await waitFor(base, a);
    await waitFor(base, b);
    const r = await clientOp<{ instancesDeleted: number }>(base, 'purgeBy', {
      createdTimeFrom: from,
      runtimeStatus: ['Completed'],
    });
    expect(r.body.instancesDeleted).toBeGreaterThanOrEqual(2);
    expect((await rawStatus(base, a)).code).toBe(404);
  });
});

describe('DurableClient', () => {
  it('startNew with an explicit id refuses a second start while the first runs', async () => {
    const id = `dup-${Date.now()}`;
    await startNew(base, 'LongWait', undefined, id);
    const second = await clientOp<{ error?: string }>(base, 'startNew', {
      name: 'LongWait',
      options: { instanceId: id },
    });
    expect(second.status).toBe(599);
    expect(second.body.error).toContain('409');
    await clientOp(base, 'terminate', { id, reason: 'done' });
  });

  it('getStatus honours showHistory / showHistoryOutput / showInput', async () => {
    const id = await startNew(base, 'HelloSequence');
    await waitFor(base, id);
    const plain = await clientOp<Status>(base, 'getStatus', { id });
    expect(plain.body.runtimeStatus).toBe('Completed');
    expect(plain.body.history).toBeUndefined();
    const full = await clientOp<Status>(base, 'getStatus', {
      id,
      options: { showHistory: true, showHistoryOutput: true },
    });
    expect(full.body.history?.length).toBeGreaterThan(0);
    expect(full.body.history?.find((e) => e['EventType'] === 'TaskCompleted')?.['Result']).toBe('Hello Tokyo');
    const noOutput = await clientOp<Status>(base, 'getStatus', { id, options: { showHistory: true } });
    expect(noOutput.body.history?.find((e) => e['EventType'] === 'TaskCompleted')?.['Result']).toBeUndefined();
    const raw = await rawStatus(base, id, '?showInput=false');
    expect(raw.body.input).toBeNull();
  });

  it('getStatus of an unknown instance throws the SDK 404 error', async () => {
    const r = await clientOp<{ error: string }>(base, 'getStatus', { id: 'nope-nope' });
    expect(r.body.error).toContain('HTTP 404');
  });

  it('getStatusAll pages through every instance with continuation tokens; getStatusBy filters', async () => {
    const created = [await startNew(base, 'InputEcho', 1), await startNew(base, 'InputEcho', 2)];
    for (const id of created) await waitFor(base, id);
    const all = await clientOp<Status[]>(base, 'getStatusAll');
    const ids = all.body.map((s) => s.instanceId);
    for (const id of created) expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    const running = await clientOp<Status[]>(base, 'getStatusBy', { runtimeStatus: ['Running'] });
    expect(running.body.every((s) => s.runtimeStatus === 'Running')).toBe(true);
    // raw paging: top=1 returns a continuation token until the last page
    let token: string | null = null;
    let pages = 0;
    const seen: string[] = [];
    do {
      const res: Response = await fetch(`${api(base)}/instances/?top=1&runtimeStatus=Completed`, {
        headers: { ...durableHeaders(base), ...(token ? { 'x-ms-continuation-token': token } : {}) },
      });
      const page = (await res.json()) as Status[];
      seen.push(...page.map((p) => p.instanceId));
      token = res.headers.get('x-ms-continuation-token');
      pages++;
    } while (token && pages < 1000);
    expect(pages).toBe(seen.length);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('waitForCompletionOrCreateCheckStatusResponse returns the output when done, else a 202 check-status response', async () => {
    const id = await startNew(base, 'InputEcho', { v: 1 });
    const done = await clientOp(base, 'waitForCompletion', { id, timeoutMs: 10_000 });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ v: 1 });
    const waiting = await startNew(base, 'LongWait');
    const pending = await clientOp<Record<string, string>>(base, 'waitForCompletion', {
      id: waiting,
      timeoutMs: 300,
      intervalMs: 100,
    });
    expect(pending.status).toBe(202);
    expect(pending.body['id']).toBe(waiting);
    await clientOp(base, 'terminate', { id: waiting, reason: 'x' });
  });

  it('createCheckStatusResponse / createHttpManagementPayload point at working management URLs', async () => {
    const id = await startNew(base, 'LongWait');
    const payload = (await clientOp<Record<string, string>>(base, 'managementPayload', { id })).body;
    expect(payload['id']).toBe(id);
    const check = await clientOp<Record<string, string>>(base, 'checkStatus', { id });
    expect(check.status).toBe(202);
    expect(check.headers.get('location')).toBe(check.body['statusQueryGetUri']);
    const st = await fetch(check.body['statusQueryGetUri']!);
    expect(st.status).toBe(202);
    expect(((await st.json()) as Status).instanceId).toBe(id);
    const ev = await fetch(check.body['sendEventPostUri']!.replace('{eventName}', 'go'), {
      method: 'POST',
      body: '"via url"',
      headers: { 'content-type': 'application/json' },
    });
    expect(ev.status).toBe(202);
    const s = await waitFor(base, id);
    expect(s.output).toBe('via url');
  });

  it('exposes the task hub name from host.json', async () => {
    expect((await clientOp(base, 'taskHubName')).body).toEqual({ taskHubName: 'ConformanceHub' });
  });

  it('signalEntity and readEntityState: operations run in order, state persists, unknown entities are 404', async () => {
    const key = `c-${Date.now()}`;
    expect((await clientOp(base, 'readEntityState', { entity: 'Tally', key })).body).toEqual({ entityExists: false });
    for (const n of [1, 2, 3])
      expect((await clientOp(base, 'signalEntity', { entity: 'Tally', key, operation: 'add', input: n })).body).toEqual(
        { ok: true },
      );
    let state: { entityExists: boolean; entityState?: unknown } = { entityExists: false };
    for (let i = 0; i < 200 && state.entityState !== 6; i++) {
      state = (await clientOp<typeof state>(base, 'readEntityState', { entity: 'Tally', key })).body;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(state).toEqual({ entityExists: true, entityState: 6 });
    // an entity signalling another entity: the copy starts absent and ends with the forwarded total
    // (a fresh variable, so the wait really reads the copy instead of ending on the first entity's 6)
    expect((await clientOp(base, 'readEntityState', { entity: 'Tally', key: `${key}-copy` })).body).toEqual({
      entityExists: false,
    });
    await clientOp(base, 'signalEntity', { entity: 'Tally', key, operation: 'forward', input: `${key}-copy` });
    let copy: { entityExists: boolean; entityState?: unknown } = { entityExists: false };
    for (let i = 0; i < 200 && copy.entityState !== 6; i++) {
      copy = (await clientOp<typeof copy>(base, 'readEntityState', { entity: 'Tally', key: `${key}-copy` })).body;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(copy).toEqual({ entityExists: true, entityState: 6 });
    const unknown = await clientOp<{ error: string }>(base, 'signalEntity', {
      entity: 'NoSuchEntity',
      key: 'k',
      operation: 'x',
    });
    expect(unknown.body.error).toContain('404');
  });

  it('orchestrations signal and call entities: results come back, entity errors are catchable', async () => {
    const key = `o-${Date.now()}`;
    const id = await startNew(base, 'EntityUser', key);
    const s = await waitFor(base, id);
    expect(s.runtimeStatus).toBe('Completed');
    const out = s.output as { value: number; failed: string; both: unknown[] };
    expect(out.value).toBe(15);
    expect(out.failed).toContain("Entity operation 'fail' on @tally@");
    expect(out.both).toEqual([0, 'Hello entity']);
    expect(eventTypes(s)).toContain('EventSent');
  });
});

describe('public HTTP API', () => {
  it('POST orchestrators/{name}/{id} starts an instance; status codes follow Azure (202 running, 200 done, 404 unknown)', async () => {
    const id = `raw-${Date.now()}`;
    const res = await fetch(`${api(base)}/orchestrators/LongWait/${id}`, {
      method: 'POST',
      headers: durableHeaders(base),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(body['id']).toBe(id);
    expect(res.headers.get('location')).toBe(body['statusQueryGetUri']);
    const running = await rawStatus(base, id);
    expect(running.code).toBe(202);
    expect(
      (
        await fetch(`${api(base)}/instances/${id}/raiseEvent/go`, {
          method: 'POST',
          body: '{"ok":1}',
          headers: durableHeaders(base, true),
        })
      ).status,
    ).toBe(202);
    await waitFor(base, id);
    expect((await rawStatus(base, id)).code).toBe(200);
    expect((await rawStatus(base, 'missing-id')).code).toBe(404);
  });

  it('rejects an unknown orchestrator, an invalid instance id and invalid JSON with 400 naming the problem', async () => {
    const unknown = await fetch(`${api(base)}/orchestrators/NoSuchOrch`, {
      method: 'POST',
      headers: durableHeaders(base),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain("'NoSuchOrch'");
    const badId = await fetch(`${api(base)}/orchestrators/InputEcho/@bad`, {
      method: 'POST',
      headers: durableHeaders(base),
    });
    expect(badId.status).toBe(400);
    const badJson = await fetch(`${api(base)}/orchestrators/InputEcho`, {
      method: 'POST',
      body: '{oops',
      headers: durableHeaders(base, true),
    });
    expect(badJson.status).toBe(400);
    const badStatus = await fetch(`${api(base)}/instances/?runtimeStatus=Sleeping`, { headers: durableHeaders(base) });
    expect(badStatus.status).toBe(400);
  });

  it('the quick-start HTTP starter returns createCheckStatusResponse (202 + Location)', async () => {
    const res = await fetch(`${base}/api/orchestrators/HelloSequence`, { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(res.headers.get('location')).toBe(body['statusQueryGetUri']);
    const s = await waitFor(base, body['id']!);
    expect(s.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
  });

  it('POST with ?timeout= waits for completion and returns the output', async () => {
    const res = await fetch(`${api(base)}/orchestrators/InputEcho?timeout=10`, {
      method: 'POST',
      body: '{"x":2}',
      headers: durableHeaders(base, true),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ x: 2 });
  });
});

describe('host test clock (DEVHOST_TEST_CLOCK=1)', () => {
  const clockUrl = () => `${base}/admin/host/clock`;
  const post = (headers: Record<string, string>, body: string) =>
    fetch(clockUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('POST /admin/host/clock moves the clock forward and answers its time and skew; durable time follows it', async () => {
    const before = await advanceClock(host, 0);
    const after = await advanceClock(host, 60_000);
    expect(after.skewMs - before.skewMs).toBe(60_000);
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(60_000);
    // An orchestration started now sees the advanced time as currentUtcDateTime.
    const s = await waitFor(base, await startNew(base, 'TimerOrch', { ms: 1 }));
    expect(Date.parse((s.output as { start: string }).start)).toBeGreaterThanOrEqual(Date.parse(after.now));
  });

  it('takes only the master key (not the durable system key), refuses cross-origin browsers and names a bad advanceMs', async () => {
    const body = JSON.stringify({ advanceMs: 1 });
    expect((await post({}, body)).status).toBe(401);
    expect(
      (await post({ 'x-functions-key': deriveSystemKey(host.masterKey, DURABLE_SYSTEM_KEY_NAME) }, body)).status,
    ).toBe(401);
    expect((await post({ ...durableHeaders(base), origin: 'https://evil.example' }, body)).status).toBe(403);
    for (const bad of ['{"advanceMs":-5}', '{"advanceMs":"1h"}', '{}', '{oops']) {
      const res = await post(durableHeaders(base), bad);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('advanceMs');
    }
  });
});
