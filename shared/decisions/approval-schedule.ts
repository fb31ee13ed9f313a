import { parseDuration } from './duration';
import { type Instant, toMs } from './time';

/**
 * The timers an approval request races its decisions against: reminders, escalation steps and the
 * deadline, as one ordered list computed from the request's creation time.
 *
 * Invariants:
 * - Ordered by time; at the same instant: escalation, then reminder, then deadline.
 * - Nothing is scheduled at or after the deadline except the deadline itself.
 * - A reminder at the same instant as an escalation step is dropped (the escalation notifies anyway).
 * - Without a deadline, reminders stop after `maxReminders` (default 50) so the list is finite.
 * - Reminders are counted from creation (createdAt + k·every), not from the last notification, so a
 *   replaying orchestrator recomputes exactly the same instants.
 */
export type TimerEventKind = 'reminder' | 'escalation' | 'deadline';

export interface TimerEvent {
  kind: TimerEventKind;
  atMs: number;
  at: string;
  /** reminder: 1-based count; escalation: 0-based step index; deadline: 0. */
  index: number;
}

export interface ScheduleRules {
  reminderEvery?: string;
  escalation?: readonly { after: string }[];
  deadline?: string;
}

const ORDER: Record<TimerEventKind, number> = { escalation: 0, reminder: 1, deadline: 2 };

export function approvalSchedule(
  createdAt: Instant,
  rules: ScheduleRules,
  options: { maxReminders?: number } = {},
): TimerEvent[] {
  const created = toMs(createdAt);
  const deadline = rules.deadline === undefined ? undefined : created + parseDuration(rules.deadline);
  const events: TimerEvent[] = [];
  const ev = (kind: TimerEventKind, atMs: number, index: number): TimerEvent => ({
    kind,
    atMs,
    at: new Date(atMs).toISOString(),
    index,
  });

  const escalationTimes = new Set<number>();
  (rules.escalation ?? []).forEach((step, i) => {
    const at = created + parseDuration(step.after);
    if (deadline !== undefined && at >= deadline) return;
    escalationTimes.add(at);
    events.push(ev('escalation', at, i));
  });

  if (rules.reminderEvery !== undefined) {
    const every = parseDuration(rules.reminderEvery);
    const max = options.maxReminders ?? 50;
    if (every > 0) {
      for (let k = 1; k <= max; k++) {
        const at = created + k * every;
        if (deadline !== undefined && at >= deadline) break;
        if (escalationTimes.has(at)) continue;
        events.push(ev('reminder', at, k));
      }
    }
  }
  if (deadline !== undefined) events.push(ev('deadline', deadline, 0));
  return events.sort((a, b) => a.atMs - b.atMs || ORDER[a.kind] - ORDER[b.kind] || a.index - b.index);
}

/**
 * Events still to come strictly after `now` (a resumed orchestrator skips what already fired).
 * Overdue events (at <= now) that were not handled can be found with `dueEvents`.
 */
export function upcomingEvents(schedule: readonly TimerEvent[], now: Instant): TimerEvent[] {
  const t = toMs(now);
  return schedule.filter((e) => e.atMs > t);
}

export function dueEvents(schedule: readonly TimerEvent[], after: Instant | undefined, now: Instant): TimerEvent[] {
  const from = after === undefined ? -Infinity : toMs(after);
  const t = toMs(now);
  return schedule.filter((e) => e.atMs > from && e.atMs <= t);
}

/** The next timer to wait for, or undefined when nothing is left. */
export function nextEvent(schedule: readonly TimerEvent[], now: Instant): TimerEvent | undefined {
  return upcomingEvents(schedule, now)[0];
}
