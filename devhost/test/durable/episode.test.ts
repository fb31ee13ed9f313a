/** The pure parts of an orchestrator episode (devhost/durable/episode.ts): inbox triage, the SDK's answer, the outcome. */
import { describe, expect, it } from 'vitest';
import {
  customStatusOf,
  episodeOutcome,
  ev,
  readInvocation,
  triageInbox,
  type PendingMsg,
} from '../../durable/episode';
import { EventType, type InboxMessage } from '../../durable/types';

const NOW = Date.parse('2026-01-01T00:00:00Z');
let row = 0;
const msg = (
  message: InboxMessage,
  executionId: string | null = 'e1',
  source: PendingMsg['source'] = 'inbox',
): PendingMsg => ({ source, rowId: ++row, executionId, message });
const event = (
  type: number,
  fields: Record<string, unknown> = {},
  executionId: string | null = 'e1',
  source: PendingMsg['source'] = 'inbox',
) => msg({ kind: 'event', event: ev(type, NOW, fields) }, executionId, source);
const types = (events: { EventType: number }[]) => events.map((e) => e.EventType);

describe('triageInbox', () => {
  it('starts a pending instance: ExecutionStarted goes first, a second start and stale results are consumed and dropped', () => {
    const raised = event(EventType.EventRaised, { Name: 'go' });
    const start = event(EventType.ExecutionStarted);
    const again = event(EventType.ExecutionStarted);
    const stale = event(EventType.TaskCompleted, { TaskScheduledId: 0 }, 'old-execution');
    const t = triageInbox([raised, start, again, stale], { status: 'Pending', executionId: 'e1' }, false, NOW);
    expect(t.status).toBe('Running');
    expect(t.started).toBe(true);
    expect(types(t.inbound)).toEqual([EventType.ExecutionStarted, EventType.EventRaised]);
    expect(t.consumedInbox.sort()).toEqual([raised.rowId, start.rowId, again.rowId, stale.rowId].sort());
    expect(t.held).toEqual([]);
  });

  it('holds work while suspended, applies resume, and records both as control events at `now`', () => {
    const suspend = msg({ kind: 'suspend', reason: 'pause' });
    const held = event(EventType.EventRaised, { Name: 'x' });
    const t = triageInbox([suspend, held], { status: 'Running', executionId: 'e1' }, true, NOW);
    expect(t.status).toBe('Suspended');
    expect(t.held).toEqual([held]);
    expect(t.control).toMatchObject([
      { EventType: EventType.ExecutionSuspended, Reason: 'pause', Timestamp: new Date(NOW).toISOString() },
    ]);
    const resumed = triageInbox(
      [msg({ kind: 'resume', reason: 'go on' }), held],
      { status: 'Suspended', executionId: 'e1' },
      true,
      NOW,
    );
    expect(resumed.status).toBe('Running');
    expect(types(resumed.control)).toEqual([EventType.ExecutionResumed]);
    expect(types(resumed.inbound)).toEqual([EventType.EventRaised]);
  });

  it('after a terminate every later message is consumed unread; fired timers report their ids and latest fire time', () => {
    const fired = event(EventType.TimerFired, { TimerId: 3, FireAt: '2026-01-01T02:00:00.000Z' }, 'e1', 'timer');
    const term = msg({ kind: 'terminate', reason: 'stop' });
    const late = event(EventType.TimerFired, { TimerId: 4, FireAt: '2026-01-01T03:00:00.000Z' }, 'e1', 'timer');
    const t = triageInbox([fired, term, late], { status: 'Running', executionId: 'e1' }, true, NOW);
    expect(t.terminateReason).toBe('stop');
    expect(t.consumedTimers).toEqual([fired.rowId, late.rowId]);
    expect(t.firedTimerIds).toEqual([3]);
    expect(t.maxFireAt).toBe(Date.parse('2026-01-01T02:00:00.000Z'));
  });
});

describe('readInvocation and customStatusOf', () => {
  it('takes an OrchestratorState, refuses a non-state answer, and reads the SDK failure marker with its custom status', () => {
    expect(readInvocation({ ok: true, value: { isDone: false, actions: [[]] } })).toEqual({
      state: { isDone: false, actions: [[]] },
    });
    expect(readInvocation({ ok: true, value: undefined }).failure?.message).toContain('returned no OrchestratorState');
    const marker = `boom\n\n$OutOfProcData$:${JSON.stringify({ error: 'Error: boom', customStatus: { step: 2 }, failureDetails: { ErrorType: 'Error' } })}`;
    expect(readInvocation({ ok: false, error: new Error(marker) })).toEqual({
      state: { customStatus: { step: 2 } },
      failure: { message: 'Error: boom', details: 'Error: boom', failureDetails: { ErrorType: 'Error' } },
    });
    expect(readInvocation({ ok: false, error: 'plain' })).toEqual({ failure: { message: 'plain', details: '' } });
  });

  it('keeps the previous custom status unless the state sets one; over 16 KB of UTF-16 is a failure', () => {
    expect(customStatusOf(undefined, '"old"')).toEqual({ customStatus: '"old"' });
    expect(customStatusOf({ customStatus: { a: 1 } }, null)).toEqual({ customStatus: '{"a":1}' });
    const big = customStatusOf({ customStatus: 'x'.repeat(9_000) }, '"old"');
    expect(big.customStatus).toBe('"old"');
    expect(big.failure?.message).toContain('must not exceed 16 KB');
  });
});

describe('episodeOutcome', () => {
  const base = {
    name: 'Orch',
    status: 'Running' as const,
    output: null,
    state: undefined,
    failure: undefined,
    continueAsNewInput: undefined,
    now: NOW,
  };

  it('a finished orchestrator completes with its output and tells its parent', () => {
    const o = episodeOutcome({ ...base, state: { isDone: true, actions: [[]], output: { ok: 1 } } });
    expect(o).toMatchObject({
      status: 'Completed',
      output: '{"ok":1}',
      parentNotice: { EventType: EventType.SubOrchestrationInstanceCompleted, Result: '{"ok":1}' },
    });
    expect(types(o.closing)).toEqual([EventType.ExecutionCompleted, EventType.OrchestratorCompleted]);
  });

  it('a failure fails the instance naming the orchestrator (a non-determinism message is kept as is)', () => {
    const o = episodeOutcome({ ...base, failure: { message: 'bad', details: '' } });
    expect(o).toMatchObject({
      status: 'Failed',
      output: JSON.stringify("Orchestrator function 'Orch' failed: bad"),
      failedWith: "Orchestrator function 'Orch' failed: bad",
    });
    expect(o.parentNotice).toMatchObject({
      EventType: EventType.SubOrchestrationInstanceFailed,
      Details: "Orchestrator function 'Orch' failed: bad",
    });
    expect(
      episodeOutcome({ ...base, failure: { message: 'Non-Deterministic workflow detected: x', details: 'd' } })
        .failedWith,
    ).toBe('Non-Deterministic workflow detected: x');
  });

  it('continue-as-new records the new input and keeps the status; an unfinished episode only closes', () => {
    const c = episodeOutcome({ ...base, state: { isDone: true, actions: [[]] }, continueAsNewInput: '{"n":2}' });
    expect(c.status).toBe('Running');
    expect(c.closing[0]).toMatchObject({ EventType: EventType.ContinueAsNew, Result: '{"n":2}' });
    expect(c.parentNotice).toBeUndefined();
    expect(types(episodeOutcome({ ...base, output: '"x"' }).closing)).toEqual([EventType.OrchestratorCompleted]);
  });

  it('an output that cannot be serialised fails the instance with output null', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const o = episodeOutcome({ ...base, state: { isDone: true, actions: [[]], output: cyclic } });
    expect(o).toMatchObject({ status: 'Failed', output: 'null' });
    expect(o.outputError).toBeDefined();
  });
});
