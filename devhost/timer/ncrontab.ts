/**
 * NCRONTAB expressions as Azure Functions timer triggers read them (the NCrontab library):
 * `{second} {minute} {hour} {day} {month} {day-of-week}`; five fields mean seconds = 0, as the Functions host allows.
 *
 * Field syntax: `*`, `n`, `a-b`, `*\/s`, `a-b/s`, `n/s` (from n to the end of the range), comma lists of these,
 * month names (JAN or January) and day names (MON or Monday), case-insensitive. Day-of-week is 0-6 (0 = Sunday).
 *
 * Split of work: this module reads and checks the fields (NCrontab's syntax and ranges, with errors naming the
 * field, which croner's parser does not give and whose long names and `7` it reads differently) into value sets;
 * croner computes the occurrences from those sets, written out as plain lists, with `domAndDow`.
 *
 * Invariant (NCrontab, unlike Vixie cron): day-of-month AND day-of-week must both match.
 * All arithmetic here is on "wall clock" milliseconds: a UTC timestamp whose UTC fields are the local fields.
 * Time zones are handled by the caller (schedule.ts).
 */
import { Cron } from 'croner';

export interface CronExpression {
  readonly source: string;
  readonly seconds: readonly boolean[];
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly days: readonly boolean[];
  readonly months: readonly boolean[];
  readonly daysOfWeek: readonly boolean[];
  /** croner over the same value sets, in UTC (wall-clock milliseconds). */
  readonly occurrences: Cron;
}

export class CronSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronSyntaxError';
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, names: DAYS },
];

function parseValue(text: string, spec: FieldSpec): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max)
      throw new CronSyntaxError(`${spec.name} value ${n} is out of range ${spec.min}-${spec.max}`);
    return n;
  }
  // Names: at least the first three letters (MON, Mon, Monday), as NCrontab reads them.
  const lower = text.toLowerCase();
  const index = spec.names && lower.length >= 3 ? spec.names.findIndex((n) => n.startsWith(lower)) : -1;
  if (index < 0)
    throw new CronSyntaxError(`${spec.name} value "${text}" is not a number${spec.names ? ' or a name' : ''}`);
  return spec.min + index;
}

function parseField(text: string, spec: FieldSpec): boolean[] {
  const set = new Array<boolean>(spec.max + 1).fill(false);
  for (const part of text.split(',')) {
    if (part === '') throw new CronSyntaxError(`${spec.name} field "${text}" has an empty list item`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '')
      throw new CronSyntaxError(`${spec.name} field item "${part}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        throw new CronSyntaxError(`${spec.name} step "${stepText}" must be a whole number of at least 1`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || !a || !b) throw new CronSyntaxError(`${spec.name} range "${range}" is malformed`);
      from = parseValue(a, spec);
      to = parseValue(b, spec);
      if (from > to) throw new CronSyntaxError(`${spec.name} range "${range}" runs backwards`);
    } else {
      from = parseValue(range, spec);
      // `n/s` means from n to the end of the field's range every s.
      to = stepText !== undefined ? spec.max : from;
    }
    for (let v = from; v <= to; v += step) set[v] = true;
  }
  return set;
}

/** Parses an NCRONTAB expression (6 fields, or 5 without seconds). Throws CronSyntaxError naming the field. */
export function parseCron(expression: string): CronExpression {
  const parts = expression.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 6 && parts.length !== 5) {
    throw new CronSyntaxError(
      `expected 6 fields "{second} {minute} {hour} {day} {month} {day-of-week}" but found ${parts.length}`,
    );
  }
  if (parts.length === 5) parts.unshift('0');
  const sets = parts.map((p, i) => parseField(p, FIELDS[i]!));
  const [s, mi, h, d, mo, dow] = sets as [boolean[], boolean[], boolean[], boolean[], boolean[], boolean[]];
  // Each field as `*` or a plain list of its values: croner then reads exactly the sets checked above.
  const pattern = sets.map((set, i) => croneField(set, FIELDS[i]!)).join(' ');
  const occurrences = new Cron(pattern, { paused: true, timezone: 'UTC', domAndDow: true, mode: '6-part' });
  return {
    source: expression.trim(),
    seconds: s,
    minutes: mi,
    hours: h,
    days: d,
    months: mo,
    daysOfWeek: dow,
    occurrences,
  };
}

function croneField(set: readonly boolean[], spec: FieldSpec): string {
  const values: number[] = [];
  for (let v = spec.min; v <= spec.max; v++) if (set[v]) values.push(v);
  return values.length === spec.max - spec.min + 1 ? '*' : values.join(',');
}

/**
 * The first wall-clock time strictly after `afterWallMs` (whole seconds) that matches, or undefined when none
 * exists (e.g. `0 0 0 30 2 *`).
 */
export function nextWallOccurrence(cron: CronExpression, afterWallMs: number): number | undefined {
  return cron.occurrences.nextRun(new Date(afterWallMs))?.getTime() ?? undefined;
}

/** True when every field except seconds is `*`-equivalent and more than one second per minute matches (Azure turns monitoring off). */
export function isSubMinute(cron: CronExpression): boolean {
  const all = (f: readonly boolean[], min: number, max: number) => {
    for (let v = min; v <= max; v++) if (!f[v]) return false;
    return true;
  };
  const wildRest =
    all(cron.minutes, 0, 59) &&
    all(cron.hours, 0, 23) &&
    all(cron.days, 1, 31) &&
    all(cron.months, 1, 12) &&
    all(cron.daysOfWeek, 0, 6);
  return wildRest && cron.seconds.filter(Boolean).length > 1;
}
