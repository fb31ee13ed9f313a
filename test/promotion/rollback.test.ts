/**
 * modelRollback through the real local host: `POST /api/models/{name}/rollback` moves the champion back to the
 * previous champion from the alias history (or a named version), records who and why, and redeploys per policy.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProcess } from '../helpers/host';
import { aliasHistoryFromEnv } from '../../shared/promotion/aliases';
import { getRollbackRecord } from '../../shared/promotion/rollback';
import {
  api,
  decide,
  finished,
  pendingApproval,
  startEnv,
  startHost,
  startPromotion,
  stopEnv,
  until,
  type Env,
} from './harness';

function policy(hook: string, dir: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: { required: false, approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] } },
    },
    models: {
      rb: {
        deploy: {
          action: 'batch-scoring',
          job: { runner: 'local', command: process.execPath, args: [`${dir}/ok.js`], timeout: '30s' },
        },
      },
      // Promotions need one approval and a description; a rollback to anything else runs that flow.
      'rb-gate': {
        validations: { desc: { type: 'description' } },
        approval: { required: true, minApprovals: 1, excludeTrigger: true },
      },
      'rb-refuse': { rollback: { unapprovedTarget: 'refuse' } },
      'rb-n': {
        approval: { approvers: { users: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com'] } },
        rollback: { requireApproval: true, minApprovals: 2 },
      },
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

const champion = (model = 'rb') => env.mlflow.state.models.get(model)!.aliases.get('champion');
const seed = (model: string, version: string, description?: string) =>
  env.mlflow.seedVersion(model, {
    version,
    userId: 'dave@contoso.com',
    runId: env.mlflow.seedRun({}).run_id,
    ...(description ? { description } : {}),
  });
const rollback = async (
  model: string,
  user: 'alice@contoso.com' | 'bob@contoso.com',
  body: Record<string, unknown>,
) => {
  const res = await api(host, 'POST', `/api/models/${model}/rollback`, user, body);
  expect(res.status).toBe(202);
  return String(res.json['instanceId']);
};
const rollbackRecord = (model: string, instanceId: string) =>
  until(
    `the rollback record of ${instanceId}`,
    async () => (await getRollbackRecord(model, instanceId, env.hostEnv)) ?? undefined,
    90_000,
    () => host.logs(),
  );

describe('modelRollback', () => {
  it('rolls the champion back to the previous champion from the alias history, records who and why, and redeploys', async () => {
    for (const v of ['1', '2']) {
      env.mlflow.seedVersion('rb', { version: v, userId: 'dave@contoso.com', runId: env.mlflow.seedRun({}).run_id });
      await finished(host, await startPromotion(host, 'rb', v));
    }
    expect(champion()).toBe('2');

    const res = await api(host, 'POST', '/api/models/rb/rollback', 'alice@contoso.com', {
      reason: 'v2 misbehaves in production',
      requestId: 'incident-42',
    });
    expect(res.status).toBe(202);
    // statusUrl is the runs API (the durable webhook URL needs the system key in Azure)
    expect(res.json['statusUrl']).toBe(`/api/runs/${encodeURIComponent(String(res.json['instanceId']))}`);
    const instanceId = String(res.json['instanceId']);
    await until(
      'the rollback to finish',
      async () => (await getRollbackRecord('rb', instanceId, env.hostEnv)) ?? undefined,
      60_000,
      () => host.logs(),
    );
    const r = (await getRollbackRecord('rb', instanceId, env.hostEnv))!;
    expect(r).toMatchObject({
      outcome: 'rolled-back',
      fromVersion: '2',
      toVersion: '1',
      requestedBy: 'alice@contoso.com',
      requestReason: 'v2 misbehaves in production',
      deploy: { action: 'batch-scoring', state: 'SUCCEEDED' },
    });
    expect(champion()).toBe('1');
    const history = await aliasHistoryFromEnv(env.hostEnv).list('rb');
    expect(history.at(-1)).toMatchObject({
      alias: 'champion',
      before: '2',
      after: '1',
      actor: 'alice@contoso.com',
      reason: 'v2 misbehaves in production',
      step: 'rollback',
    });
    expect(env.receiver.notices.some((n) => n.event === 'model.rolled_back' && n.correlationId === instanceId)).toBe(
      true,
    );

    const again = await api(host, 'POST', '/api/models/rb/rollback', 'alice@contoso.com', {
      reason: 'same request repeated',
      requestId: 'incident-42',
    });
    expect(again).toMatchObject({ status: 202, json: { instanceId, started: false } });
  }, 180_000);

  it('rolls back to a named version, and records a refusal for a version that does not exist', async () => {
    const ok = await api(host, 'POST', '/api/models/rb/rollback', 'bob@contoso.com', {
      reason: 'pin v2',
      toVersion: '2',
    });
    const okId = String(ok.json['instanceId']);
    await until(
      'the named rollback',
      async () => (await getRollbackRecord('rb', okId, env.hostEnv)) ?? undefined,
      60_000,
    );
    expect(champion()).toBe('2');
    const bad = await api(host, 'POST', '/api/models/rb/rollback', 'bob@contoso.com', {
      reason: 'typo',
      toVersion: '99',
    });
    const badId = String(bad.json['instanceId']);
    const r = await until(
      'the refused rollback',
      async () => (await getRollbackRecord('rb', badId, env.hostEnv)) ?? undefined,
      60_000,
    );
    expect(r).toMatchObject({ outcome: 'refused', toVersion: '99' });
    expect(r.reason).toContain('VERSION_NOT_FOUND');
    expect(champion()).toBe('2');
  }, 120_000);

  it('refuses callers without the operator role, unidentified callers and requests without a reason', async () => {
    expect(await api(host, 'POST', '/api/models/rb/rollback', 'dave@contoso.com', { reason: 'x' })).toMatchObject({
      status: 403,
      json: { error: { code: 'AUTH_ROLE_REQUIRED' } },
    });
    expect((await api(host, 'POST', '/api/models/rb/rollback', undefined, { reason: 'x' })).status).toBe(401);
    const noReason = await api(host, 'POST', '/api/models/rb/rollback', 'alice@contoso.com', {});
    expect(noReason).toMatchObject({ status: 400, json: { error: { code: 'ROLLBACK_BODY_INVALID' } } });
    expect(
      (await api(host, 'POST', '/api/models/unknown-model/rollback', 'alice@contoso.com', { reason: 'x' })).status,
    ).toBe(404);
  }, 60_000);

  it('a never-approved target is not rolled back to directly: it runs validation and approval as a promotion', async () => {
    for (const v of ['1', '2']) {
      seed('rb-gate', v, 'a model');
      const id = await startPromotion(host, 'rb-gate', v);
      const a = await pendingApproval(host, 'rb-gate');
      expect(await decide(host, String(a['id']), 'bob@contoso.com', 'approve')).toMatchObject({ status: 200 });
      await finished(host, id);
    }
    seed('rb-gate', '3', 'never promoted');
    seed('rb-gate', '4');
    expect(champion('rb-gate')).toBe('2');

    // v3 was never champion: alice's "rollback" waits for validation and an approval she may not give herself.
    const id3 = await rollback('rb-gate', 'alice@contoso.com', { reason: 'use v3', toVersion: '3' });
    const a = await pendingApproval(host, 'rb-gate');
    expect(a).toMatchObject({ version: '3', kind: 'model-promotion' });
    expect(champion('rb-gate')).toBe('2');
    expect(await decide(host, String(a['id']), 'alice@contoso.com', 'approve')).toMatchObject({
      status: 403,
      json: { error: { code: 'TRIGGER_EXCLUDED' } },
    });
    expect(await decide(host, String(a['id']), 'bob@contoso.com', 'approve')).toMatchObject({ status: 200 });
    const r3 = await rollbackRecord('rb-gate', id3);
    expect(r3).toMatchObject({
      outcome: 'rolled-back',
      path: 'promotion',
      toVersion: '3',
      fromVersion: '2',
      promotionInstanceId: `${id3}:promotion`,
      approval: { votes: [{ approver: 'bob@contoso.com' }] },
    });
    expect(r3.reason).toContain('ROLLBACK_TARGET_NOT_APPROVED: v3 was never champion');
    expect(champion('rb-gate')).toBe('3');

    // v4 fails validation (no description): nothing moves, and the record says why.
    const id4 = await rollback('rb-gate', 'alice@contoso.com', { reason: 'use v4', toVersion: '4' });
    const r4 = await rollbackRecord('rb-gate', id4);
    expect(r4).toMatchObject({ outcome: 'refused', path: 'promotion', toVersion: '4', changes: [] });
    expect(r4.reason).toMatch(/ROLLBACK_TARGET_NOT_APPROVED.*: blocked/);
    expect(champion('rb-gate')).toBe('3');

    // Back to v2, which was champion through an approved promotion: allowed directly, recorded with why.
    const id2 = await rollback('rb-gate', 'alice@contoso.com', { reason: 'v3 misbehaves', toVersion: '2' });
    const r2 = await rollbackRecord('rb-gate', id2);
    expect(r2).toMatchObject({ outcome: 'rolled-back', path: 'direct', toVersion: '2' });
    expect(r2.standing).toMatch(/v2 was champion through promotion .*approved by bob@contoso.com/);
  }, 240_000);

  it('rollback.unapprovedTarget: refuse records ROLLBACK_TARGET_NOT_APPROVED and moves nothing', async () => {
    seed('rb-refuse', '1');
    await finished(host, await startPromotion(host, 'rb-refuse', '1'));
    seed('rb-refuse', '2');
    const id = await rollback('rb-refuse', 'bob@contoso.com', { reason: 'try v2', toVersion: '2' });
    const r = await rollbackRecord('rb-refuse', id);
    expect(r).toMatchObject({ outcome: 'refused', toVersion: '2', changes: [] });
    expect(r.reason).toContain('ROLLBACK_TARGET_NOT_APPROVED');
    expect(r.reason).toContain('promote it instead');
    expect(champion('rb-refuse')).toBe('1');
  }, 120_000);

  it('rollback.requireApproval: the rollback waits for N-of-M approvals (requester excluded) before moving the champion', async () => {
    for (const v of ['1', '2']) {
      seed('rb-n', v);
      await finished(host, await startPromotion(host, 'rb-n', v));
    }
    const id = await rollback('rb-n', 'alice@contoso.com', { reason: 'incident 7' });
    const a = await pendingApproval(host, 'rb-n');
    expect(a).toMatchObject({ kind: 'rollback', version: '1', minApprovals: 2 });
    expect(await decide(host, String(a['id']), 'alice@contoso.com', 'approve')).toMatchObject({
      status: 403,
      json: { error: { code: 'TRIGGER_EXCLUDED' } },
    });
    expect(await decide(host, String(a['id']), 'bob@contoso.com', 'approve')).toMatchObject({
      status: 200,
      json: { approval: { status: 'pending' } },
    });
    expect(champion('rb-n')).toBe('2');
    expect(await decide(host, String(a['id']), 'carol@contoso.com', 'approve')).toMatchObject({
      status: 200,
      json: { approval: { status: 'approved' } },
    });
    const r = await rollbackRecord('rb-n', id);
    expect(r).toMatchObject({
      outcome: 'rolled-back',
      path: 'approval',
      fromVersion: '2',
      toVersion: '1',
      approval: { status: 'approved', minApprovals: 2 },
    });
    expect(champion('rb-n')).toBe('1');
    const history = await aliasHistoryFromEnv(env.hostEnv).list('rb-n');
    expect(history.at(-1)).toMatchObject({
      step: 'rollback',
      after: '1',
      actor: 'alice@contoso.com (approved by bob@contoso.com, carol@contoso.com)',
    });
  }, 180_000);
});
