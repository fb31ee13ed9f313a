/**
 * Records against a real Azurite (started here): typed tables, limits enforced before writing, blobs, and the
 * receipt store's claim semantics, plus the intake service using it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import { ValidationError } from '../../shared/errors';
import { handleDelivery } from '../../shared/intake';
import { BlobStore, getRecords, RecordTable, storageClients, TableReceiptStore, type Records } from '../../shared/records';
import * as fx from '../intake/fixtures';
import { NOW_MS, mlflowHeaders, pythonJson, testConfig } from '../intake/helpers';
import { startAzurite, type AzuriteHandle } from './azurite';

let azurite: AzuriteHandle;
let records: Records;
let run = 0;
const prefix = () => `T${Date.now().toString(36)}${++run}`;

beforeAll(async () => {
  azurite = await startAzurite();
  records = getRecords(testConfig({ AzureWebJobsStorage: azurite.connectionString, RECORDS_TABLE_PREFIX: 'Rec' }));
});

afterAll(async () => {
  await azurite?.stop();
});

const Doc = z.object({
  tenant: z.string(),
  id: z.string(),
  count: z.number(),
  ok: z.boolean(),
  note: z.string().nullable(),
  nested: z.unknown().optional(),
  big: z.string().optional(),
});
type Doc = z.output<typeof Doc>;

function docs(name: string, overflow?: BlobStore): RecordTable<Doc> {
  const clients = storageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
  return new RecordTable<Doc>({
    client: clients.tableClient(name),
    schema: Doc,
    partitionKey: (d) => d.tenant,
    rowKey: (d) => d.id,
    ...(overflow ? { overflow: { blobs: overflow, prefix: 'overflow' } } : {}),
  });
}

describe('RecordTable on Azurite', () => {
  it('round-trips a record with forbidden key characters, nulls, numbers and nested JSON', async () => {
    const t = docs(prefix());
    const doc: Doc = { tenant: 'a/b#c', id: 'models/fraud?x\\y\u0001', count: 3.5, ok: true, note: null, nested: { list: [1, 'two', { three: 3 }] } };
    await t.upsert(doc);
    expect(await t.get(doc.tenant, doc.id)).toEqual(doc);
  });

  it('upserts idempotently by natural key and lists a partition in key order', async () => {
    const t = docs(prefix());
    const d = { tenant: 't', id: 'b', count: 1, ok: false, note: 'x' };
    await t.upsert(d);
    await t.upsert({ ...d, count: 2 });
    await t.upsert({ ...d, id: 'a' });
    expect((await t.listPartition('t')).map((r) => [r.id, r.count])).toEqual([['a', 1], ['b', 2]]);
  });

  it('insert reports exists for a second record with the same key and replaceIfMatch refuses a stale etag', async () => {
    const t = docs(prefix());
    const d = { tenant: 't', id: 'x', count: 1, ok: true, note: null };
    expect(await t.insert(d)).toBe('created');
    expect(await t.insert({ ...d, count: 9 })).toBe('exists');
    const v1 = (await t.getVersioned('t', 'x'))!;
    expect(await t.replaceIfMatch({ ...d, count: 2 }, v1.etag)).toBe('updated');
    expect(await t.replaceIfMatch({ ...d, count: 3 }, v1.etag)).toBe('conflict');
    expect((await t.get('t', 'x'))?.count).toBe(2);
  });

  it('splits a string over 64 KiB into chunk properties and reassembles it', async () => {
    const t = docs(prefix());
    const big = `${'é'.repeat(60_000)}${'😀'.repeat(20_000)}${'a'.repeat(70_000)}`;
    await t.upsert({ tenant: 't', id: 'big', count: 0, ok: true, note: null, big });
    expect((await t.get('t', 'big'))?.big).toBe(big);
  });

  it('refuses a record over 1 MiB before writing anything (Azurite alone would accept it)', async () => {
    const t = docs(prefix());
    const huge = { tenant: 't', id: 'huge', count: 0, ok: true, note: null, big: 'x'.repeat(900_000) };
    await expect(t.upsert(huge)).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
    await expect(t.insert(huge)).rejects.toBeInstanceOf(ValidationError);
    expect(await t.get('t', 'huge')).toBeUndefined();
  });

  it('moves the largest field to a blob when an overflow store is configured, and reads it back', async () => {
    const blobs = new BlobStore(storageClients({ kind: 'connectionString', connectionString: azurite.connectionString }).blobService, `ovf-${prefix().toLowerCase()}`);
    const t = docs(prefix(), blobs);
    const nested = { rows: Array.from({ length: 20_000 }, (_, i) => ({ i, label: `row-${i}-${'y'.repeat(20)}` })) };
    const doc = { tenant: 't', id: 'report', count: 1, ok: true, note: 'n', nested };
    await t.upsert(doc);
    expect(await t.get('t', 'report')).toEqual(doc);
  });

  it('refuses more than 252 properties', async () => {
    const Wide = z.record(z.string(), z.union([z.string(), z.number()]));
    const clients = storageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
    const t = new RecordTable<Record<string, string | number>>({ client: clients.tableClient(prefix()), schema: Wide, partitionKey: () => 'p', rowKey: () => 'r' });
    const wide: Record<string, number> = {};
    for (let i = 0; i < 300; i++) wide[`f${i}`] = i;
    await expect(t.upsert(wide)).rejects.toMatchObject({ code: 'RECORD_TOO_MANY_PROPERTIES' });
  });

  it('refuses a record that fails its schema, naming the field', async () => {
    const t = docs(prefix());
    await expect(t.upsert({ tenant: 't', id: 'x', count: 'three', ok: true, note: null } as unknown as Doc)).rejects.toMatchObject({ code: 'RECORD_INVALID', details: { fields: [{ path: 'count' }] } });
  });
});

describe('BlobStore on Azurite', () => {
  it('writes JSON, HTML and XML reports idempotently by path and reads them back', async () => {
    const store = records.reports;
    await store.putJson('validations/fraud-detector/7/report.json', { auc: 0.94 });
    await store.putJson('validations/fraud-detector/7/report.json', { auc: 0.94 });
    await store.putHtml('validations/fraud-detector/7/report.html', '<h1>ok</h1>');
    await store.putXml('validations/fraud-detector/7/junit.xml', '<testsuite/>');
    expect(await store.getJson('validations/fraud-detector/7/report.json')).toEqual({ auc: 0.94 });
    expect(await store.getText('validations/fraud-detector/7/report.html')).toBe('<h1>ok</h1>');
    expect(await store.getText('validations/none.json')).toBeUndefined();
  });

  it('refuses paths with empty, . or .. segments', async () => {
    await expect(records.reports.putJson('../x.json', {})).rejects.toMatchObject({ code: 'BLOB_PATH_INVALID' });
    await expect(records.reports.putJson('a//b.json', {})).rejects.toMatchObject({ code: 'BLOB_PATH_INVALID' });
  });
});

describe('TableReceiptStore on Azurite', () => {
  const store = (leaseMs?: number) => {
    const clients = storageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
    return new TableReceiptStore((n) => clients.tableClient(n), prefix(), leaseMs);
  };

  it('lets exactly one of ten concurrent claims of a delivery id win', async () => {
    const s = store();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.claim('mlflow', 'dup-1', `r${i}`, NOW_MS)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it('reports done claims with their event ids; releases pending claims so a retry can claim again', async () => {
    const s = store();
    expect(await s.claim('github', 'g/1', 'r1', NOW_MS)).toEqual({ claimed: true });
    await s.complete('github', 'g/1', 'r1', ['e1']);
    expect(await s.claim('github', 'g/1', 'r2', NOW_MS)).toEqual({ claimed: false, firstReceiptId: 'r1', state: 'done', eventIds: ['e1'] });
    expect(await s.claim('github', 'g/2', 'r3', NOW_MS)).toEqual({ claimed: true });
    await s.release('github', 'g/2', 'r3');
    expect(await s.claim('github', 'g/2', 'r4', NOW_MS)).toEqual({ claimed: true });
  });

  it('lets a claim take over a pending claim older than the lease (claimant crashed)', async () => {
    const s = store(1000);
    expect((await s.claim('mlflow', 'stuck', 'r1', NOW_MS)).claimed).toBe(true);
    expect((await s.claim('mlflow', 'stuck', 'r2', NOW_MS + 500)).claimed).toBe(false);
    expect((await s.claim('mlflow', 'stuck', 'r3', NOW_MS + 1500)).claimed).toBe(true);
  });
});

describe('intake with Table-backed receipts', () => {
  it('publishes one MLflow webhook delivered three times once and records three receipts', async () => {
    const config = testConfig({ AzureWebJobsStorage: azurite.connectionString, RECORDS_TABLE_PREFIX: prefix() });
    const receipts = getRecords(config).receipts;
    const publisher = new MemoryEventPublisher();
    const body = pythonJson(fx.mlflowVersionCreated);
    const headers = mlflowHeaders(body, { deliveryId: '5b2c8f0e-1f7a-4f55-9a0b-3c2d1e0f9a8b' });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await handleDelivery('mlflow', { headers, rawBody: body }, { config, publisher, receipts, clock: () => NOW_MS })).body.status);
    expect(outcomes).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(publisher.events).toHaveLength(1);
    const stored = await receipts.listReceipts('mlflow');
    expect(stored.map((r) => r.outcome).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(stored.every((r) => r.deliveryId === '5b2c8f0e-1f7a-4f55-9a0b-3c2d1e0f9a8b' && r.bodySha256.length === 64)).toBe(true);
  });
});
