/**
 * modelRollback through the real local host: `POST /api/models/{name}/rollback` moves the champion back to the
 * previous champion from the alias history (or a named version), records who and why, and redeploys per policy.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProcess } from '../helpers/host';
import { aliasHistoryFromEnv } from '../../shared/promotion/aliases';
import { getRollbackRecord } from '../../shared/promotion/rollback';
import { api, finished, startEnv, startHost, startPromotion, stopEnv, until, type Env } from './harness';

function policy(hook: string, dir: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: { notify: ['hook'], approval: { required: false, approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] } } },
    models: {
      rb: { deploy: { action: 'batch-scoring', job: { runner: 'local', command: process.execPath, args: [`${dir}/ok.js`], timeout: '30s' } } },
    },
  };
}

let env: Env;
let host: HostProcess;

beforeAll(async () => {
  env = await startEnv(policy);
  // Rolling back is an operator action: alice and bob hold the operator role, dave does not.
  env.hostEnv['STAGECRAFT_USER_ROLES'] = 'operator=alice@contoso.com|bob@contoso.com';
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
});

const champion = () => env.mlflow.state.models.get('rb')!.aliases.get('champion');

describe('modelRollback', () => {
  it('rolls the champion back to the previous champion from the alias history, records who and why, and redeploys', async () => {
    for (const v of ['1', '2']) {
      env.mlflow.seedVersion('rb', { version: v, userId: 'dave@contoso.com', runId: env.mlflow.seedRun({}).run_id });
      await finished(host, await startPromotion(host, 'rb', v));
    }
    expect(champion()).toBe('2');

    const res = await api(host, 'POST', '/api/models/rb/rollback', 'alice@contoso.com', { reason: 'v2 misbehaves in production', requestId: 'incident-42' });
    expect(res.status).toBe(202);
    // statusUrl is the runs API (the durable webhook URL needs the system key in Azure)
    expect(res.json['statusUrl']).toBe(`/api/runs/${encodeURIComponent(String(res.json['instanceId']))}`);
    const instanceId = String(res.json['instanceId']);
    await until('the rollback to finish', async () => (await getRollbackRecord('rb', instanceId, env.hostEnv)) ?? undefined, 60_000, () => host.logs());
    const r = (await getRollbackRecord('rb', instanceId, env.hostEnv))!;
    expect(r).toMatchObject({ outcome: 'rolled-back', fromVersion: '2', toVersion: '1', requestedBy: 'alice@contoso.com', requestReason: 'v2 misbehaves in production', deploy: { action: 'batch-scoring', state: 'SUCCEEDED' } });
    expect(champion()).toBe('1');
    const history = await aliasHistoryFromEnv(env.hostEnv).list('rb');
    expect(history.at(-1)).toMatchObject({ alias: 'champion', before: '2', after: '1', actor: 'alice@contoso.com', reason: 'v2 misbehaves in production', step: 'rollback' });
    expect(env.receiver.notices.some((n) => n.event === 'model.rolled_back' && n.correlationId === instanceId)).toBe(true);

    const again = await api(host, 'POST', '/api/models/rb/rollback', 'alice@contoso.com', { reason: 'same request repeated', requestId: 'incident-42' });
    expect(again).toMatchObject({ status: 202, json: { instanceId, started: false } });
  }, 180_000);

  it('rolls back to a named version, and records a refusal for a version that does not exist', async () => {
    const ok = await api(host, 'POST', '/api/models/rb/rollback', 'bob@contoso.com', { reason: 'pin v2', toVersion: '2' });
    const okId = String(ok.json['instanceId']);
    await until('the named rollback', async () => (await getRollbackRecord('rb', okId, env.hostEnv)) ?? undefined, 60_000);
    expect(champion()).toBe('2');
    const bad = await api(host, 'POST', '/api/models/rb/rollback', 'bob@contoso.com', { reason: 'typo', toVersion: '99' });
    const badId = String(bad.json['instanceId']);
    const r = await until('the refused rollback', async () => (await getRollbackRecord('rb', badId, env.hostEnv)) ?? undefined, 60_000);
    expect(r).toMatchObject({ outcome: 'refused', toVersion: '99' });
    expect(r.reason).toContain('VERSION_NOT_FOUND');
    expect(champion()).toBe('2');
  }, 120_000);

  it('refuses callers without the operator role, unidentified callers and requests without a reason', async () => {
    expect(await api(host, 'POST', '/api/models/rb/rollback', 'dave@contoso.com', { reason: 'x' })).toMatchObject({ status: 403, json: { error: { code: 'AUTH_ROLE_REQUIRED' } } });
    expect((await api(host, 'POST', '/api/models/rb/rollback', undefined, { reason: 'x' })).status).toBe(401);
    const noReason = await api(host, 'POST', '/api/models/rb/rollback', 'alice@contoso.com', {});
    expect(noReason).toMatchObject({ status: 400, json: { error: { code: 'ROLLBACK_BODY_INVALID' } } });
    expect((await api(host, 'POST', '/api/models/unknown-model/rollback', 'alice@contoso.com', { reason: 'x' })).status).toBe(404);
  }, 60_000);
});
