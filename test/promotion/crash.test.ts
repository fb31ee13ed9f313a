/**
 * Crash safety of a promotion waiting for approval: the host is killed with SIGKILL while the orchestration waits,
 * restarted on the same state dir, and the approval given afterwards completes the promotion with nothing lost
 * (every validation recorded once, the request unchanged, one vote, one promotion record).
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProcess } from '../helpers/host';
import { getPromotionRecord, listValidations } from '../../shared/promotion/records';
import {
  atStep,
  decide,
  finished,
  pendingApproval,
  startEnv,
  startHost,
  startPromotion,
  stopEnv,
  type Env,
} from './harness';

function policy(hook: string, dir: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: { approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] }, deadline: '10m' },
    },
    models: {
      'crash-m': {
        validations: {
          quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] },
          'smoke-job': {
            type: 'job',
            job: { runner: 'local', command: process.execPath, args: [`${dir}/ok.js`], timeout: '30s' },
          },
        },
        deploy: {
          action: 'batch-scoring',
          job: { runner: 'local', command: process.execPath, args: [`${dir}/ok.js`], timeout: '30s' },
        },
      },
    },
  };
}

let env: Env;
const hosts: HostProcess[] = [];

beforeAll(async () => {
  env = await startEnv(policy);
}, 120_000);

afterAll(async () => {
  for (const h of hosts) await h.stop();
  await stopEnv(env);
});

describe('modelPromotion across a host crash', () => {
  it('kill -9 while waiting for approval, restart: the approval completes the promotion and nothing is lost or doubled', async () => {
    const first = await startHost(env);
    hosts.push(first);
    env.mlflow.seedVersion('crash-m', {
      version: '1',
      userId: 'dave@contoso.com',
      runId: env.mlflow.seedRun({ metrics: { accuracy: 0.97 } }).run_id,
    });
    const id = await startPromotion(first, 'crash-m', '1');
    const before = await pendingApproval(first, 'crash-m');
    await atStep(first, id, 'approval', ['approvalId']);
    await first.kill();

    const second = await startHost(env, first.stateDir);
    hosts.push(second);
    const after = await pendingApproval(second, 'crash-m');
    expect(after['id']).toBe(before['id']);
    expect(after['createdAt']).toBe(before['createdAt']);
    expect(await decide(second, String(after['id']), 'alice@contoso.com', 'approve')).toMatchObject({ status: 200 });
    const done = await finished(second, id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', customStatus: { outcome: 'promoted' } });

    const r = (await getPromotionRecord('crash-m', id, env.hostEnv))!;
    expect(r).toMatchObject({
      outcome: 'promoted',
      approval: { votes: [{ approver: 'alice@contoso.com' }] },
      deploy: { state: 'SUCCEEDED' },
    });
    expect(r.validations.map((v) => `${v.id}:${v.status}`).sort()).toEqual(['quality:passed', 'smoke-job:passed']);
    expect((await listValidations(id, env.hostEnv)).map((v) => v.checkId).sort()).toEqual(['quality', 'smoke-job']);
    expect(
      env.receiver.notices.filter((n) => n.event === 'approval.requested' && n.correlationId === before['id']),
    ).toHaveLength(1);
    expect(Object.fromEntries(env.mlflow.state.models.get('crash-m')!.aliases)).toEqual({ champion: '1' });
  }, 240_000);
});
