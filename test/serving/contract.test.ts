/**
 * Contract tests of the serving and SQL clients: always against the fakes; also against a real workspace when
 * DATABRICKS_HOST and DATABRICKS_TOKEN are set (SQL also needs DATABRICKS_WAREHOUSE_ID). Against a real workspace
 * only harmless calls run: list endpoints, read a missing one, SELECT with bound parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth } from '../../shared/adapters/http';
import { DatabricksServingClient } from '../../shared/adapters/databricks-serving';
import { DatabricksSqlClient } from '../../shared/adapters/databricks-sql';
import { databricksBaseUrl } from '../../shared/adapters/databricks/from-env';
import { progressOf, snapshotOf } from '../../shared/serving/config';
import { startFakeServing, startFakeSql, type FakeServing, type FakeSql } from '../fakes';

const realHost = process.env['DATABRICKS_HOST']?.trim();
const realToken = process.env['DATABRICKS_TOKEN']?.trim();
const realWarehouse = process.env['DATABRICKS_WAREHOUSE_ID']?.trim();
const real = realHost && realToken ? { url: databricksBaseUrl(realHost), token: realToken } : undefined;
if (!real)
  console.info(
    '[contract] DATABRICKS_HOST/DATABRICKS_TOKEN not set: serving and SQL contracts ran against the fakes only, NOT against a real workspace',
  );
else if (!realWarehouse)
  console.info('[contract] DATABRICKS_WAREHOUSE_ID not set: the SQL contract ran against the fake only');

let fakeServing: FakeServing;
let fakeSql: FakeSql;
beforeAll(async () => {
  fakeServing = await startFakeServing({ updateMs: 50 });
  fakeSql = await startFakeSql();
});
afterAll(async () => {
  await fakeServing?.close();
  await fakeSql?.close();
});

type Target = { name: string; serving: () => DatabricksServingClient; sql: () => DatabricksSqlClient; fake: boolean };
const targets: Target[] = [
  {
    name: 'fake',
    fake: true,
    serving: () => new DatabricksServingClient({ baseUrl: fakeServing.url, auth: bearerAuth('t') }),
    sql: () =>
      new DatabricksSqlClient({
        baseUrl: fakeSql.url,
        auth: bearerAuth('t'),
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
      }),
  },
  ...(real
    ? [
        {
          name: `real workspace ${real.url}`,
          fake: false,
          serving: () => new DatabricksServingClient({ baseUrl: real.url, auth: bearerAuth(real.token) }),
          sql: () => new DatabricksSqlClient({ baseUrl: real.url, auth: bearerAuth(real.token) }),
        },
      ]
    : []),
];
const warehouse = (t: Target) => (t.fake ? 'fakewarehouse1' : realWarehouse);

for (const t of targets) {
  describe(`serving endpoints API (${t.name})`, () => {
    it('GET /api/2.0/serving-endpoints lists endpoints with name and state', async () => {
      const eps = await t.serving().list();
      for (const e of eps) expect(typeof e.name).toBe('string');
    });
    it('GET /api/2.0/serving-endpoints/{name} of a missing endpoint is null (404 RESOURCE_DOES_NOT_EXIST)', async () => {
      expect(await t.serving().get(`stagecraft-contract-missing-${Date.now()}`)).toBeNull();
    });
  });
  if (warehouse(t)) {
    describe(`SQL statements API (${t.name})`, () => {
      it('POST /api/2.0/sql/statements with bound parameters answers typed columns and string values', async () => {
        if (t.fake)
          fakeSql.onQuery(/^SELECT :x/, (s) => ({
            columns: ['x', 'y'],
            rows: [[s.parameters[0]!.value, s.parameters[1]!.value]],
          }));
        const r = await t.sql().execute({
          warehouseId: warehouse(t)!,
          statement: 'SELECT :x AS x, :y AS y',
          parameters: [
            { name: 'x', value: '5', type: 'INT' },
            { name: 'y', value: "it's", type: 'STRING' },
          ],
        });
        expect(r.columns).toEqual(['x', 'y']);
        expect(r.rows).toEqual([{ x: '5', y: "it's" }]);
      });
      it('a named marker without a bound parameter fails the statement', async () => {
        await expect(
          t.sql().execute({ warehouseId: warehouse(t)!, statement: 'SELECT :missing AS m' }),
        ).rejects.toThrow(/UNBOUND_SQL_PARAMETER|missing/);
      });
    });
  }
}

describe('serving endpoints API (fake only: lifecycle)', () => {
  it('create → IN_PROGRESS → READY/NOT_UPDATING; a failed update leaves the previous config serving; a PUT during an update is refused', async () => {
    const c = new DatabricksServingClient({ baseUrl: fakeServing.url, auth: bearerAuth('t') });
    const cfg = (v: string) => ({
      served_entities: [
        {
          name: `m-${v}`,
          entity_name: 'main.ml.m',
          entity_version: v,
          workload_size: 'Small',
          scale_to_zero_enabled: true,
        },
      ],
      traffic_config: { routes: [{ served_entity_name: `m-${v}`, traffic_percentage: 100 }] },
    });
    fakeServing.updateMs = 600_000; // updates finish only when the test lowers this (no timing assumptions)
    const created = await c.create('contract-ep', cfg('1'));
    expect(progressOf(created)).toBe('in-progress');
    await expect(c.updateConfig('contract-ep', cfg('2'))).rejects.toMatchObject({
      details: { errorCode: 'RESOURCE_CONFLICT' },
    });
    fakeServing.updateMs = 0;
    const ready = await c.get('contract-ep');
    expect(progressOf(ready)).toBe('done');
    expect(snapshotOf(ready)).toMatchObject({ served_entities: [{ entity_version: '1' }], configVersion: 1 });
    fakeServing.failNextUpdate('contract-ep', 'UPDATE_FAILED');
    await c.updateConfig('contract-ep', cfg('2'));
    const failed = await c.get('contract-ep');
    expect(failed?.state).toMatchObject({ config_update: 'UPDATE_FAILED', ready: 'READY' });
    expect(progressOf(failed)).toBe('failed');
    expect(snapshotOf(failed)).toMatchObject({ served_entities: [{ entity_version: '1' }] });
    await expect(
      c.updateConfig('contract-ep', {
        served_entities: cfg('3').served_entities,
        traffic_config: { routes: [{ served_entity_name: 'm-3', traffic_percentage: 90 }] },
      }),
    ).rejects.toMatchObject({ details: { errorCode: 'INVALID_PARAMETER_VALUE' } });
  });
});

describe('SQL statements API (fake only: polling and MERGE)', () => {
  it('polls a PENDING statement to SUCCEEDED; a repeated MERGE batch upserts instead of duplicating', async () => {
    const c = new DatabricksSqlClient({
      baseUrl: fakeSql.url,
      auth: bearerAuth('t'),
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    });
    fakeSql.pendingPolls = 2;
    await c.execute({
      warehouseId: 'w',
      statement: 'CREATE TABLE IF NOT EXISTS `main`.`ops`.`t` (k STRING, v STRING)',
    });
    fakeSql.pendingPolls = 0;
    const merge = {
      warehouseId: 'w',
      statement:
        'MERGE INTO `main`.`ops`.`t` AS t USING (VALUES (:k0, :v0), (:k1, :v1)) AS s(k, v) ON t.k = s.k WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *',
      parameters: [
        { name: 'k0', value: 'a' },
        { name: 'v0', value: '1' },
        { name: 'k1', value: 'b' },
        { name: 'v1', value: '2' },
      ],
    };
    await c.execute(merge);
    await c.execute(merge);
    expect(fakeSql.tables.get('main.ops.t')?.size).toBe(2);
    expect(fakeSql.requests.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(2);
  });
});
