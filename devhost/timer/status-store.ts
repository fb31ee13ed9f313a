/**
 * Persisted schedule status (Azure's ScheduleMonitor), one small JSON file per timer function under
 * `<stateDir>/timers/`, so a restarted host knows whether it missed an occurrence.
 * Invariant: writes are atomic (temp file + rename); an unreadable file counts as "no status yet".
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Instants as epoch ms; `null` is .NET's default(DateTime) ("never"). */
export interface ScheduleStatus {
  last: number | null;
  next: number;
  lastUpdated: number | null;
}

const StoredStatus = z.object({
  last: z.iso.datetime().nullable(),
  next: z.iso.datetime(),
  lastUpdated: z.iso.datetime().nullable(),
});

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
    const parsed = StoredStatus.safeParse(raw);
    if (!parsed.success) return undefined;
    const ms = (s: string | null) => (s === null ? null : Date.parse(s));
    return { last: ms(parsed.data.last), next: Date.parse(parsed.data.next), lastUpdated: ms(parsed.data.lastUpdated) };
  }

  write(timerName: string, status: ScheduleStatus): void {
    mkdirSync(this.dir, { recursive: true });
    const iso = (v: number | null) => (v === null ? null : new Date(v).toISOString());
    const body = JSON.stringify({ last: iso(status.last), next: iso(status.next), lastUpdated: iso(status.lastUpdated) }, null, 2);
    const tmp = `${this.file(timerName)}.${process.pid}.tmp`;
    writeFileSync(tmp, body);
    renameSync(tmp, this.file(timerName));
  }
}
