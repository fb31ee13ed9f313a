import { describe, expect, it } from 'vitest';
import {
  cronDueBetween,
  cronMatches,
  decideRetrain,
  evaluateDrift,
  evaluateDriftRules,
  isValidCron,
  nextCronTime,
  parseCron,
  type RetrainRules,
} from '../../shared/decisions';

const D = 86_400_000;
const H = 3_600_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const win = (day: number, value: number) => ({ start: T0 + day * D, value });
const rule = { metric: 'psi', threshold: 0.2, n: 3, m: 5, requireLatest: true };

describe('drift rule: N of the last M windows beyond the threshold, and the latest too', () => {
  it('is actionable with 3 of the last 5 above and the latest above', () => {
    const d = evaluateDrift(rule, [win(1, 0.1), win(2, 0.3), win(3, 0.1), win(4, 0.25), win(5, 0.4)]);
    expect(d).toMatchObject({ actionable: true, beyond: 3, considered: 5, latestBeyond: true, reason: 'ACTIONABLE' });
  });

  it('ignores drift below the rule (2 of 5)', () => {
    expect(evaluateDrift(rule, [win(1, 0.1), win(2, 0.1), win(3, 0.1), win(4, 0.3), win(5, 0.4)])).toMatchObject({
      actionable: false,
      reason: 'TOO_FEW_BEYOND',
    });
  });

  it('is not actionable when the latest window is back within the threshold', () => {
    expect(evaluateDrift(rule, [win(1, 0.3), win(2, 0.3), win(3, 0.3), win(4, 0.3), win(5, 0.1)])).toMatchObject({
      actionable: false,
      reason: 'LATEST_WITHIN',
    });
    expect(
      evaluateDrift({ ...rule, requireLatest: false }, [
        win(1, 0.3),
        win(2, 0.3),
        win(3, 0.3),
        win(4, 0.3),
        win(5, 0.1),
      ]).actionable,
    ).toBe(true);
  });

  it('looks only at the M most recent windows, whatever the arrival order', () => {
    const old = [win(-3, 0.9), win(-2, 0.9), win(-1, 0.9)];
    const d = evaluateDrift(rule, [win(5, 0.3), ...old, win(1, 0.1), win(3, 0.1), win(2, 0.1), win(4, 0.1)]);
    expect(d).toMatchObject({ actionable: false, beyond: 1, considered: 5, latestStartMs: T0 + 5 * D });
  });

  it('collapses a storm of repeated observations of one window into one window (last value wins)', () => {
    const storm = Array.from({ length: 1000 }, () => win(5, 0.5));
    expect(evaluateDrift(rule, storm)).toMatchObject({ actionable: false, beyond: 1, considered: 1 });
    expect(evaluateDrift(rule, [win(5, 0.5), win(5, 0.1)]).latestBeyond).toBe(false);
  });

  it('treats equal-to-threshold and NaN as not drifting; supports below-threshold rules (p-values)', () => {
    expect(evaluateDrift({ ...rule, n: 1, m: 1 }, [win(1, 0.2)]).actionable).toBe(false);
    expect(evaluateDrift({ ...rule, n: 1, m: 1 }, [win(1, Number.NaN)]).actionable).toBe(false);
    expect(
      evaluateDrift({ metric: 'ks_p', threshold: 0.05, n: 1, m: 1, direction: 'below' }, [win(1, 0.01)]).actionable,
    ).toBe(true);
  });

  it('needs N even with fewer than M windows, and says there are none', () => {
    expect(evaluateDrift(rule, [win(1, 0.9), win(2, 0.9)]).actionable).toBe(false);
    expect(evaluateDrift(rule, [win(1, 0.9), win(2, 0.9), win(3, 0.9)]).actionable).toBe(true);
    expect(evaluateDrift(rule, []).reason).toBe('NO_WINDOWS');
  });

  it('combines rules per metric: any actionable rule is enough', () => {
    const r = evaluateDriftRules([rule, { metric: 'js', threshold: 0.1, n: 1, m: 1 }], { js: [win(1, 0.2)] });
    expect(r.actionable).toBe(true);
    expect(r.decisions.map((d) => d.reason)).toEqual(['NO_WINDOWS', 'ACTIONABLE']);
  });
});

describe('retraining cooldown and debounce', () => {
  const rules: RetrainRules = { cooldown: '24h', maxDelay: '6h', blockWhilePendingApproval: true };
  const now = T0 + 10 * D;

  it('starts when nothing runs, nothing awaits approval and the cooldown is over', () => {
    expect(decideRetrain(rules, {}, { kind: 'drift', at: now })).toMatchObject({ action: 'start', reason: 'CLEAR' });
    expect(decideRetrain(rules, { lastStartedAt: now - 24 * H }, { kind: 'schedule', at: now }).action).toBe('start');
  });

  it('suppresses every trigger kind while a run is in progress, manual included', () => {
    for (const kind of ['drift', 'schedule', 'manual'] as const) {
      expect(decideRetrain(rules, { running: { runId: 'r1', startedAt: now - H } }, { kind, at: now })).toMatchObject({
        action: 'suppress',
        reason: 'RUNNING',
      });
    }
  });

  it('suppresses while a candidate awaits approval, unless a manual request forces it or the policy allows', () => {
    const state = { pendingApproval: { requestId: 'apr-1' } };
    expect(decideRetrain(rules, state, { kind: 'drift', at: now })).toMatchObject({
      action: 'suppress',
      reason: 'PENDING_APPROVAL',
    });
    expect(decideRetrain(rules, state, { kind: 'manual', at: now })).toMatchObject({
      action: 'suppress',
      reason: 'PENDING_APPROVAL',
    });
    expect(decideRetrain(rules, state, { kind: 'manual', at: now, force: true }).action).toBe('start');
    expect(
      decideRetrain({ ...rules, blockWhilePendingApproval: false }, state, { kind: 'drift', at: now }).action,
    ).toBe('start');
  });

  it('arms one trailing trigger for drift in the cooldown, at min(cooldown end, first + maxDelay)', () => {
    const d = decideRetrain(rules, { lastStartedAt: now - 2 * H }, { kind: 'drift', at: now });
    expect(d).toMatchObject({
      action: 'suppress',
      reason: 'COOLDOWN',
      trailing: { dueAtMs: now + 6 * H, firstSuppressedAtMs: now, newlyArmed: true },
    });
    const late = decideRetrain(rules, { lastStartedAt: now - 22 * H }, { kind: 'drift', at: now });
    expect(late).toMatchObject({ trailing: { dueAtMs: now + 2 * H } });
    const noMax = decideRetrain({ cooldown: '24h' }, { lastStartedAt: now - 2 * H }, { kind: 'drift', at: now });
    expect(noMax).toMatchObject({ trailing: { dueAtMs: now + 22 * H } });
  });

  it('collapses later drift triggers into the armed trailing trigger (storm → one trailing run)', () => {
    const state = { lastStartedAt: now - 2 * H, trailing: { dueAt: now + 6 * H, firstSuppressedAt: now } };
    for (let i = 1; i <= 1000; i++) {
      const d = decideRetrain(rules, state, { kind: 'drift', at: now + i * 1000 });
      expect(d).toMatchObject({
        action: 'suppress',
        reason: 'COOLDOWN',
        trailing: { dueAtMs: now + 6 * H, newlyArmed: false },
      });
    }
  });

  it('starts the trailing run if drift persists, drops it if drift resolved', () => {
    const state = { lastStartedAt: now - 2 * H, trailing: { dueAt: now, firstSuppressedAt: now - 6 * H } };
    expect(decideRetrain(rules, state, { kind: 'trailing', at: now, driftStillActionable: true })).toMatchObject({
      action: 'start',
      reason: 'TRAILING',
      clearTrailing: true,
    });
    expect(decideRetrain(rules, state, { kind: 'trailing', at: now, driftStillActionable: false })).toMatchObject({
      action: 'drop',
      reason: 'DRIFT_RESOLVED',
    });
    expect(
      decideRetrain(rules, { ...state, running: { runId: 'r', startedAt: now } }, { kind: 'trailing', at: now }),
    ).toMatchObject({ action: 'suppress', reason: 'RUNNING', clearTrailing: true });
  });

  it('skips schedules in the cooldown without trailing, and lets manual requests through it', () => {
    const state = { lastStartedAt: now - H };
    const s = decideRetrain(rules, state, { kind: 'schedule', at: now });
    expect(s).toMatchObject({ action: 'suppress', reason: 'COOLDOWN' });
    expect('trailing' in s && s.trailing).toBeFalsy();
    expect(decideRetrain(rules, state, { kind: 'manual', at: now })).toMatchObject({
      action: 'start',
      reason: 'MANUAL_IGNORES_COOLDOWN',
    });
  });

  it('ends the cooldown exactly at lastStartedAt + cooldown', () => {
    expect(decideRetrain(rules, { lastStartedAt: now - 24 * H + 1 }, { kind: 'drift', at: now }).action).toBe(
      'suppress',
    );
    expect(decideRetrain(rules, { lastStartedAt: now - 24 * H }, { kind: 'drift', at: now }).action).toBe('start');
  });
});

describe('cron schedules (UTC)', () => {
  it('parses lists, ranges and steps and rejects malformed fields naming them', () => {
    const c = parseCron('*/15 9-17 * * 1-5');
    expect([...c.minutes]).toEqual([0, 15, 30, 45]);
    expect(isValidCron('0 3 * * 1')).toBe(true);
    expect(() => parseCron('61 * * * *')).toThrow(/minute field/);
    expect(() => parseCron('0 3 * *')).toThrow(/5 fields/);
    expect(() => parseCron('0 3 * * MON')).toThrow(/day of week/);
  });

  it('finds the next fire time strictly after an instant', () => {
    const mondays3am = parseCron('0 3 * * 1');
    expect(new Date(nextCronTime(mondays3am, '2026-05-14T09:00:00Z')!).toISOString()).toBe('2026-05-18T03:00:00.000Z');
    expect(new Date(nextCronTime(mondays3am, '2026-05-18T03:00:00Z')!).toISOString()).toBe('2026-05-25T03:00:00.000Z');
    expect(new Date(nextCronTime(parseCron('30 2 29 2 *'), '2026-01-01T00:00:00Z')!).toISOString()).toBe(
      '2028-02-29T02:30:00.000Z',
    );
  });

  it('treats 7 as Sunday and ORs day-of-month with day-of-week when both are restricted', () => {
    expect(cronMatches(parseCron('0 0 * * 7'), '2026-05-17T00:00:00Z')).toBe(true);
    const either = parseCron('0 0 1 * 1');
    expect(cronMatches(either, '2026-05-01T00:00:00Z')).toBe(true);
    expect(cronMatches(either, '2026-05-04T00:00:00Z')).toBe(true);
    expect(cronMatches(either, '2026-05-05T00:00:00Z')).toBe(false);
  });

  it('tells a minute ticker whether a schedule fell due in (from, to]', () => {
    const c = parseCron('0 3 * * *');
    expect(cronDueBetween(c, '2026-05-14T02:59:00Z', '2026-05-14T03:00:00Z')).toBe(Date.parse('2026-05-14T03:00:00Z'));
    expect(cronDueBetween(c, '2026-05-14T03:00:00Z', '2026-05-14T03:01:00Z')).toBeUndefined();
  });
});
