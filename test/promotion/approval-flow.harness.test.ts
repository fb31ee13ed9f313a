/**
 * The approval wait of `modelPromotion` at the orchestrator level, in the in-process harness with a virtual clock
 * (test/durable/harness.ts): reminders, an escalation step and the deadline happen when the test advances time,
 * so a 3-day deadline takes milliseconds. Activities are scripted like the real approval store
 * (test/durable/replay-scenarios.ts); the store's own rules are tested in test/approvals/.
 */
import { describe, expect, it } from 'vitest';
import { APPROVAL_DECISION_EVENT } from '../../shared/promotion/names';
import type { PromotionRecord } from '../../shared/promotion/types';
import type { ApprovalRequest } from '../../shared/approvals/model';
import { type CallInfo, OrchestratorHarness } from '../durable/harness';
import { approvalStore, passed, promotionActivities, promotionEvent } from '../durable/replay-scenarios';

const HOUR = 3600_000;

function promotion(opts: { escalation?: Array<{ after: string; notify: string[] }> } = {}) {
  const store = approvalStore();
  const timerEvents: Array<{ kind: string; index: number; channels: string[]; at: number }> = [];
  const deadlines: Array<{ atMs: number; at: number }> = [];
  const records: PromotionRecord[] = [];
  const base = promotionActivities();
  const load = base['promotionLoadContext']!;
  const h = new OrchestratorHarness('modelPromotion', {
    input: { event: promotionEvent('fraud', '7') },
    instanceId: 'promotion:fraud:7',
    start: '2024-01-01T00:00:00.000Z',
    activities: {
      ...base,
      ...store.handlers,
      promotionLoadContext: (i: unknown, c: CallInfo) => {
        const r = load(i, c) as { policy: { policy: { approval: { escalation: unknown[] } } } };
        if (opts.escalation) r.policy.policy.approval.escalation = opts.escalation;
        return r;
      },
      promotionApprovalTimerEvent: (i: unknown, c: CallInfo) => {
        timerEvents.push({ ...(i as { kind: string; index: number; channels: string[] }), at: c.now.getTime() });
        return store.handlers['promotionReadApproval']!(i, c);
      },
      promotionApprovalDeadline: (i: unknown, c: CallInfo) => {
        deadlines.push({ atMs: (i as { atMs: number }).atMs, at: c.now.getTime() });
        const r = store.handlers['promotionReadApproval']!(i, c) as ApprovalRequest;
        return { ...r, status: 'expired', reason: 'deadline', closedAt: c.now.toISOString() };
      },
      promotionWriteRecord: (i: unknown) => {
        records.push(i as PromotionRecord);
        return undefined;
      },
    },
    subOrchestrations: { promotionCheck: (i) => passed((i as { id: string }).id) },
  });
  return { h, store, timerEvents, deadlines, records };
}

describe('modelPromotion approval wait (virtual clock)', () => {
  it('sends a reminder every 4 h, then expires the request at the 3-day deadline and records the outcome', async () => {
    const { h, timerEvents, deadlines, records } = promotion();
    await h.start();
    const t0 = h.currentTime.getTime();
    expect(h.status).toBe('Running');
    expect(h.customStatus).toMatchObject({ step: 'approval', nextTimer: { kind: 'reminder' } });

    await h.advance(4 * HOUR);
    expect(timerEvents).toEqual([
      {
        approvalId: expect.any(String) as string,
        kind: 'reminder',
        index: 1,
        channels: ['hook'],
        reportUrl: 'http://127.0.0.1/report.html',
        at: t0 + 4 * HOUR,
      },
    ]);
    expect(deadlines).toEqual([]);

    await h.advance(72 * HOUR - 4 * HOUR - 1);
    expect(deadlines).toEqual([]);
    expect(timerEvents).toHaveLength(17); // 4 h … 68 h; none at the deadline itself
    await h.advance(1);
    expect(deadlines).toEqual([{ atMs: t0 + 72 * HOUR, at: t0 + 72 * HOUR }]);
    expect(h.status).toBe('Completed');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'expired', model: 'fraud', version: '7' });
  });

  it('an escalation step notifies its own channels at its time, before the next reminder', async () => {
    const { h, timerEvents } = promotion({ escalation: [{ after: '2h', notify: ['hook'] }] });
    await h.start();
    const t0 = h.currentTime.getTime();
    await h.advance(4 * HOUR);
    expect(timerEvents.map((e) => [e.kind, e.index, e.at - t0])).toEqual([
      ['escalation', 0, 2 * HOUR],
      ['reminder', 1, 4 * HOUR],
    ]);
  });

  it('a decision before the deadline wins: the losing timer is cancelled and no deadline ever runs', async () => {
    const { h, store, deadlines, records } = promotion();
    await h.start();
    await h.advance(HOUR);
    store.approve();
    await h.raise(APPROVAL_DECISION_EVENT, { approvalId: 'promotion:fraud:7', status: 'approved' });
    expect(h.status).toBe('Completed');
    expect(h.lastReplay?.canceledTimerIds.length).toBeGreaterThan(0);
    await h.advance(100 * HOUR);
    expect(deadlines).toEqual([]);
    expect(records[0]).toMatchObject({ outcome: 'promoted', approval: { status: 'approved' } });
  });
});
