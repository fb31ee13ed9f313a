import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * One JSON file per run under the state dir (`<runId>.json`), written atomically (tmp + rename), created
 * exclusively (`wx`) so two starts of the same key (even from two processes) agree on one run.
 * Beside it: `<runId>.log` (combined stdout/stderr) and `<runId>.exit.json` (written by the supervisor).
 * Environment values are never stored: only their names.
 */
export const LocalRunRecord = z.object({
  key: z.string(),
  runId: z.string(),
  command: z.string(),
  args: z.array(z.string()),
  envNames: z.array(z.string()),
  cwd: z.string(),
  timeoutMs: z.number(),
  state: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'TIMED_OUT']),
  createdAt: z.string(),
  pid: z.number().optional(),
  endedAt: z.string().optional(),
  exitCode: z.number().optional(),
  reason: z.string().optional(),
  cancelRequested: z.boolean().optional(),
});
export type LocalRunRecord = z.output<typeof LocalRunRecord>;

export const ExitFile = z.object({
  code: z.number().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  canceled: z.boolean(),
  error: z.string().optional(),
  endedAt: z.string(),
});
export type ExitFile = z.output<typeof ExitFile>;

export class LocalRunStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  recordPath(runId: string): string {
    return join(this.dir, `${runId}.json`);
  }
  logPath(runId: string): string {
    return join(this.dir, `${runId}.log`);
  }
  exitPath(runId: string): string {
    return join(this.dir, `${runId}.exit.json`);
  }

  /** Creates the record unless one exists; returns the stored one either way. */
  createOrGet(rec: LocalRunRecord): { record: LocalRunRecord; created: boolean } {
    try {
      const fd = openSync(this.recordPath(rec.runId), 'wx');
      try {
        writeFileSync(fd, JSON.stringify(rec));
      } finally {
        closeSync(fd);
      }
      return { record: rec, created: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const existing = this.read(rec.runId);
      if (!existing) throw new Error(`run record ${rec.runId} exists but cannot be read`);
      return { record: existing, created: false };
    }
  }

  read(runId: string): LocalRunRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.recordPath(runId), 'utf8');
    } catch {
      return undefined;
    }
    // A record created with 'wx' may be momentarily empty while its creator writes it.
    if (text === '') return undefined;
    return LocalRunRecord.parse(JSON.parse(text));
  }

  write(rec: LocalRunRecord): void {
    const tmp = `${this.recordPath(rec.runId)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(rec));
    renameSync(tmp, this.recordPath(rec.runId));
  }

  readExit(runId: string): ExitFile | undefined {
    try {
      return ExitFile.parse(JSON.parse(readFileSync(this.exitPath(runId), 'utf8')));
    } catch {
      return undefined;
    }
  }

  /** Last `bytes` of the log, starting at a line boundary when one is near. */
  tail(runId: string, bytes: number): string {
    let buf: Buffer;
    try {
      buf = readFileSync(this.logPath(runId));
    } catch {
      return '';
    }
    if (buf.length <= bytes) return buf.toString('utf8');
    let text = buf.subarray(buf.length - bytes).toString('utf8');
    const nl = text.indexOf('\n');
    if (nl !== -1 && nl < 200) text = text.slice(nl + 1);
    return text.replace(/^\uFFFD+/, '');
  }
}
