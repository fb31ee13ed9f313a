/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * Release deployment gated by the approval mechanism of model promotion, through the real local host:
 * the request is stored and announced (without decision links) on the pipeline's channels, it is listed
 * at GET /api/approvals, decided at POST /api/approvals/{id}/decision, escalates and expires on the policy's
 * durations. Nothing is changed before an approval; a rejected or expired release leaves the definitions as they were.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, makeEvent } from '../../shared/events';
import { planRoute } from '../../shared/router/plan';
import { advanceClock, TEST_CLOCK_ENV } from '../../devhost/test/helpers/clock';
import { type Receiver, startReceiver } from '../promotion/harness';
import { type TestHost, type Workspace, eventually, isDone, startTestHost, workspace } from '../runs/harness';

const KEYS = { alice: 'alice-release-key-0123456789', bob: 'bob-release-key-0123456789ab' } as const;
const USERS = { alice: 'alice@contoso.com', bob: 'bob@contoso.com' } as const;
const TRAIN_V1 = { name: 'train', tasks: [{ task_key: 'train' }], max_concurrent_runs: 4 };
const TRAIN_V2 = {
  name: 'train',
  tasks: [{ task_key: 'train', python_wheel_task: { package_name: 'model', entry_point: 'train' } }],
  max_concurrent_runs: 1,
};

let ws: Workspace;
let t: TestHost;
let receiver: Receiver;

function pushed(repo: string, commit: string) {
  return makeEvent(
    EVENT_TYPES.gitReleasePushed,
    { provider: 'github', repository: { id: repo }, branch: 'release/2026.12', commit, actor: 'rel-bot' },
    { source: '/test/github', time: new Date().toISOString() },
  );
}

async function startRelease(repo: string, commit: string): Promise<string> {
  const plan = planRoute(pushed(repo, commit));
  if (plan.kind !== 'start') throw new Error('expected a start plan');
  expect(await t.start(plan.orchestration, plan.instanceId, plan.input)).toBe(202);
  return plan.instanceId;
}

async function asUser(
  user: keyof typeof KEYS,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { 'x-stagecraft-key': KEYS[user], 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

/** The pending approval of a release of `repo`, once the orchestration stored it. */
async function pendingFor(repo: string, commit: string): Promise<any> {
  const list = await eventually(
    async () =>
      (await asUser('alice', 'GET', `/api/approvals?status=pending&model=${encodeURIComponent(`release:${repo}`)}`))
        .json.approvals as any[],
    (l) => Array.isArray(l) && l.some((a) => a.version === commit),
    30_000,
    `the approval of the release of ${repo}`,
  );
  return list.find((a) => a.version === commit);
}

const def = (name: string) => join(ws.dir, 'defs', `${name}.json`);
const defOf = (name: string): unknown => JSON.parse(readFileSync(def(name), 'utf8'));

beforeAll(async () => {
  receiver = await startReceiver();
  ws = workspace('release-approval');
  ws.file('repo/jobs/train.json', JSON.stringify(TRAIN_V2));
  mkdirSync(join(ws.dir, 'defs'), { recursive: true });
  writeFileSync(def('train-ok'), JSON.stringify(TRAIN_V1));
  writeFileSync(def('train-no'), JSON.stringify(TRAIN_V1));
  const gated = (name: string, approval: string) => `
    branches: [main]
    release:
      branches: ["release/*"]
      jobDefinitions: [{ name: ${name}, file: jobs/train.json }]
      approval: ${approval}
    notify: [hook]`;
  const approvers = `approvers: { users: [${USERS.alice}, ${USERS.bob}] }, minApprovals: 1`;
  ws.file(
    'policy.yaml',
    `
version: 1
channels:
  hook: { type: webhook, url: "${receiver.url}" }
pipelines:
  acme/gated-ok:${gated('train-ok', `{ ${approvers}, deadline: 10m }`)}
  acme/gated-no:${gated('train-no', `{ ${approvers}, deadline: 10m }`)}
  acme/gated-late:${gated('train-late', `{ ${approvers}, escalation: [{ after: 1h }], deadline: 2h }`)}
`,
  );
  const checkout = join(ws.dir, 'repo');
  t = await startTestHost(ws, {
    STAGECRAFT_POLICY_PATH: join(ws.dir, 'policy.yaml'),
    REPO_CHECKOUTS: JSON.stringify({
      'acme/gated-ok': checkout,
      'acme/gated-no': checkout,
      'acme/gated-late': checkout,
    }),
    STAGECRAFT_JOB_DEFINITIONS_DIR: join(ws.dir, 'defs'),
    STAGECRAFT_APPROVER_KEYS: `${USERS.alice}=${KEYS.alice},${USERS.bob}=${KEYS.bob}`,
    STAGECRAFT_APPROVAL_LINK_SECRETS: 'release-link-secret-0123456789abcdef',
    // Escalation and deadline are realistic (hours) and passed on the host's test clock.
    ...TEST_CLOCK_ENV,
  });
}, 180_000);

afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

describe('releaseDeployment with an approval gate', () => {
  it('waits for approval with nothing changed, is listed and announced, and once approved updates the jobs', async () => {
    const commit = 'a1'.repeat(20);
    const id = await startRelease('acme/gated-ok', commit);
    const approval = await pendingFor('acme/gated-ok', commit);
    expect(approval).toMatchObject({
      kind: 'release-deployment',
      instanceId: id,
      status: 'pending',
      model: 'release:acme/gated-ok',
      version: commit,
    });
    const waiting = await t.waitFor(
      id,
      (s) => s.customStatus?.step === 'awaiting-approval' && s.customStatus?.approvalId === approval.id,
      30_000,
      'the approval wait',
    );
    expect(waiting.runtimeStatus).toBe('Running');
    expect(defOf('train-ok')).toEqual(TRAIN_V1);
    const notice = await eventually(
      async () => receiver.notices.find((n) => n.event === 'approval.requested' && n.correlationId === approval.id),
      (n) => n !== undefined,
      30_000,
      'the approval notice',
    );
    // Shared channels say where to decide; decision links only go to each approver through a direct channel.
    expect(notice!.actions.map((a) => a.label)).toEqual(['Open the approval']);
    expect(notice!.actions.every((a) => a.url.endsWith(`/api/approvals/${encodeURIComponent(approval.id)}`))).toBe(
      true,
    );

    const d = await asUser('alice', 'POST', `/api/approvals/${encodeURIComponent(approval.id)}/decision`, {
      decision: 'approve',
      comment: 'go',
    });
    expect(d.status).toBe(200);
    const done = await t.waitFor(id, isDone, 60_000, 'the approved release');
    expect(done.output).toMatchObject({
      outcome: 'DEPLOYED',
      approval: {
        status: 'approved',
        approvalId: approval.id,
        votes: [{ approver: USERS.alice, verdict: 'approve', comment: 'go' }],
      },
    });
    expect(defOf('train-ok')).toEqual(TRAIN_V2);
    const run = await t.api('GET', `/api/runs/${encodeURIComponent(id)}`);
    expect(run.json.timeline.find((e: any) => e.kind === 'release.definition')).toMatchObject({
      status: 'updated',
      data: { name: 'train-ok', changed: true },
    });
    const outcome = run.json.timeline.find((e: any) => e.kind === 'release.outcome');
    expect(outcome.status).toBe('DEPLOYED');
    expect(outcome.title).toContain('approval approved');
  }, 120_000);

  it('a rejected release changes nothing and is recorded as rejected, with who rejected it and why', async () => {
    const commit = 'b2'.repeat(20);
    const id = await startRelease('acme/gated-no', commit);
    const approval = await pendingFor('acme/gated-no', commit);
    const d = await asUser('bob', 'POST', `/api/approvals/${encodeURIComponent(approval.id)}/decision`, {
      decision: 'reject',
      comment: 'freeze week',
    });
    expect(d.status).toBe(200);
    const done = await t.waitFor(id, isDone, 60_000, 'the rejected release');
    expect(done.output).toMatchObject({
      outcome: 'REJECTED',
      changes: [],
      approval: { status: 'rejected', votes: [{ approver: USERS.bob, verdict: 'reject', comment: 'freeze week' }] },
    });
    expect(defOf('train-no')).toEqual(TRAIN_V1);
    const stored = await asUser('alice', 'GET', `/api/approvals/${encodeURIComponent(approval.id)}`);
    expect(stored.json.approval).toMatchObject({ status: 'rejected', kind: 'release-deployment' });
    const run = await t.api('GET', `/api/runs/${encodeURIComponent(id)}`);
    expect(run.json.timeline.some((e: any) => e.kind === 'release.definition')).toBe(false);
    expect(run.json.timeline.find((e: any) => e.kind === 'release.outcome')).toMatchObject({
      status: 'REJECTED',
      data: { approval: { status: 'rejected' } },
    });
    // A decision after the close is refused; the release stays rejected.
    expect(
      (
        await asUser('alice', 'POST', `/api/approvals/${encodeURIComponent(approval.id)}/decision`, {
          decision: 'approve',
        })
      ).status,
    ).toBe(409);
  }, 120_000);

  it('an unanswered release escalates on the policy schedule, then expires at the deadline with nothing changed', async () => {
    const commit = 'c3'.repeat(20);
    const id = await startRelease('acme/gated-late', commit);
    const approval = await pendingFor('acme/gated-late', commit);
    const notices = () => receiver.notices.filter((n) => n.correlationId === approval.id).map((n) => n.event);
    // The timers' instants come from the stored request's createdAt, so a timer armed after the advance fires at once.
    // An hour on: escalated, not expired.
    await advanceClock(t.host, 3_600_000);
    await eventually(
      async () => notices(),
      (n) => n.includes('approval.escalated'),
      30_000,
      'the escalation notice',
    );
    expect((await t.status(id)).runtimeStatus).toBe('Running');
    await advanceClock(t.host, 3_600_000);
    const done = await t.waitFor(id, isDone, 60_000, 'the expired release');
    expect(done.output).toMatchObject({
      outcome: 'REJECTED',
      changes: [],
      approval: { status: 'expired', approvalId: approval.id },
    });
    expect(existsSync(def('train-late'))).toBe(false);
    expect(receiver.notices.filter((n) => n.correlationId === approval.id).map((n) => n.event)).toEqual([
      'approval.requested',
      'approval.escalated',
    ]);
  }, 120_000);
});
