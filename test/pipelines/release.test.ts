/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * Release deployment through the real local host (embedded mode): job definitions are read from the repo
 * checkout at the release commit and replace the local job runner's definitions, with before/after recorded;
 * the smoke run goes through runJob.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, makeEvent } from '../../shared/events';
import { planRoute } from '../../shared/router/plan';
import { type TestHost, type Workspace, isDone, jobScript, startTestHost, workspace } from '../runs/harness';

let ws: Workspace;
let t: TestHost;

function pushed(branch: string, commit: string) {
  return makeEvent(
    EVENT_TYPES.gitReleasePushed,
    { provider: 'github', repository: { id: 'acme/deploy' }, branch, commit, actor: 'rel-bot' },
    { source: '/test/github', time: new Date().toISOString() },
  );
}

const TRAIN_V2 = {
  name: 'train',
  tasks: [{ task_key: 'train', python_wheel_task: { package_name: 'model', entry_point: 'train' } }],
  max_concurrent_runs: 1,
  timeout_seconds: 3600,
};
const SCORE_V1 = {
  name: 'score',
  tasks: [{ task_key: 'score' }],
  schedule: { quartz_cron_expression: '0 0 2 * * ?', timezone_id: 'UTC' },
};

beforeAll(async () => {
  ws = workspace('release');
  ws.file('repo/jobs/train.json', JSON.stringify(TRAIN_V2));
  ws.file('repo/jobs/score.json', JSON.stringify(SCORE_V1));
  mkdirSync(join(ws.dir, 'defs'), { recursive: true });
  writeFileSync(
    join(ws.dir, 'defs', 'train.json'),
    JSON.stringify({ name: 'train', tasks: [{ task_key: 'train' }], max_concurrent_runs: 4 }),
  );
  const smoke = jobScript(ws, 'smoke', { ms: 100 });
  ws.file(
    'policy.yaml',
    `
version: 1
pipelines:
  acme/deploy:
    branches: [main]
    release:
      branches: ["release/*"]
      jobDefinitions:
        - { name: train, file: jobs/train.json }
        - { name: score, file: jobs/score.json }
      smokeRun:
        job: { runner: local, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(smoke)}], parameters: { commit: "{{commit}}" }, timeout: 2m }
`,
  );
  t = await startTestHost(ws, {
    STAGECRAFT_POLICY_PATH: join(ws.dir, 'policy.yaml'),
    REPO_CHECKOUTS: JSON.stringify({ 'acme/deploy': join(ws.dir, 'repo') }),
    STAGECRAFT_JOB_DEFINITIONS_DIR: join(ws.dir, 'defs'),
  });
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

describe('releaseDeployment', () => {
  it('a release push replaces the declared job definitions, records before and after, and smoke-runs the release', async () => {
    const commit = 'd4'.repeat(20);
    const plan = planRoute(pushed('release/2026.11', commit));
    if (plan.kind !== 'start') throw new Error('expected a start plan');
    expect(plan.orchestration).toBe('releaseDeployment');
    expect(await t.start(plan.orchestration, plan.instanceId, plan.input)).toBe(202);
    const done = await t.waitFor(plan.instanceId, isDone, 90_000, 'the release');
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output.outcome).toBe('DEPLOYED');
    expect(done.output.smoke.state).toBe('SUCCEEDED');
    expect(JSON.parse(readFileSync(join(ws.dir, 'defs', 'train.json'), 'utf8'))).toEqual(TRAIN_V2);
    expect(JSON.parse(readFileSync(join(ws.dir, 'defs', 'score.json'), 'utf8'))).toEqual(SCORE_V1);
    const smokeArgs = readFileSync(join(ws.dir, 'ran-smoke.log'), 'utf8').trim().split('\n');
    expect(smokeArgs).toHaveLength(1);
    expect(smokeArgs[0]).toContain(commit);

    const run = await t.api('GET', `/api/runs/${encodeURIComponent(plan.instanceId)}`);
    const defs = run.json.timeline.filter((e: any) => e.kind === 'release.definition');
    const train = defs.find((d: any) => d.data.name === 'train');
    const score = defs.find((d: any) => d.data.name === 'score');
    expect(train.status).toBe('updated');
    expect(train.data.beforeHash).toMatch(/^[0-9a-f]{16}$/);
    expect(train.data.afterHash).not.toBe(train.data.beforeHash);
    expect(train.data.changedKeys).toEqual(['max_concurrent_runs', 'tasks', 'timeout_seconds']);
    expect(score.status).toBe('updated');
    expect(score.data.beforeHash).toBeUndefined();
    expect(run.json.timeline.some((e: any) => e.kind === 'release.outcome' && e.status === 'DEPLOYED')).toBe(true);
  }, 120_000);

  it('the same release again changes nothing and says so; a push to a non-release branch is skipped with the reason', async () => {
    const again = planRoute(pushed('release/2026.11', 'e5'.repeat(20)));
    if (again.kind !== 'start') throw new Error('expected a start plan');
    await t.start(again.orchestration, again.instanceId, again.input);
    const done = await t.waitFor(again.instanceId, isDone, 90_000, 'the second release');
    expect(done.output.changes.map((c: any) => c.changed)).toEqual([false, false]);

    const other = planRoute(pushed('hotfix/x', 'f6'.repeat(20)));
    if (other.kind !== 'start') throw new Error('expected a start plan');
    await t.start(other.orchestration, other.instanceId, other.input);
    const skipped = await t.waitFor(other.instanceId, isDone, 60_000, 'the skipped release');
    expect(skipped.output).toEqual({
      status: 'skipped',
      reason: 'branch hotfix/x is not a release branch of acme/deploy (release/*)',
    });
    expect(existsSync(join(ws.dir, 'defs', '.train.json.tmp'))).toBe(false);
  }, 120_000);
});
