import { describe, expect, it } from 'vitest';
import {
  approvalSchedule,
  dueEvents,
  formatDuration,
  nextEvent,
  parseDuration,
  tryParseDuration,
  upcomingEvents,
} from '../../shared/decisions';

const T0 = Date.parse('2026-05-14T09:00:00Z');
const H = 3_600_000;

describe('durations', () => {
  it('parses compact durations with units in descending order', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1d12h')).toBe(129_600_000);
    expect(parseDuration('0s')).toBe(0);
  });

  it('rejects ISO-8601, spaces, fractions, wrong order and empty text', () => {
    for (const bad of ['PT1H', '1 h', '1.5h', '30m1h', '', 'h', '1w']) expect(tryParseDuration(bad)).toBeUndefined();
    expect(() => parseDuration('PT1H')).toThrow(/not a duration/);
  });

  it('formats back to the compact form', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('approval timer schedule', () => {
  it('orders reminders, escalations and the deadline by time', () => {
    const s = approvalSchedule(T0, {
      reminderEvery: '4h',
      escalation: [{ after: '6h' }, { after: '10h' }],
      deadline: '12h',
    });
    expect(s.map((e) => [e.kind, (e.atMs - T0) / H])).toEqual([
      ['reminder', 4],
      ['escalation', 6],
      ['reminder', 8],
      ['escalation', 10],
      ['deadline', 12],
    ]);
    expect(s[0]?.at).toBe('2026-05-14T13:00:00.000Z');
  });

  it('schedules nothing at or after the deadline except the deadline itself', () => {
    const s = approvalSchedule(T0, { reminderEvery: '4h', escalation: [{ after: '8h' }], deadline: '8h' });
    expect(s.map((e) => e.kind)).toEqual(['reminder', 'deadline']);
  });

  it('drops a reminder that coincides with an escalation', () => {
    const s = approvalSchedule(T0, { reminderEvery: '4h', escalation: [{ after: '8h' }], deadline: '13h' });
    expect(s.map((e) => [e.kind, (e.atMs - T0) / H])).toEqual([
      ['reminder', 4],
      ['escalation', 8],
      ['reminder', 12],
      ['deadline', 13],
    ]);
  });

  it('bounds reminders without a deadline', () => {
    expect(approvalSchedule(T0, { reminderEvery: '1h' }, { maxReminders: 5 })).toHaveLength(5);
    expect(approvalSchedule(T0, { reminderEvery: '1h' })).toHaveLength(50);
  });

  it('is empty without reminders, escalations or a deadline', () => {
    expect(approvalSchedule(T0, {})).toEqual([]);
  });

  it('is the same list whatever instant type is given (replay-safe)', () => {
    const rules = { reminderEvery: '2h', deadline: '5h' };
    expect(approvalSchedule(new Date(T0), rules)).toEqual(approvalSchedule('2026-05-14T09:00:00Z', rules));
  });

  it('finds the next, upcoming and overdue events for a resumed orchestrator', () => {
    const s = approvalSchedule(T0, { reminderEvery: '1h', deadline: '3h' });
    expect(nextEvent(s, T0 + 1.5 * H)?.atMs).toBe(T0 + 2 * H);
    expect(upcomingEvents(s, T0 + 2 * H).map((e) => e.kind)).toEqual(['deadline']);
    expect(dueEvents(s, T0 + H, T0 + 3 * H).map((e) => e.kind)).toEqual(['reminder', 'deadline']);
    expect(nextEvent(s, T0 + 3 * H)).toBeUndefined();
  });
});
