import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDatabricks, type FakeMlflow, startFakeDatabricks, startFakeMlflow } from '.';

/** The fakes answer as the documented APIs do, checked with plain fetch (not through our clients). */
let mlflow: FakeMlflow;
let databricks: FakeDatabricks;
beforeAll(async () => {
  mlflow = await startFakeMlflow();
  databricks = await startFakeDatabricks({ defaults: { manual: true } });
});
afterAll(async () => {
  await mlflow.close();
  await databricks.close();
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

describe('fake MLflow follows the documented REST API', () => {
  it('answers model-versions/get with protobuf-JSON field names and string versions', async () => {
    mlflow.seedVersion('doc-model', { runId: 'run-1', tags: { k: 'v' }, aliases: ['champion'] });
    const r = await json(await fetch(`${mlflow.url}/api/2.0/mlflow/model-versions/get?name=doc-model&version=1`));
    expect(r.status).toBe(200);
    expect(r.body.model_version).toMatchObject({
      name: 'doc-model',
      version: '1',
      current_stage: 'None',
      status: 'READY',
      run_id: 'run-1',
      tags: [{ key: 'k', value: 'v' }],
      aliases: ['champion'],
    });
  });

  it('answers a missing parameter with 400 INVALID_PARAMETER_VALUE and a missing model with 404 RESOURCE_DOES_NOT_EXIST', async () => {
    expect(await json(await fetch(`${mlflow.url}/api/2.0/mlflow/model-versions/get?name=doc-model`))).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE' },
    });
    expect(await json(await fetch(`${mlflow.url}/api/2.0/mlflow/registered-models/get?name=nope`))).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST' },
    });
  });

  it('requires Content-Type application/json on POST bodies (400 INVALID_PARAMETER_VALUE), and defaults archive_existing_versions to false', async () => {
    const body = JSON.stringify({ name: 'doc-model', version: '1', stage: 'Staging' });
    expect(
      await json(await fetch(`${mlflow.url}/api/2.0/mlflow/model-versions/transition-stage`, { method: 'POST', body })),
    ).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const r = await json(
      await fetch(`${mlflow.url}/api/2.0/mlflow/model-versions/transition-stage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    expect(r).toMatchObject({ status: 200, body: { model_version: { current_stage: 'Staging' } } });
  });

  it('fails lower-case webhook events with a 500 like MLflow 3.17 (entity/action are upper-case enum names)', async () => {
    const r = await fetch(`${mlflow.url}/api/2.0/mlflow/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'w',
        url: 'http://127.0.0.1:9/x',
        events: [{ entity: 'model_version', action: 'created' }],
      }),
    });
    expect(r.status).toBe(500);
  });

  it('answers a missing alias with 400 INVALID_PARAMETER_VALUE, deletes a missing alias or tag with 200, and reads DELETE parameters from the body only', async () => {
    mlflow.seedVersion('doc-alias');
    expect(
      await json(await fetch(`${mlflow.url}/api/2.0/mlflow/registered-models/alias?name=doc-alias&alias=champion`)),
    ).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias champion not found.' },
    });
    const del = (path: string, body: unknown) =>
      fetch(`${mlflow.url}/api/2.0/mlflow/${path}`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await del('registered-models/alias', { name: 'doc-alias', alias: 'champion' })).status).toBe(200);
    expect((await del('model-versions/delete-tag', { name: 'doc-alias', version: '1', key: 'nope' })).status).toBe(200);
    expect(
      (
        await json(
          await fetch(`${mlflow.url}/api/2.0/mlflow/registered-models/alias?name=doc-alias&alias=champion`, {
            method: 'DELETE',
          }),
        )
      ).body,
    ).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('answers unknown routes with an HTML 404 like the Flask server', async () => {
    const r = await fetch(`${mlflow.url}/api/2.0/mlflow/nope`);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('fake Databricks follows the documented Jobs 2.2 API', () => {
  it('returns the first run for a repeated idempotency_token and reports the lifecycle in state and status', async () => {
    const job = databricks.seedJob({ name: 'j' });
    const post = (body: unknown) =>
      fetch(`${databricks.url}/api/2.2/jobs/run-now`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(json);
    const a = await post({ job_id: job.job_id, idempotency_token: 'tok-1' });
    const b = await post({ job_id: job.job_id, idempotency_token: 'tok-1' });
    expect(b.body.run_id).toBe(a.body.run_id);
    databricks.advance(Number(a.body.run_id), 'FAILED', 'boom');
    const run = await json(await fetch(`${databricks.url}/api/2.2/jobs/runs/get?run_id=${String(a.body.run_id)}`));
    expect(run.body).toMatchObject({
      job_id: job.job_id,
      state: { life_cycle_state: 'TERMINATED', result_state: 'FAILED', state_message: 'boom' },
      status: { state: 'TERMINATED', termination_details: { code: 'RUN_EXECUTION_ERROR' } },
    });
  });

  it('serves the 2.1 paths too and answers unknown endpoints with ENDPOINT_NOT_FOUND', async () => {
    const job = databricks.seedJob({ name: 'old' });
    expect((await json(await fetch(`${databricks.url}/api/2.1/jobs/get?job_id=${job.job_id}`))).body).toMatchObject({
      job_id: job.job_id,
      settings: { name: 'old' },
    });
    expect(await json(await fetch(`${databricks.url}/api/2.2/jobs/nope`))).toMatchObject({
      status: 404,
      body: { error_code: 'ENDPOINT_NOT_FOUND' },
    });
  });
});
