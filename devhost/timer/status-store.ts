/**
 * Persisted schedule status (Azure's ScheduleMonitor), one small JSON file per timer function under
 * `<stateDir>/timers/`, so a restarted host knows whether it missed an occurrence.
 * Invariant: writes are atomic (temp file + rename); an unreadable or malformed file counts as "no status yet".
 * The file is our own, so it is checked by hand: importing zod here would add ~0.2 s CPU to every host start-up.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Instants as epoch ms; `null` is .NET's default(DateTime) ("never"). */
export interface ScheduleStatus {
  last: number | null;
  next: number;
  lastUpdated: number | null;
}

/** An ISO instant (ms since epoch), null for "never", or undefined when the value is malformed. */
function instant(value: unknown, nullable: boolean): number | null | undefined {
  if (value === null) return nullable ? null : undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export class StatusStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'timers');
  }

  private file(timerName: string): string {
    return join(this.dir, `${timerName}.json`);
  }

  read(timerName: string): ScheduleStatus | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file(timerName), 'utf8'));
    } catch {
      return undefined;
    }
    if (typeof raw !== 'object' || raw === null) return undefined;
    const o = raw as Record<string, unknown>;
    const last = instant(o['last'], true);
    const next = instant(o['next'], false);
    const lastUpdated = instant(o['lastUpdated'], true);
    if (last === undefined || next === undefined || next === null || lastUpdated === undefined) return undefined;
    return { last, next, lastUpdated };
  }

  write(timerName: string, status: ScheduleStatus): void {
    mkdirSync(this.dir, { recursive: true });
    const iso = (v: number | null) => (v === null ? null : new Date(v).toISOString());
    const body = JSON.stringify(
      { last: iso(status.last), next: iso(status.next), lastUpdated: iso(status.lastUpdated) },
      null,
      2,
    );
    const tmp = `${this.file(timerName)}.${process.pid}.tmp`;
    writeFileSync(tmp, body);
    renameSync(tmp, this.file(timerName));
  }
}
