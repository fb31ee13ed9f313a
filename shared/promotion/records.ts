/**
 * Promotion records: each validation result as it ends (`<prefix>Validations`, PartitionKey = promotion instance,
 * RowKey = check id), the report blobs (`<model>/<version>/<instance>/report.{json,html}` and `junit.xml`) and the
 * one promotion record (`<prefix>Promotions`, PartitionKey = model, RowKey = instance id) joining everything.
 * All writes are idempotent upserts by natural key: a retried activity rewrites the same row or blob.
 */
import { z } from 'zod';
import { blobSegment, RecordTable } from '../records';
import { storageFromEnv, type Env } from '../approvals/storage';
import { renderHtml, renderJUnit, renderJson, type ValidationReport } from './report';
import type { PromotionRecord, ReportLinks, ValidationResult } from './types';

const ValidationRow = z.object({
  promotionInstanceId: z.string(),
  model: z.string(),
  version: z.string(),
  checkId: z.string(),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  message: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  attempts: z.number(),
  details: z.record(z.string(), z.unknown()),
});
type ValidationRow = z.output<typeof ValidationRow>;

const PromotionRow = z.object({
  model: z.string(),
  instanceId: z.string(),
  version: z.string(),
  outcome: z.string(),
  reason: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  record: z.record(z.string(), z.unknown()),
});
type PromotionRow = z.output<typeof PromotionRow>;

interface Tables {
  validations: RecordTable<ValidationRow>;
  promotions: RecordTable<PromotionRow>;
}
const cache = new WeakMap<object, Tables>();

function tables(env: Env): Tables {
  const s = storageFromEnv(env);
  let t = cache.get(s);
  if (!t) {
    const overflow = { blobs: s.reports, prefix: 'overflow' };
    t = {
      validations: new RecordTable({
        client: s.table('Validations'),
        schema: ValidationRow,
        partitionKey: (r) => r.promotionInstanceId,
        rowKey: (r) => r.checkId,
        overflow,
      }),
      promotions: new RecordTable({
        client: s.table('Promotions'),
        schema: PromotionRow,
        partitionKey: (r) => r.model,
        rowKey: (r) => r.instanceId,
        overflow,
      }),
    };
    cache.set(s, t);
  }
  return t;
}

export async function recordValidation(
  input: { promotionInstanceId: string; model: string; version: string; result: ValidationResult },
  env: Env = process.env,
): Promise<void> {
  const r = input.result;
  const details: Record<string, unknown> = {};
  if (r.thresholds) details['thresholds'] = r.thresholds;
  if (r.champion) details['champion'] = r.champion;
  if (r.missing) details['missing'] = r.missing;
  if (r.job) details['job'] = r.job;
  await tables(env).validations.upsert({
    promotionInstanceId: input.promotionInstanceId,
    model: input.model,
    version: input.version,
    checkId: r.id,
    type: r.type,
    severity: r.severity,
    status: r.status,
    message: r.message,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    attempts: r.attempts,
    details,
  });
}

export async function listValidations(promotionInstanceId: string, env: Env = process.env): Promise<ValidationRow[]> {
  return tables(env).validations.listPartition(promotionInstanceId);
}

function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function reportPrefix(model: string, version: string, instanceId: string): string {
  return `${blobSegment(safeSegment(model))}/${blobSegment(safeSegment(version))}/${blobSegment(safeSegment(instanceId))}`;
}

export async function writeReport(report: ValidationReport, env: Env = process.env): Promise<ReportLinks> {
  const blobs = storageFromEnv(env).reports;
  const prefix = reportPrefix(report.model, report.version, report.instanceId);
  const [json, html, junit] = await Promise.all([
    blobs.put(`${prefix}/report.json`, renderJson(report), 'json'),
    blobs.put(`${prefix}/report.html`, renderHtml(report), 'html'),
    blobs.put(`${prefix}/junit.xml`, renderJUnit(report), 'xml'),
  ]);
  return { json: json.url, html: html.url, junit: junit.url };
}

export async function writePromotionRecord(record: PromotionRecord, env: Env = process.env): Promise<void> {
  await tables(env).promotions.upsert({
    model: record.model,
    instanceId: record.instanceId,
    version: record.version,
    outcome: record.outcome,
    reason: record.reason,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    record: record as unknown as Record<string, unknown>,
  });
}

export async function getPromotionRecord(
  model: string,
  instanceId: string,
  env: Env = process.env,
): Promise<PromotionRecord | undefined> {
  const row = await tables(env).promotions.get(model, instanceId);
  return row ? (row.record as unknown as PromotionRecord) : undefined;
}

export async function listPromotionRecords(model: string, env: Env = process.env): Promise<PromotionRecord[]> {
  return (await tables(env).promotions.listPartition(model)).map((r) => r.record as unknown as PromotionRecord);
}
