import type { TableClient } from '@azure/data-tables';
import { storageClients } from '../records/clients';
import { compositeKey, escapeKey } from '../records/keys';
import { MAX_STRING_CHARS } from '../records/limits';
import type { RunsSettings } from './settings';

/**
 * Steps of a run as records: one table `<prefix>RunSteps`, PartitionKey = orchestration instance id,
 * RowKey = a step key that sorts in time order (`<ms, 15 digits>:<name>`). Upserts are idempotent by key,
 * so an activity retried after a crash rewrites the same row. Timelines (`GET /api/runs/{id}`) read them.
 *
 * Invariant: `data` is JSON cut to the Azure Tables string limit (32K chars) with `truncated: true` noted,
 * so a large output tail can never make a write fail.
 */
export interface RunStep {
  instanceId: string;
  /** Unique within the instance; repeats overwrite (idempotent). */
  name: string;
  at: string;
  workflow: string;
  kind: string;
  status: string;
  title: string;
  data?: unknown;
}

export interface RunStepStore {
  readonly enabled: boolean;
  upsert(steps: readonly RunStep[]): Promise<number>;
  list(instanceId: string): Promise<RunStep[]>;
}

export function stepRowKey(step: Pick<RunStep, 'at' | 'name'>): string {
  const ms = Date.parse(step.at);
  return compositeKey(String(Number.isFinite(ms) ? ms : 0).padStart(15, '0'), step.name);
}

function encodeData(data: unknown): string {
  if (data === undefined) return '';
  const json = JSON.stringify(data);
  if (json.length <= MAX_STRING_CHARS - 64) return json;
  return JSON.stringify({ truncated: true, preview: json.slice(0, MAX_STRING_CHARS - 256) });
}

const ensured = new WeakMap<TableClient, Promise<void>>();

async function ensureTable(client: TableClient): Promise<void> {
  let p = ensured.get(client);
  if (!p) {
    p = client.createTable().catch((e: unknown) => {
      ensured.delete(client);
      throw e;
    });
    ensured.set(client, p);
  }
  await p;
}

const clientsByTable = new Map<string, TableClient>();

export function runStepStore(settings: RunsSettings): RunStepStore {
  const storage = settings.storage;
  if (!storage) {
    return { enabled: false, upsert: async () => 0, list: async () => [] };
  }
  const tableName = `${settings.tablePrefix}RunSteps`;
  const cacheKey = `${storage.kind === 'connectionString' ? storage.connectionString : storage.accountName}|${tableName}`;
  let client = clientsByTable.get(cacheKey);
  if (!client) {
    client = storageClients(storage).tableClient(tableName);
    clientsByTable.set(cacheKey, client);
  }
  const table = client;
  return {
    enabled: true,
    async upsert(steps) {
      if (steps.length === 0) return 0;
      await ensureTable(table);
      const byPartition = new Map<string, RunStep[]>();
      for (const s of steps) byPartition.set(s.instanceId, [...(byPartition.get(s.instanceId) ?? []), s]);
      for (const [instanceId, group] of byPartition) {
        const pk = escapeKey(instanceId);
        // Entity group transactions: up to 100 operations, one partition, one row key once.
        const unique = new Map(group.map((s) => [stepRowKey(s), s]));
        const rows = [...unique.entries()];
        for (let i = 0; i < rows.length; i += 100) {
          const actions = rows.slice(i, i + 100).map(
            ([rk, s]) =>
              [
                'upsert',
                {
                  partitionKey: pk,
                  rowKey: rk,
                  name: s.name,
                  at: s.at,
                  workflow: s.workflow,
                  kind: s.kind,
                  status: s.status,
                  title: s.title.slice(0, 1024),
                  data: encodeData(s.data),
                },
                'Replace',
              ] as ['upsert', Record<string, unknown> & { partitionKey: string; rowKey: string }, 'Replace'],
          );
          await table.submitTransaction(actions);
        }
      }
      return steps.length;
    },
    async list(instanceId) {
      await ensureTable(table);
      const out: RunStep[] = [];
      const pk = escapeKey(instanceId).replace(/'/g, "''");
      const str = (v: unknown): string => (typeof v === 'string' ? v : '');
      for await (const e of table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: `PartitionKey eq '${pk}'` },
      })) {
        const raw = typeof e['data'] === 'string' && e['data'] !== '' ? e['data'] : undefined;
        let data: unknown;
        if (raw !== undefined) {
          try {
            data = JSON.parse(raw);
          } catch {
            data = raw;
          }
        }
        out.push({
          instanceId,
          name: str(e['name']),
          at: str(e['at']),
          workflow: str(e['workflow']),
          kind: str(e['kind']),
          status: str(e['status']),
          title: str(e['title']),
          ...(data !== undefined ? { data } : {}),
        });
      }
      return out.sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}
