/**
 * Records against a real Azurite (started here): typed tables, limits enforced before writing, blobs, and the
 * receipt store's accept/recall semantics, group commit, plus the intake service using it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import { ValidationError } from '../../shared/errors';
import { handleDelivery } from '../../shared/intake';
import {
  BlobStore,
  getRecords,
  RecordTable,
  storageClients,
  TableBatcher,
  TableReceiptStore,
  type Records,
} from '../../shared/records';
import * as fx from '../intake/fixtures';
import { NOW_MS, mlflowHeaders, pythonJson, testConfig } from '../intake/helpers';
import { sharedStorage, type AzuriteHandle } from './azurite';

let azurite: AzuriteHandle;
let records: Records;
let run = 0;
const prefix = () => `T${Date.now().toString(36)}${++run}`;

beforeAll(async () => {
  azurite = await sharedStorage();
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
    const doc: Doc = {
      tenant: 'a/b#c',
      id: 'models/fraud?x\\y\u0001',
      count: 3.5,
      ok: true,
      note: null,
      nested: { list: [1, 'two', { three: 3 }] },
    };
    await t.upsert(doc);
    expect(await t.get(doc.tenant, doc.id)).toEqual(doc);
  });

  it('upserts idempotently by natural key and lists a partition in key order', async () => {
    const t = docs(prefix());
    const d = { tenant: 't', id: 'b', count: 1, ok: false, note: 'x' };
    await t.upsert(d);
    await t.upsert({ ...d, count: 2 });
    await t.upsert({ ...d, id: 'a' });
    expect((await t.listPartition('t')).map((r) => [r.id, r.count])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
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
    const blobs = new BlobStore(
      storageClients({ kind: 'connectionString', connectionString: azurite.connectionString }).blobService,
      `ovf-${prefix().toLowerCase()}`,
    );
    const t = docs(prefix(), blobs);
    const nested = { rows: Array.from({ length: 20_000 }, (_, i) => ({ i, label: `row-${i}-${'y'.repeat(20)}` })) };
    const doc = { tenant: 't', id: 'report', count: 1, ok: true, note: 'n', nested };
    await t.upsert(doc);
    expect(await t.get('t', 'report')).toEqual(doc);
  });

  it('refuses more than 252 properties', async () => {
    const Wide = z.record(z.string(), z.union([z.string(), z.number()]));
    const clients = storageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
    const t = new RecordTable<Record<string, string | number>>({
      client: clients.tableClient(prefix()),
      schema: Wide,
      partitionKey: () => 'p',
      rowKey: () => 'r',
    });
    const wide: Record<string, number> = {};
    for (let i = 0; i < 300; i++) wide[`f${i}`] = i;
    await expect(t.upsert(wide)).rejects.toMatchObject({ code: 'RECORD_TOO_MANY_PROPERTIES' });
  });

  it('refuses a record that fails its schema, naming the field', async () => {
    const t = docs(prefix());
    await expect(
      t.upsert({ tenant: 't', id: 'x', count: 'three', ok: true, note: null } as unknown as Doc),
    ).rejects.toMatchObject({ code: 'RECORD_INVALID', details: { fields: [{ path: 'count' }] } });
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
  const store = () => {
    const clients = storageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
    return new TableReceiptStore((n) => clients.tableClient(n), prefix());
  };

  it('makes exactly one of ten concurrent accepts of a delivery id first; the nine others name it', async () => {
    const s = store();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.accept('mlflow', 'dup-1', `r${i}`, [`e${i}`], NOW_MS)),
    );
    expect(results.filter((r) => r.first)).toHaveLength(1);
    const winner = results.findIndex((r) => r.first);
    for (const r of results.filter((x) => !x.first))
      expect(r).toEqual({ first: false, firstReceiptId: `r${winner}`, eventIds: [`e${winner}`] });
  });

  it('recalls deliveries this process accepted without I/O; another process (a second store) learns it from the table', async () => {
    const clients = storageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
    const p = prefix();
    const here = new TableReceiptStore((n) => clients.tableClient(n), p);
    const elsewhere = new TableReceiptStore((n) => clients.tableClient(n), p);
    expect(here.recall('github', 'g/1')).toBeUndefined();
    expect(await here.accept('github', 'g/1', 'r1', ['e1'], NOW_MS)).toEqual({ first: true });
    expect(here.recall('github', 'g/1')).toEqual({ firstReceiptId: 'r1', eventIds: ['e1'] });
    expect(elsewhere.recall('github', 'g/1')).toBeUndefined();
    expect(await elsewhere.accept('github', 'g/1', 'r2', ['e1'], NOW_MS)).toEqual({
      first: false,
      firstReceiptId: 'r1',
      eventIds: ['e1'],
    });
    expect(elsewhere.recall('github', 'g/1')).toEqual({ firstReceiptId: 'r1', eventIds: ['e1'] });
    expect(await here.accept('github', 'g/2', 'r3', [], NOW_MS)).toEqual({ first: true });
  });
});

describe('TableBatcher (group commit) on Azurite', () => {
  const client = () =>
    storageClients({ kind: 'connectionString', connectionString: azurite.connectionString }).tableClient(prefix());

  it('commits 250 concurrent writes over two partitions in shared transactions, every one readable after its promise resolved', async () => {
    const table = client();
    await table.createTable();
    const calls = { transactions: 0, single: 0 };
    const counting = new Proxy(table, {
      get(target, prop, receiver) {
        if (prop === 'submitTransaction') calls.transactions++;
        if (prop === 'createEntity' || prop === 'upsertEntity') calls.single++;
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const batcher = new TableBatcher(counting);
    const results = await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        batcher.write(
          i % 2
            ? { kind: 'create', entity: { partitionKey: 'p1', rowKey: `r${i}`, i } }
            : { kind: 'upsert', mode: 'Replace', entity: { partitionKey: 'p0', rowKey: `r${i}`, i } },
        ),
      ),
    );
    expect(results.filter((r) => r === 'created')).toHaveLength(125);
    expect(results.filter((r) => r === 'written')).toHaveLength(125);
    let n = 0;
    for await (const e of table.listEntities()) n += e.partitionKey === 'p0' || e.partitionKey === 'p1' ? 1 : 0;
    expect(n).toBe(250);
    // Grouped: far fewer round trips than writes (at most 100 writes per transaction, one partition each).
    expect(calls.transactions + calls.single).toBeLessThan(250 / 10);
    expect(calls.transactions).toBeGreaterThanOrEqual(3);
  });

  it('answers exists only to the create that conflicts; its neighbours in the same transaction are written', async () => {
    const table = client();
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'taken', v: 'first' });
    const batcher = new TableBatcher(table);
    const results = await Promise.all([
      batcher.write({ kind: 'create', entity: { partitionKey: 'p', rowKey: 'a', v: 'a' } }),
      batcher.write({ kind: 'create', entity: { partitionKey: 'p', rowKey: 'taken', v: 'second' } }),
      batcher.write({ kind: 'upsert', mode: 'Replace', entity: { partitionKey: 'p', rowKey: 'b', v: 'b' } }),
    ]);
    expect(results).toEqual(['created', 'exists', 'written']);
    expect((await table.getEntity('p', 'taken')).v).toBe('first');
    expect((await table.getEntity('p', 'a')).v).toBe('a');
    expect((await table.getEntity('p', 'b')).v).toBe('b');
  });

  it('applies writes to one row in the order they were issued (never two in one transaction)', async () => {
    const table = client();
    await table.createTable();
    const batcher = new TableBatcher(table);
    // Issued over several turns, so later writes arrive while earlier transactions on the same rows are in flight.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(
        batcher.write({
          kind: 'upsert',
          mode: 'Replace',
          entity: { partitionKey: 'p', rowKey: i % 2 ? 'odd' : 'even', v: i },
        }),
      );
      writes.push(
        batcher.write({ kind: 'upsert', mode: 'Replace', entity: { partitionKey: 'p', rowKey: `other-${i}`, v: i } }),
      );
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    expect((await table.getEntity('p', 'even')).v).toBe(38);
    expect((await table.getEntity('p', 'odd')).v).toBe(39);
  });

  it('rejects each write of a failing table with the error, not a silent loss', async () => {
    const batcher = new TableBatcher(client()); // table never created
    const results = await Promise.allSettled([
      batcher.write({ kind: 'create', entity: { partitionKey: 'p', rowKey: 'a' } }),
      batcher.write({ kind: 'upsert', mode: 'Merge', entity: { partitionKey: 'p', rowKey: 'b' } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(
      results.map((r) => (r.status === 'rejected' ? (r.reason as { statusCode?: number }).statusCode : 0)),
    ).toEqual([404, 404]);
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
    for (let i = 0; i < 3; i++)
      outcomes.push(
        (
          await handleDelivery(
            'mlflow',
            { headers, rawBody: body },
            { config, publisher, receipts, clock: () => NOW_MS },
          )
        ).body.status,
      );
    expect(outcomes).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(publisher.events).toHaveLength(1);
    const stored = await receipts.listReceipts('mlflow');
    expect(stored.map((r) => r.outcome).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(
      stored.every((r) => r.deliveryId === '5b2c8f0e-1f7a-4f55-9a0b-3c2d1e0f9a8b' && r.bodySha256.length === 64),
    ).toBe(true);
  });

  it('copies of one delivery reaching two processes at once: both publish the same messageId, one receipt is accepted, the other a duplicate naming it', async () => {
    const config = testConfig({ AzureWebJobsStorage: azurite.connectionString, RECORDS_TABLE_PREFIX: prefix() });
    const clients = storageClients(config.storage);
    const [a, b] = [0, 1].map(() => new TableReceiptStore((n) => clients.tableClient(n), config.records.tablePrefix));
    const publisher = new MemoryEventPublisher();
    const body = pythonJson(fx.mlflowVersionCreated);
    const headers = mlflowHeaders(body, { deliveryId: 'race-1' });
    const results = await Promise.all(
      [a!, b!].map((receipts) =>
        handleDelivery('mlflow', { headers, rawBody: body }, { config, publisher, receipts, clock: () => NOW_MS }),
      ),
    );
    expect(results.map((r) => r.body.status).sort()).toEqual(['accepted', 'duplicate']);
    // Service Bus duplicate detection keeps one of these (same messageId); the router's instance id absorbs the rest.
    expect(new Set(publisher.messages.map((m) => m.messageId)).size).toBe(1);
    const accepted = results.find((r) => r.body.status === 'accepted')!;
    const dup = results.find((r) => r.body.status === 'duplicate')!;
    expect(dup.body).toMatchObject({ firstReceiptId: accepted.body.receiptId });
  });
});
