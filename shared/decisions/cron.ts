import { Cron } from 'croner';
import { type Instant, toMs } from './time';

/**
 * Five-field cron (minute hour day-of-month month day-of-week) of pipeline and retraining schedules, in UTC.
 * Supports `*`, numbers, lists `a,b`, ranges `a-b`, steps `*\/n` and `a-b/n`; day-of-week 0-7 (0 and 7 = Sunday).
 * Like Vixie cron, when both day-of-month and day-of-week are restricted (written other than `*`) a day matches if
 * EITHER does. Names (JAN, MON), `L`, `W`, `#` and seconds are not supported: parseCron says so.
 *
 * Split of work (as devhost's NCRONTAB reader does): this module reads and checks the fields (the syntax above, with
 * errors naming the field, which croner's parser neither gives nor limits to this subset) into value sets; croner
 * computes matches and occurrences from those sets, each field written out as `*` (only where the source field is
 * `*`) or a plain list, so croner's "restricted" day fields are exactly ours.
 *
 * Time: UTC always (croner with `timezone: 'UTC'`), so no time zone or daylight-saving rule ever applies; a schedule
 * fires at the same UTC minute every day of the year. Pure: croner's Cron is used only to compute (paused, no
 * callback, never scheduled), from the instant it is given.
 */
export interface CronExpression {
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  /** croner over the same value sets, in UTC. */
  occurrences: Cron;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** nextCronTime looks this far ahead (about five years) and answers undefined beyond it. */
const HORIZON_MS = 5 * 366 * 86_400_000;

function parseField(text: string, f: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`cron ${f.name} field '${text}': '${part}' is not a number, range, list or step`);
    let lo: number = f.min;
    let hi: number = f.max;
    if (m[1] !== '*') {
      lo = Number(m[2]);
      hi = m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    }
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < f.min || hi > f.max || lo > hi)
      throw new RangeError(`cron ${f.name} field '${text}': values must be ${f.min}-${f.max}`);
    if (step < 1) throw new RangeError(`cron ${f.name} field '${text}': step must be at least 1`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** A field for croner: `*` only where the source wrote `*` (croner's day rule reads that), else the plain values. */
function cronerField(source: string, values: ReadonlySet<number>): string {
  return source === '*' ? '*' : [...values].sort((a, b) => a - b).join(',');
}

export function parseCron(source: string): CronExpression {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new RangeError(`cron '${source}' must have 5 fields (minute hour day month weekday), has ${parts.length}`);
  const sets = parts.map((p, i) => parseField(p, FIELDS[i]!));
  const [mi, h, d, mo, w] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (w.has(7)) {
    w.delete(7);
    w.add(0);
  }
  const pattern = parts.map((p, i) => cronerField(p, sets[i]!)).join(' ');
  const occurrences = new Cron(pattern, { paused: true, timezone: 'UTC', domAndDow: false, mode: '5-part' });
  return { source, minutes: mi, hours: h, days: d, months: mo, weekdays: w, occurrences };
}

export function isValidCron(source: string): boolean {
  try {
    parseCron(source);
    return true;
  } catch {
    return false;
  }
}

/** Whether the UTC minute of `at` matches (seconds and milliseconds are ignored). */
export function cronMatches(c: CronExpression, at: Instant): boolean {
  return c.occurrences.match(new Date(Math.floor(toMs(at) / 60_000) * 60_000));
}

/** First matching minute strictly after `after` (ms, whole minutes), or undefined within ~5 years. */
export function nextCronTime(c: CronExpression, after: Instant): number | undefined {
  // The last millisecond of `after`'s minute: croner answers strictly after it, i.e. from the next whole minute on.
  const endOfMinute = Math.floor(toMs(after) / 60_000) * 60_000 + 59_999;
  const next = c.occurrences.nextRun(new Date(endOfMinute))?.getTime();
  return next !== undefined && next < endOfMinute + 1 + HORIZON_MS ? next : undefined;
}

/** Whether a schedule fired in (from, to]: for a timer trigger ticking every minute to ask "is model X due?". */
export function cronDueBetween(c: CronExpression, from: Instant, to: Instant): number | undefined {
  const next = nextCronTime(c, from);
  return next !== undefined && next <= toMs(to) ? next : undefined;
}
