import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { MlflowClient } from '../../shared/adapters/mlflow';

/**
 * One suite of registry behaviour our MLflow client relies on, run against the fake (mlflow-contract.test.ts)
 * and runnable against a real MLflow server (an e2e test passes `url` of `startMlflowServer`), so the fake
 * cannot drift from MLflow. Seeding goes through the documented REST API only (registered-models/create,
 * model-versions/create, runs/create, runs/log-batch), identical for both.
 */
export interface ContractTarget {
  url: string;
  close(): Promise<void>;
}

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok && json.error_code !== 'RESOURCE_ALREADY_EXISTS')
    throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function seedRun(
  url: string,
  o: { metrics?: Record<string, number>; params?: Record<string, string>; tags?: Record<string, string> },
): Promise<string> {
  const created = await post(url, 'runs/create', { experiment_id: '0', start_time: Date.now() });
  const runId = (created.run as { info: { run_id: string } }).info.run_id;
  await post(url, 'runs/log-batch', {
    run_id: runId,
    metrics: Object.entries(o.metrics ?? {}).map(([key, value]) => ({ key, value, timestamp: Date.now(), step: 0 })),
    params: Object.entries(o.params ?? {}).map(([key, value]) => ({ key, value })),
    tags: Object.entries(o.tags ?? {}).map(([key, value]) => ({ key, value })),
  });
  return runId;
}

/** Real MLflow refuses a source not inside the run it names, so every version gets a run (`runs:/<run>/model`). */
export async function seedVersion(
  url: string,
  name: string,
  o: { runId?: string; tags?: Record<string, string> } = {},
): Promise<string> {
  await post(url, 'registered-models/create', { name });
  const runId = o.runId ?? (await seedRun(url, {}));
  const r = await post(url, 'model-versions/create', {
    name,
    source: `runs:/${runId}/model`,
    run_id: runId,
    tags: Object.entries(o.tags ?? {}).map(([key, value]) => ({ key, value })),
  });
  return (r.model_version as { version: string }).version;
}

export function mlflowContract(label: string, target: () => ContractTarget): void {
  describe(`MLflow registry contract: ${label}`, () => {
    const client = () =>
      new MlflowClient({ baseUrl: target().url, timeoutMs: 10_000, retry: { maxAttempts: 2, baseDelayMs: 10 } });
    const unique = (base: string) => `${base}-${Math.random().toString(36).slice(2, 8)}`;

    it('reads a READY version with string version, tags and run id, and the run metrics, params and tags', async () => {
      const { url } = target();
      const runId = await seedRun(url, {
        metrics: { accuracy: 0.95 },
        params: { max_depth: '8' },
        tags: { 'mlflow.source.git.commit': 'abc' },
      });
      const name = unique('contract-read');
      const v = await seedVersion(url, name, { runId, tags: { git_commit: 'abc' } });
      const mv = await client().getModelVersion(name, v);
      expect(mv).toMatchObject({ name, version: '1', status: 'READY', run_id: runId, current_stage: 'None' });
      expect(mv.tags).toEqual([{ key: 'git_commit', value: 'abc' }]);
      const run = await client().getRunSummary(runId);
      expect(run.metrics).toEqual({ accuracy: 0.95 });
      expect(run.params).toEqual({ max_depth: '8' });
      expect(run.tags['mlflow.source.git.commit']).toBe('abc');
    });

    it('answers an unknown model or version with RESOURCE_DOES_NOT_EXIST', async () => {
      const e = await client()
        .getModelVersion(unique('contract-none'), '1')
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotFoundError);
      expect((e as NotFoundError).code).toBe('MLFLOW_RESOURCE_DOES_NOT_EXIST');
    });

    it('sets, moves, reads and deletes aliases; a missing alias reads undefined and deletes as done; reserved names are refused', async () => {
      const { url } = target();
      const name = unique('contract-alias');
      await seedVersion(url, name);
      await seedVersion(url, name);
      const c = client();
      expect(await c.getModelVersionByAlias(name, 'champion')).toBeUndefined();
      await c.setAlias(name, 'champion', '1');
      await c.setAlias(name, 'champion', '2');
      expect((await c.getModelVersionByAlias(name, 'champion'))?.version).toBe('2');
      expect((await c.getModelVersion(name, '2')).aliases).toEqual(['champion']);
      expect((await c.getRegisteredModel(name)).aliases).toEqual([{ alias: 'champion', version: '2' }]);
      await c.deleteAlias(name, 'champion');
      await c.deleteAlias(name, 'champion');
      expect(await c.getModelVersionByAlias(name, 'champion')).toBeUndefined();
      await expect(c.setAlias(name, 'latest', '1')).rejects.toBeInstanceOf(ValidationError);
      await expect(c.getModelVersionByAlias(unique('contract-nomodel'), 'champion')).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('sets tags, updates the description and finds versions by tag filter, newest first, page by page', async () => {
      const { url } = target();
      const name = unique('contract-search');
      for (let i = 0; i < 3; i++) await seedVersion(url, name);
      const c = client();
      await c.setModelVersionTag(name, '2', 'validation_status', 'passed');
      expect((await c.updateModelVersion(name, '2', 'checked')).description).toBe('checked');
      const tagged = await c.searchModelVersions({ filter: `name='${name}' AND tags.validation_status='passed'` });
      expect(tagged.versions.map((v) => v.version)).toEqual(['2']);
      const first = await c.searchModelVersions({
        filter: `name='${name}'`,
        orderBy: ['version_number DESC'],
        maxResults: 2,
      });
      expect(first.versions.map((v) => v.version)).toEqual(['3', '2']);
      const second = await c.searchModelVersions({
        filter: `name='${name}'`,
        orderBy: ['version_number DESC'],
        maxResults: 2,
        pageToken: first.nextPageToken!,
      });
      expect(second.versions.map((v) => v.version)).toEqual(['1']);
      await c.deleteModelVersionTag(name, '2', 'validation_status');
      expect((await c.getModelVersion(name, '2')).tags).toEqual([]);
    });

    it('moves legacy stages, archiving the previous Production version, and lists the latest per stage', async () => {
      const { url } = target();
      const name = unique('contract-stage');
      await seedVersion(url, name);
      await seedVersion(url, name);
      const c = client();
      await c.transitionStage(name, '1', 'Production', false);
      expect((await c.transitionStage(name, '2', 'Production', true)).current_stage).toBe('Production');
      expect((await c.getModelVersion(name, '1')).current_stage).toBe('Archived');
      expect((await c.getLatestVersions(name, ['Production'])).map((v) => v.version)).toEqual(['2']);
    });

    it('lists artifacts of a run without any as empty, so presence checks answer false', async () => {
      const runId = await seedRun(target().url, {});
      expect((await client().listArtifacts(runId)).files).toEqual([]);
      expect(await client().artifactExists(runId, 'model/MLmodel')).toBe(false);
    });

    it('creates, lists and deletes a registry webhook with upper-case events, never returning the secret', async () => {
      const c = client();
      const w = await c.createWebhook({
        name: unique('contract-hook'),
        url: 'http://127.0.0.1:9/hook',
        secret: 'contract-secret',
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      });
      expect(w).toMatchObject({ status: 'ACTIVE', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] });
      expect(JSON.stringify(w)).not.toContain('contract-secret');
      expect((await c.listWebhooks()).webhooks.map((x) => x.webhook_id)).toContain(w.webhook_id);
      await c.deleteWebhook(w.webhook_id!);
      expect((await c.listWebhooks()).webhooks.map((x) => x.webhook_id)).not.toContain(w.webhook_id);
    });
  });
}
