/**
 * The audit log: append-only, one JSON line per event, in Append Blobs (container `stagecraft-audit`, one blob per
 * UTC day: `2026/12/06.jsonl`). Append blobs only take appended blocks, so an entry once written is never rewritten
 * by this code; concurrent appends from several instances each land whole (one block per entry).
 * Entries name who did what, when, through which credential, and the outcome; never a secret.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ContainerClient } from '@azure/storage-blob';
import { services } from '../services';

export const AUDIT_CONTAINER = 'stagecraft-audit';

export interface AuditEntry {
  action: string;
  actor: string;
  via?: string;
  requestId?: string;
  target?: string;
  outcome: 'accepted' | 'refused' | 'failed';
  reason?: string;
  details?: Record<string, unknown>;
}

export const AuditRecord = z.object({
  id: z.string(),
  time: z.string(),
  action: z.string(),
  actor: z.string(),
  via: z.string().optional(),
  requestId: z.string().optional(),
  target: z.string().optional(),
  outcome: z.enum(['accepted', 'refused', 'failed']),
  reason: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditRecord = z.output<typeof AuditRecord>;

export interface AuditSink {
  append(record: AuditRecord): Promise<void>;
  /** Records of one UTC day (`YYYY/MM/DD`), in append order. */
  readDay(day: string): Promise<AuditRecord[]>;
}

export function dayPath(iso: string): string {
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
}

class BlobAuditSink implements AuditSink {
  private ready: Promise<unknown> | undefined;
  private readonly created = new Set<string>();
  constructor(private readonly container: ContainerClient) {}

  async append(record: AuditRecord): Promise<void> {
    this.ready ??= this.container.createIfNotExists().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    await this.ready;
    const path = `${dayPath(record.time)}.jsonl`;
    const blob = this.container.getAppendBlobClient(path);
    if (!this.created.has(path)) {
      await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
      this.created.add(path);
    }
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    await blob.appendBlock(line, line.length);
  }

  async readDay(day: string): Promise<AuditRecord[]> {
    const blob = this.container.getAppendBlobClient(`${day}.jsonl`);
    let text: string;
    try {
      text = (await blob.downloadToBuffer()).toString('utf8');
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return [];
      throw e;
    }
    const out: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = AuditRecord.safeParse(JSON.parse(line));
        if (r.success) out.push(r.data);
      } catch {
        // a torn line cannot happen with one block per entry; skip anything unparseable rather than fail the read
      }
    }
    return out;
  }
}

let sink: AuditSink | undefined;

export function auditSink(): AuditSink {
  sink ??= new BlobAuditSink(services().storageClients().blobService.getContainerClient(AUDIT_CONTAINER));
  return sink;
}

/** For tests: route the log elsewhere (undefined restores the blob sink). */
export function setAuditSink(s: AuditSink | undefined): void {
  sink = s;
}

/** Appends one entry (time added here). Throws when the log cannot be written; callers decide what that means. */
export async function appendAudit(entry: AuditEntry, now: Date = new Date()): Promise<void> {
  const record = AuditRecord.parse({ id: randomUUID(), time: now.toISOString(), ...entry });
  await auditSink().append(record);
}

export interface AuditQuery {
  from: Date;
  to: Date;
  action?: string;
  actor?: string;
  limit: number;
}

export const MAX_AUDIT_DAYS = 31;

/** Entries in [from, to], newest first, filtered by action (exact or `prefix.*`) and actor (case-insensitive). */
export async function queryAudit(q: AuditQuery, s: AuditSink = auditSink()): Promise<AuditRecord[]> {
  const days: string[] = [];
  const start = Date.UTC(q.from.getUTCFullYear(), q.from.getUTCMonth(), q.from.getUTCDate());
  for (let t = start; t <= q.to.getTime() && days.length <= MAX_AUDIT_DAYS; t += 86_400_000)
    days.push(dayPath(new Date(t).toISOString()));
  const fromIso = q.from.toISOString();
  const toIso = q.to.toISOString();
  const actor = q.actor?.toLowerCase();
  const matchAction = (a: string) =>
    q.action === undefined || a === q.action || (q.action.endsWith('.*') && a.startsWith(q.action.slice(0, -1)));
  const out: AuditRecord[] = [];
  for (const day of days.reverse()) {
    const recs = (await s.readDay(day)).filter(
      (r) =>
        r.time >= fromIso &&
        r.time <= toIso &&
        matchAction(r.action) &&
        (actor === undefined || r.actor.toLowerCase() === actor),
    );
    out.push(...recs.reverse());
    if (out.length >= q.limit) break;
  }
  return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0)).slice(0, q.limit);
}
