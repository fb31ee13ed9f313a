import { type Instant, toMs } from './time';

/**
 * Five-field cron (minute hour day-of-month month day-of-week), evaluated in UTC.
 * Supports `*`, numbers, lists `a,b`, ranges `a-b`, steps `*\/n` and `a-b/n`; day-of-week 0-7 (0 and 7 = Sunday).
 * Like Vixie cron, when both day-of-month and day-of-week are restricted a day matches if EITHER does.
 * Names (JAN, MON), `L`, `W`, `#` and seconds are not supported: parseCron says so.
 */
export interface CronExpression {
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

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

export function parseCron(source: string): CronExpression {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new RangeError(`cron '${source}' must have 5 fields (minute hour day month weekday), has ${parts.length}`);
  const [mi, h, d, mo, w] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (w.has(7)) {
    w.delete(7);
    w.add(0);
  }
  return {
    source,
    minutes: mi,
    hours: h,
    days: d,
    months: mo,
    weekdays: w,
    dayRestricted: parts[2] !== '*',
    weekdayRestricted: parts[4] !== '*',
  };
}

export function isValidCron(source: string): boolean {
  try {
    parseCron(source);
    return true;
  } catch {
    return false;
  }
}

function dayMatches(c: CronExpression, d: Date): boolean {
  const dom = c.days.has(d.getUTCDate());
  const dow = c.weekdays.has(d.getUTCDay());
  if (c.dayRestricted && c.weekdayRestricted) return dom || dow;
  return dom && dow;
}

export function cronMatches(c: CronExpression, at: Instant): boolean {
  const d = new Date(toMs(at));
  return (
    c.minutes.has(d.getUTCMinutes()) &&
    c.hours.has(d.getUTCHours()) &&
    c.months.has(d.getUTCMonth() + 1) &&
    dayMatches(c, d)
  );
}

/** First matching minute strictly after `after` (ms, whole minutes), or undefined within ~5 years. */
export function nextCronTime(c: CronExpression, after: Instant): number | undefined {
  let t = Math.floor(toMs(after) / 60_000) * 60_000 + 60_000;
  const limit = t + 5 * 366 * 86_400_000;
  while (t < limit) {
    const d = new Date(t);
    if (!c.months.has(d.getUTCMonth() + 1)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(c, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!c.hours.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (c.minutes.has(d.getUTCMinutes())) return t;
    t += 60_000;
  }
  return undefined;
}

/** Whether a schedule fired in (from, to]: for a timer trigger ticking every minute to ask "is model X due?". */
export function cronDueBetween(c: CronExpression, from: Instant, to: Instant): number | undefined {
  const next = nextCronTime(c, from);
  return next !== undefined && next <= toMs(to) ? next : undefined;
}
