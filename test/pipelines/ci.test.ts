/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * CI on merge through the real local host: ciPipeline fans the repo's suites out as local jobs via runJob,
 * records each result, writes JUnit to Blob Storage (Azurite) and reports the verdict to GitHub (a capture
 * server standing in for api.github.com).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, makeEvent } from '../../shared/events';
import { planRoute } from '../../shared/router/plan';
import { type TestHost, type Workspace, isDone, jobScript, startTestHost, workspace } from '../runs/harness';
import { type GitHubCapture, startGitHubCapture } from './github-capture';

let ws: Workspace;
let gh: GitHubCapture;
let t: TestHost;

function merged(repo: string, commit: string) {
  return makeEvent(
    EVENT_TYPES.gitMerged,
    {
      provider: 'github',
      repository: { id: repo },
      branch: 'main',
      commit,
      via: 'pull_request',
      pullRequest: { number: 7 },
      actor: 'alice',
    },
    { source: '/test/github', time: new Date().toISOString() },
  );
}

function ranCount(name: string): number {
  try {
    return readFileSync(join(ws.dir, `ran-${name}.log`), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0;
  }
}

beforeAll(async () => {
  ws = workspace('ci');
  gh = await startGitHubCapture();
  const node = JSON.stringify(process.execPath);
  const unit = jobScript(ws, 'unit', { ms: 300 });
  const integ = jobScript(ws, 'integration', { ms: 500 });
  const broken = jobScript(ws, 'broken', { ms: 100, code: 3, output: 'assertion failed: expected 0.9' });
  const lint = jobScript(ws, 'lint', { ms: 50 });
  ws.file(
    'policy.yaml',
    `
version: 1
pipelines:
  acme/green:
    branches: [main]
    suites:
      unit: { job: { runner: local, command: ${node}, args: [${JSON.stringify(unit)}], timeout: 2m } }
      integration: { job: { runner: local, command: ${node}, args: [${JSON.stringify(integ)}], timeout: 2m } }
    timeout: 10m
  acme/red:
    branches: [main]
    suites:
      lint: { job: { runner: local, command: ${node}, args: [${JSON.stringify(lint)}], timeout: 2m } }
      broken: { job: { runner: local, command: ${node}, args: [${JSON.stringify(broken)}], timeout: 2m } }
    timeout: 10m
`,
  );
  t = await startTestHost(ws, {
    STAGECRAFT_POLICY_PATH: join(ws.dir, 'policy.yaml'),
    GITHUB_TOKEN: 'ghp_test_token',
    GITHUB_API_URL: gh.url,
  });
}, 180_000);

afterAll(async () => {
  await t?.stop();
  await gh?.close();
});

describe('ciPipeline', () => {
  it('a merge whose suites all pass fans them out, records each, and reports success to GitHub', async () => {
    const commit = 'a1'.repeat(20);
    const plan = planRoute(merged('acme/green', commit));
    expect(plan.kind).toBe('start');
    if (plan.kind !== 'start') return;
    expect(await t.start(plan.orchestration, plan.instanceId, plan.input)).toBe(202);
    const done = await t.waitFor(plan.instanceId, isDone, 90_000, 'CI to finish');
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output.status).toBe('success');
    expect(done.output.verdict.counts.SUCCEEDED).toBe(2);
    expect(ranCount('unit')).toBe(1);
    expect(ranCount('integration')).toBe(1);

    const states = gh.statuses(commit).map((r) => r.body.state);
    expect(states).toEqual(['pending', 'success']);
    expect(gh.statuses(commit)[1]!.authorization).toBe('Bearer ghp_test_token');
    expect(gh.statuses(commit)[1]!.body.context).toBe('stagecraft/ci');
    expect(done.output.junitPath).toMatch(/junit\.xml$/);

    const run = await t.api('GET', `/api/runs/${encodeURIComponent(plan.instanceId)}`);
    expect(run.status).toBe(200);
    const records = run.json.timeline
      .filter((e: any) => e.source === 'record')
      .map((e: any) => `${e.kind}:${e.status}`);
    expect(records).toEqual(expect.arrayContaining(['ci.plan:planned', 'ci.suite:SUCCEEDED', 'ci.verdict:success']));
    expect(
      run.json.timeline.some((e: any) => e.source === 'history' && /sub-orchestration runJob completed/.test(e.title)),
    ).toBe(true);
  }, 120_000);

  it('a merge with one failing suite reports failure naming it, with the other suite still recorded', async () => {
    const commit = 'b2'.repeat(20);
    const plan = planRoute(merged('acme/red', commit));
    if (plan.kind !== 'start') throw new Error('expected a start plan');
    await t.start(plan.orchestration, plan.instanceId, plan.input);
    const done = await t.waitFor(plan.instanceId, isDone, 90_000, 'CI to finish');
    expect(done.output.status).toBe('failure');
    expect(done.output.verdict.failed).toEqual(['broken']);
    const final = gh.statuses(commit).at(-1)!;
    expect(final.body.state).toBe('failure');
    expect(final.body.description).toContain('broken');
    const run = await t.api('GET', `/api/runs/${encodeURIComponent(plan.instanceId)}`);
    const suites = run.json.timeline.filter((e: any) => e.kind === 'ci.suite');
    expect(suites.map((s: any) => s.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect(JSON.stringify(suites.find((s: any) => s.status === 'FAILED').data.outputTail)).toContain(
      'assertion failed',
    );
  }, 120_000);

  it('a retried merge webhook maps to the same instance and runs each suite once', async () => {
    const commit = 'c3'.repeat(20);
    const first = planRoute(merged('acme/green', commit));
    const retried = planRoute(merged('acme/green', commit));
    if (first.kind !== 'start' || retried.kind !== 'start') throw new Error('expected start plans');
    expect(retried.instanceId).toBe(first.instanceId);
    const before = { unit: ranCount('unit'), integration: ranCount('integration') };
    expect(await t.start(first.orchestration, first.instanceId, first.input)).toBe(202);
    const second = await t.start(retried.orchestration, retried.instanceId, retried.input);
    expect(second).toBe(409);
    await t.waitFor(first.instanceId, isDone, 90_000, 'CI to finish');
    expect(ranCount('unit') - before.unit).toBe(1);
    expect(ranCount('integration') - before.integration).toBe(1);
    expect(gh.statuses(commit).filter((s) => s.body.state === 'success')).toHaveLength(1);
  }, 120_000);
});
