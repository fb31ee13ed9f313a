/**
 * Timer schedules as the Functions host builds them: an NCRONTAB expression, or a TimeSpan (`00:05:00`, `1.00:00:00`)
 * meaning "every interval", evaluated in one time zone.
 *
 * Time zone: UTC unless `WEBSITE_TIME_ZONE` names an IANA zone (e.g. `Europe/London`), as on Linux plans. The machine's
 * own TZ is deliberately ignored so a schedule fires at the same instants here as in Azure (which runs in UTC).
 * DST: a wall time that does not exist (spring forward) fires at the first instant after the gap; a wall time that
 * occurs twice (fall back) fires once, at its first occurrence.
 */
import { nextWallOccurrence, parseCron, isSubMinute, CronSyntaxError } from './ncrontab';

export interface TimeZone {
  readonly name: string;
  /** Offset of local wall time from UTC at `instantMs`, in ms (e.g. +3_600_000 for UTC+1). */
  offsetMs(instantMs: number): number;
}

export interface TimerSchedule {
  /** As the Functions host logs it: `Cron: '0 *\/5 * * * *'` or `Constant: 00:05:00`. */
  readonly description: string;
  readonly adjustForDST: boolean;
  /** Occurs more often than once a minute (Azure then turns schedule monitoring off). */
  readonly subMinute: boolean;
  /** The first occurrence strictly after `afterMs` (epoch ms), or undefined if the schedule never fires again. */
  next(afterMs: number): number | undefined;
}

export const UTC: TimeZone = { name: 'UTC', offsetMs: () => 0 };

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export function timeZoneFromSettings(settings: NodeJS.ProcessEnv): TimeZone {
  const name = settings['WEBSITE_TIME_ZONE']?.trim();
  if (!name || /^(utc|etc\/utc|gmt|coordinated universal time)$/i.test(name)) return UTC;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new ScheduleError(
      `WEBSITE_TIME_ZONE "${name}" is not a known IANA time zone (e.g. "Europe/London", "America/New_York")`,
    );
  }
  return {
    name,
    offsetMs(instantMs) {
      const p: Record<string, number> = {};
      for (const part of format.formatToParts(new Date(instantMs)))
        if (part.type !== 'literal') p[part.type] = Number(part.value);
      const wall = Date.UTC(p['year']!, p['month']! - 1, p['day'], p['hour'], p['minute'], p['second']);
      return wall - Math.floor(instantMs / 1000) * 1000;
    },
  };
}

/** The instant a wall time maps to: the earliest valid one, or (in a DST gap) the instant just after the gap. */
function wallToInstant(wallMs: number, zone: TimeZone): number {
  if (zone === UTC) return wallMs;
  const day = 86_400_000;
  const before = wallMs - zone.offsetMs(wallMs - day);
  const after = wallMs - zone.offsetMs(wallMs + day);
  const valid = [before, after].filter((c) => c + zone.offsetMs(c) === wallMs).sort((a, b) => a - b);
  return valid[0] ?? before;
}

/** .NET TimeSpan text as TimeSpan.TryParse reads it for schedules: `hh:mm[:ss[.fff]]` or `d.hh:mm[:ss[.fff]]`. */
export function parseTimeSpanSchedule(text: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [, d, h, mi, s, frac] = m;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined;
  return (
    ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(mi)) * 60_000 +
    Number(s ?? 0) * 1000 +
    (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0)
  );
}

function formatSpan(ms: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(ms / 86_400_000);
  const rest = ms % 86_400_000;
  const hms = `${pad(Math.floor(rest / 3_600_000))}:${pad(Math.floor((rest % 3_600_000) / 60_000))}:${pad(Math.floor((rest % 60_000) / 1000))}`;
  return days ? `${days}.${hms}` : hms;
}

/** Builds a schedule from an already %Setting%-resolved expression; the error text is Azure's, plus the cron detail. */
export function createSchedule(expression: string, zone: TimeZone = UTC): TimerSchedule {
  const text = expression.trim();
  if (/\s/.test(text)) {
    let cron;
    try {
      cron = parseCron(text);
    } catch (e) {
      const detail = e instanceof CronSyntaxError ? e.message : String(e);
      throw new ScheduleError(
        `The schedule expression '${text}' was not recognized as a valid cron expression or timespan string: ${detail}`,
      );
    }
    if (nextWallOccurrence(cron, Date.UTC(2000, 0, 1)) === undefined)
      throw new ScheduleError(`The schedule expression '${text}' never occurs`);
    return {
      description: `Cron: '${cron.source}'`,
      adjustForDST: true,
      subMinute: isSubMinute(cron),
      next(afterMs) {
        let wallFrom = afterMs + zone.offsetMs(afterMs);
        for (let i = 0; i < 4; i++) {
          const wall = nextWallOccurrence(cron, wallFrom);
          if (wall === undefined) return undefined;
          const instant = wallToInstant(wall, zone);
          if (instant > afterMs) return instant;
          wallFrom = wall;
        }
        return undefined;
      },
    };
  }
  const interval = parseTimeSpanSchedule(text);
  if (interval === undefined || interval <= 0) {
    throw new ScheduleError(
      `The schedule expression '${text}' was not recognized as a valid cron expression or timespan string`,
    );
  }
  return {
    description: `Constant: ${formatSpan(interval)}`,
    adjustForDST: false,
    subMinute: interval < 60_000,
    next: (afterMs) => afterMs + interval,
  };
}

/**
 * Dates as the Functions host serialises TimerInfo (Json.NET, local time with offset): `2024-01-01T00:05:00+00:00`,
 * with the fraction only when non-zero (`...:00.25+00:00`).
 */
export function formatTimerDate(instantMs: number, zone: TimeZone): string {
  const offset = zone.offsetMs(instantMs);
  const local = new Date(instantMs + offset);
  const iso = local.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ in "wall" terms
  const ms = local.getUTCMilliseconds();
  const frac = ms ? `.${String(ms).padStart(3, '0').replace(/0+$/, '')}` : '';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${iso.slice(0, 19)}${frac}${off}`;
}

/** .NET `default(DateTime)` as Json.NET writes it: what `last`/`lastUpdated` hold before a timer has ever run. */
export const DEFAULT_TIMER_DATE = '0001-01-01T00:00:00';
