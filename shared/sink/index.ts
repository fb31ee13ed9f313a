/**
 * Optional records sink: validation results, promotion records, alias moves and retraining decisions copied to
 * Delta tables through the SQL Statement Execution API. Azure Tables stay the system of record.
 *
 * Invariants:
 * - Writers only enqueue into an outbox table (Azure Tables, row key = kind + record key, so a retried activity
 *   rewrites its own row); enqueueing never throws into the caller (a failing sink never blocks a promotion).
 * - A timer drains the outbox in batches: one `MERGE INTO ... USING (VALUES ...) ON t.record_key = s.record_key`
 *   per kind, every value a bound parameter; rows are deleted from the outbox only after their MERGE succeeded, so
 *   a retried batch upserts the same keys again (no duplicates). Failures stay queued with attempts and the error.
 * - Tables are created on the first drain with CREATE TABLE IF NOT EXISTS (DDL in docs/ARCHITECTURE.md).
 * - Enabled when STAGECRAFT_SINK_SCHEMA (catalog.schema) is set; it also needs DATABRICKS_HOST and
 *   DATABRICKS_WAREHOUSE_ID.
 */
import { z } from 'zod';
import type { DatabricksSqlClient, SqlParameter } from '../adapters/databricks-sql/client';
import { storageFromEnv, type Env } from '../approvals/storage';
import { defineSection, loadSection } from '../config/section';
import { RecordTable } from '../records';
import type { PromotionRecord } from '../promotion/types';
import { sqlClientFromEnv, warehouseId } from '../serving/backend';
import { optionalText } from '../setting-values';

export const SINK_KINDS = {
  validation: 'stagecraft_validations',
  promotion: 'stagecraft_promotions',
  'alias-move': 'stagecraft_alias_moves',
  'retraining-decision': 'stagecraft_retraining_decisions',
} as const;
export type SinkKind = keyof typeof SINK_KINDS;

export const COLUMNS = ['record_key', 'model', 'version', 'instance_id', 'recorded_at', 'payload'] as const;

export function tableDdl(schema: string, kind: SinkKind): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, kind)} (record_key STRING NOT NULL, model STRING, version STRING, instance_id STRING, recorded_at TIMESTAMP, payload STRING) USING DELTA`;
}

function qualified(schema: string, kind: SinkKind): string {
  return [...schema.split('.'), SINK_KINDS[kind]].map((p) => `\`${p}\``).join('.');
}

const OutboxRow = z.object({
  kind: z.enum(Object.keys(SINK_KINDS) as [SinkKind, ...SinkKind[]]),
  key: z.string(),
  model: z.string(),
  version: z.string().default(''),
  instanceId: z.string().default(''),
  recordedAt: z.string(),
  payload: z.string(),
  attempts: z.number().default(0),
  lastError: z.string().optional(),
});
export type OutboxRow = z.output<typeof OutboxRow>;
export interface SinkItem {
  kind: SinkKind;
  key: string;
  model: string;
  version?: string;
  instanceId?: string;
  recordedAt: string;
  payload: unknown;
}

const PARTITION = 'outbox';
const tables = new Map<unknown, RecordTable<OutboxRow>>();
function outbox(env: Env): RecordTable<OutboxRow> {
  const s = storageFromEnv(env);
  let t = tables.get(s);
  if (!t) {
    t = new RecordTable({
      client: s.table('SinkOutbox'),
      schema: OutboxRow,
      partitionKey: () => PARTITION,
      rowKey: (r) => `${r.kind}|${r.key}`,
      overflow: { blobs: s.reports, prefix: 'sink-overflow' },
    });
    tables.set(s, t);
  }
  return t;
}

/** The `sink` section: STAGECRAFT_SINK_SCHEMA (`catalog.schema`; unset: no sink). */
export const sinkSection = defineSection(
  'sink',
  {
    STAGECRAFT_SINK_SCHEMA: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_]{1,255}\.[A-Za-z0-9_]{1,255}$/, 'must be catalog.schema (letters, digits, _)')
        .optional(),
    ),
  },
  (v): string | undefined => v.STAGECRAFT_SINK_SCHEMA,
);

/** The sink's `catalog.schema`, undefined when the sink is off. @throws ConfigError naming STAGECRAFT_SINK_SCHEMA */
export function sinkSchema(env: Env = process.env): string | undefined {
  return loadSection(sinkSection, env);
}

/** Queues records for the sink when it is enabled. Never throws: the caller's write already succeeded. */
export async function enqueueSink(
  items: SinkItem[],
  env: Env = process.env,
  log?: (msg: string) => void,
): Promise<void> {
  try {
    if (!items.length || !sinkSchema(env)) return;
    const t = outbox(env);
    await Promise.all(
      items.map((i) =>
        t.upsert({
          kind: i.kind,
          key: i.key,
          model: i.model,
          version: i.version ?? '',
          instanceId: i.instanceId ?? '',
          recordedAt: i.recordedAt,
          payload: JSON.stringify(i.payload),
          attempts: 0,
        }),
      ),
    );
  } catch (e) {
    log?.(`records sink: could not queue ${items.length} record(s): ${e instanceof Error ? e.message : String(e)}`);
  }
}

function mergeStatement(
  schema: string,
  kind: SinkKind,
  rows: OutboxRow[],
): { statement: string; parameters: SqlParameter[] } {
  const parameters: SqlParameter[] = [];
  const tuples = rows.map((r, i) => {
    const values: Array<[string, string, string]> = [
      ['record_key', r.key, 'STRING'],
      ['model', r.model, 'STRING'],
      ['version', r.version, 'STRING'],
      ['instance_id', r.instanceId, 'STRING'],
      ['recorded_at', r.recordedAt, 'TIMESTAMP'],
      ['payload', r.payload, 'STRING'],
    ];
    return `(${values
      .map(([c, v, type]) => {
        parameters.push({ name: `${c}_${i}`, value: v, type });
        return `:${c}_${i}`;
      })
      .join(', ')})`;
  });
  const statement = [
    `MERGE INTO ${qualified(schema, kind)} AS t`,
    `USING (VALUES ${tuples.join(', ')}) AS s(${COLUMNS.join(', ')})`,
    'ON t.record_key = s.record_key',
    `WHEN MATCHED THEN UPDATE SET ${COLUMNS.filter((c) => c !== 'record_key')
      .map((c) => `t.${c} = s.${c}`)
      .join(', ')}`,
    `WHEN NOT MATCHED THEN INSERT (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `s.${c}`).join(', ')})`,
  ].join('\n');
  return { statement, parameters };
}

export interface DrainResult {
  written: number;
  failed: number;
  backlog: number;
  error?: string;
}
const created = new Set<string>();

/** Drains up to `max` queued records; one MERGE per kind per batch of `batch`. */
export async function drainSink(
  o: { env?: Env; client?: DatabricksSqlClient; max?: number; batch?: number } = {},
): Promise<DrainResult> {
  const env = o.env ?? process.env;
  const schema = sinkSchema(env);
  if (!schema) return { written: 0, failed: 0, backlog: 0 };
  const t = outbox(env);
  const rows = await t.listPartition(PARTITION, o.max ?? 500);
  if (!rows.length) return { written: 0, failed: 0, backlog: 0 };
  const client = o.client ?? sqlClientFromEnv(env);
  const wh = warehouseId(undefined, env);
  let written = 0;
  let failed = 0;
  let error: string | undefined;
  const batch = o.batch ?? 50;
  for (const kind of Object.keys(SINK_KINDS) as SinkKind[]) {
    const mine = rows.filter((r) => r.kind === kind);
    for (let i = 0; i < mine.length; i += batch) {
      const chunk = mine.slice(i, i + batch);
      try {
        const ddlKey = `${schema}|${kind}`;
        if (!created.has(ddlKey)) {
          await client.execute({ warehouseId: wh, statement: tableDdl(schema, kind) });
          created.add(ddlKey);
        }
        await client.execute({ warehouseId: wh, ...mergeStatement(schema, kind, chunk) });
        await Promise.all(chunk.map((r) => t.delete(PARTITION, `${r.kind}|${r.key}`)));
        written += chunk.length;
      } catch (e) {
        failed += chunk.length;
        error = (e instanceof Error ? e.message : String(e)).slice(0, 300);
        await Promise.all(
          chunk.map((r) => t.upsert({ ...r, attempts: r.attempts + 1, lastError: error }).catch(() => undefined)),
        );
      }
    }
  }
  return { written, failed, backlog: rows.length - written, ...(error ? { error } : {}) };
}

export interface SinkStatus {
  enabled: boolean;
  schema?: string;
  backlog: number;
  oldest?: string;
  maxAttempts: number;
  lastError?: string;
}

export async function sinkStatus(env: Env = process.env): Promise<SinkStatus> {
  const schema = sinkSchema(env);
  if (!schema) return { enabled: false, backlog: 0, maxAttempts: 0 };
  const rows = await outbox(env).listPartition(PARTITION, 1000);
  const oldest = rows.map((r) => r.recordedAt).sort()[0];
  const worst = rows.reduce<OutboxRow | undefined>((w, r) => (!w || r.attempts > w.attempts ? r : w), undefined);
  return {
    enabled: true,
    schema,
    backlog: rows.length,
    ...(oldest ? { oldest } : {}),
    maxAttempts: worst?.attempts ?? 0,
    ...(worst?.lastError ? { lastError: worst.lastError } : {}),
  };
}

/** A promotion record and its alias moves as sink items (keys: instance id; instance + alias + time). */
export function sinkItemsOfPromotion(r: PromotionRecord): SinkItem[] {
  const base = { model: r.model, version: r.version, instanceId: r.instanceId };
  return [
    { kind: 'promotion', key: r.instanceId, ...base, recordedAt: r.finishedAt, payload: r },
    ...(r.aliasChanges ?? []).map((c) => ({
      kind: 'alias-move' as const,
      key: `${r.instanceId}:${c.alias}:${c.at}`,
      ...base,
      version: c.after ?? '',
      recordedAt: c.at,
      payload: { ...c, step: 'promotion' },
    })),
  ];
}

/** Test hook: forget which tables were created in this process. */
export function resetSinkTables(): void {
  created.clear();
}
