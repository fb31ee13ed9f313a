/**
 * Contract of the Unity Catalog endpoints Stagecraft uses, through its adapter (UnityCatalogClient and the UC
 * registry port). Always runs against the HTTP fake (test/fakes/databricks-uc.ts); runs against a real workspace
 * too when DATABRICKS_HOST, DATABRICKS_TOKEN and DATABRICKS_UC_TEST_MODEL (an existing `catalog.schema.model` with
 * a READY version the token may read, tag and alias) are set. Writes on the real model use a temporary alias and
 * tag that the test removes again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth } from '../../shared/adapters/http';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { UnityCatalogClient } from '../../shared/adapters/databricks-uc';
import { MlflowClient } from '../../shared/adapters/mlflow';
import { unityCatalogRegistry } from '../../shared/registry';
import { type FakeDatabricksUc, startFakeDatabricksUc } from '../fakes/databricks-uc';

interface Target {
  client: UnityCatalogClient;
  tracking: MlflowClient;
  model: string;
  version: string;
  /** The fake only: failures can be injected. */
  fake?: FakeDatabricksUc;
}

const noSleep = async () => {};

function ucContract(label: string, target: () => Target): void {
  describe(`Unity Catalog contract (${label})`, () => {
    const alias = `stagecraft_contract_${process.pid}`;
    const tag = `stagecraft.contract.${process.pid}`;

    it('GET /api/2.1/unity-catalog/models/{full_name}: the model with its aliases', async () => {
      const { client, model } = target();
      const m = await client.getModel(model);
      expect(m.full_name).toBe(model);
      expect(Array.isArray(m.aliases)).toBe(true);
    });

    it('GET /api/2.1/unity-catalog/models?catalog_name=&schema_name=: the schema lists the model, paged', async () => {
      const { client, model } = target();
      const [catalog, schema] = model.split('.') as [string, string];
      const names: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 50; i++) {
        const page = await client.listModels(catalog, schema, {
          maxResults: 1,
          ...(token ? { pageToken: token } : {}),
        });
        expect(page.models.length).toBeLessThanOrEqual(1);
        names.push(...page.models.map((x) => x.full_name ?? ''));
        token = page.nextPageToken;
        if (!token || names.includes(model)) break;
      }
      expect(names).toContain(model);
    });

    it('GET .../models/{full_name}/versions/{version}: status, creator, source, creation time', async () => {
      const { client, model, version } = target();
      const v = await client.getVersion(model, version);
      expect(v.version).toBe(version);
      expect(v.status).toBe('READY');
      expect(v.created_by).toMatch(/\S/);
      expect(typeof v.created_at).toBe('number');
      expect(v.source).toMatch(/\S/);
    });

    it('GET .../models/{full_name}/versions: every version, paged', async () => {
      const { client, model, version } = target();
      const seen: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await client.listVersions(model, { maxResults: 1, ...(token ? { pageToken: token } : {}) });
        seen.push(...page.versions.map((v) => v.version));
        token = page.nextPageToken;
        if (!token) break;
      }
      expect(seen).toContain(version);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('an unknown model is NotFound; a name that is not three-level is refused before any call', async () => {
      const { client, model } = target();
      const [catalog, schema] = model.split('.') as [string, string];
      await expect(
        client.getVersion(`${catalog}.${schema}.stagecraft_no_such_model_${process.pid}`, '1'),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(client.getModel('just_a_name')).rejects.toMatchObject({ code: 'UC_MODEL_NAME_INVALID' });
    });

    it('PUT/GET/DELETE .../aliases/{alias}: set, read back, move, delete (deleting twice is done)', async () => {
      const { client, model, version } = target();
      expect(await client.getVersionByAlias(model, alias)).toBeUndefined();
      await client.setAlias(model, alias, version);
      try {
        const v = await client.getVersionByAlias(model, alias);
        expect(v?.version).toBe(version);
        expect(v?.aliases.map((a) => a.alias_name)).toContain(alias);
        expect((await client.getModel(model)).aliases).toContainEqual(
          expect.objectContaining({ alias_name: alias, version_num: version }),
        );
      } finally {
        await client.deleteAlias(model, alias);
      }
      expect(await client.getVersionByAlias(model, alias)).toBeUndefined();
      await client.deleteAlias(model, alias);
    });

    it('POST set-tag / GET get / DELETE delete-tag under /api/2.0/mlflow/unity-catalog/model-versions', async () => {
      const { client, model, version } = target();
      await client.setVersionTag(model, version, tag, 'approved');
      try {
        const v = await client.getVersionWithTags(model, version);
        expect(v.tags).toContainEqual({ key: tag, value: 'approved' });
        expect(v.user_id).toMatch(/\S/);
        await client.setVersionTag(model, version, tag, 'rejected');
        expect((await client.getVersionWithTags(model, version)).tags).toContainEqual({ key: tag, value: 'rejected' });
      } finally {
        await client.deleteVersionTag(model, version, tag);
      }
      expect((await client.getVersionWithTags(model, version)).tags.map((t) => t.key)).not.toContain(tag);
    });

    it('the registry port maps a UC version onto the promotion shapes (creator as user_id, alias names, tags)', async () => {
      const { client, tracking, model, version } = target();
      const reg = unityCatalogRegistry(client, tracking);
      await reg.setAlias(model, alias, version);
      try {
        const mv = await reg.getModelVersion(model, version);
        expect(mv).toMatchObject({ name: model, version, status: 'READY' });
        expect(mv.user_id).toBe((await client.getVersion(model, version)).created_by);
        expect(mv.aliases).toContain(alias);
        expect((await reg.getRegisteredModel(model)).aliases).toContainEqual({ alias, version });
        expect((await reg.getModelVersionByAlias(model, alias))?.version).toBe(version);
      } finally {
        await reg.deleteAlias(model, alias);
      }
      await expect(reg.transitionStage(model, version, 'Production', false)).rejects.toBeInstanceOf(ValidationError);
    });

    it('429 with Retry-After is retried after the advertised wait (fake only: the fault is injected)', async () => {
      const { fake, model, version } = target();
      if (!fake) return; // a real workspace cannot be made to throttle on demand
      const waits: number[] = [];
      const client = new UnityCatalogClient({
        baseUrl: fake.url,
        auth: bearerAuth('dapi-test'),
        sleep: async (ms) => {
          waits.push(ms);
        },
      });
      fake.server.injectFailure({ path: '/versions/', status: 429, retryAfter: '2', times: 2 });
      const v = await client.getVersion(model, version);
      expect(v.version).toBe(version);
      expect(waits).toEqual([2000, 2000]);
    });
  });
}

// ---- the fake, always ----
let fake: FakeDatabricksUc;
const FAKE_MODEL = 'main.ml.contract_model';
beforeAll(async () => {
  fake = await startFakeDatabricksUc();
  fake.createModel('main.ml.another_model');
  fake.createModel(FAKE_MODEL);
  fake.addRun({ run_id: 'run-1', metrics: { accuracy: 0.9 } });
  fake.createVersion(FAKE_MODEL, { createdBy: 'alice@example.com', runId: 'run-1', status: 'READY' });
  fake.createVersion(FAKE_MODEL, { createdBy: 'bob@example.com', status: 'READY' });
  fake.createModel('main.other.x');
});
afterAll(async () => {
  await fake.close();
});

ucContract('HTTP fake', () => {
  const auth = bearerAuth('dapi-test');
  return {
    client: new UnityCatalogClient({ baseUrl: fake.url, auth, sleep: noSleep }),
    tracking: new MlflowClient({ baseUrl: fake.url, auth, sleep: noSleep }),
    model: FAKE_MODEL,
    version: '1',
    fake,
  };
});

// ---- a real workspace, when configured ----
const host = process.env['DATABRICKS_HOST']?.trim();
const token = process.env['DATABRICKS_TOKEN']?.trim();
const realModel = process.env['DATABRICKS_UC_TEST_MODEL']?.trim();
if (host && token && realModel) {
  const baseUrl = /^https?:\/\//.test(host) ? host : `https://${host}`;
  const real = {
    client: new UnityCatalogClient({ baseUrl, auth: bearerAuth(token) }),
    tracking: new MlflowClient({ baseUrl, auth: bearerAuth(token) }),
    model: realModel,
    version: '',
  };
  beforeAll(async () => {
    // The newest READY version of the configured model.
    const page = await real.client.listVersions(realModel, { maxResults: 100 });
    const ready = page.versions
      .filter((v) => v.status === 'READY')
      .sort((a, b) => Number(b.version) - Number(a.version))[0];
    if (!ready) throw new Error(`DATABRICKS_UC_TEST_MODEL ${realModel} has no READY version`);
    real.version = ready.version;
  });
  ucContract(`real workspace ${baseUrl}`, () => real);
} else {
  const missing = [!host && 'DATABRICKS_HOST', !token && 'DATABRICKS_TOKEN', !realModel && 'DATABRICKS_UC_TEST_MODEL']
    .filter(Boolean)
    .join(', ');
  console.warn(
    `[databricks-uc contract] real-workspace run SKIPPED: ${missing} not set. Only the HTTP fake was checked (that run still counts).`,
  );
}
