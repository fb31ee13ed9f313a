/**
 * The approval step of modelPromotion through the real local host: decisions over the HTTP API and signed links
 * (delivered to each approver alone through the direct link channel), refusals, the deadline, escalation, a decision
 * made before the orchestrator waits, and concurrent decisions.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock } from '../../devhost/test/helpers/clock';
import type { HostProcess } from '../helpers/host';
import { getPromotionRecord } from '../../shared/promotion/records';
import type { PromotionRecord } from '../../shared/promotion/types';
import {
  api,
  atStep,
  decide,
  finished,
  KEYS,
  pendingApproval,
  startEnv,
  startHost,
  startPromotion,
  status,
  stopEnv,
  until,
  type Env,
} from '../promotion/harness';

function policy(hook: string) {
  return {
    version: 1,
    // Links go only through the direct channel (here to the same receiver), one message per approver.
    channels: {
      hook: { type: 'webhook', url: hook },
      dm: { type: 'direct-webhook', url: hook, secretSetting: 'DM_SECRET' },
    },
    defaults: {
      notify: ['hook'],
      approval: {
        approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] },
        minApprovals: 1,
        excludeAuthor: true,
        deadline: '5m',
        linkChannel: 'dm',
      },
    },
    models: {
      'reject-m': {},
      'author-m': {},
      'concurrent-m': {},
      'early-m': {},
      'link-m': {},
      'manual-m': { approval: { excludeTrigger: true } },
      // A realistic deadline, reached on the host's test clock (the test advances it).
      'deadline-m': { approval: { deadline: '2h' } },
      // A realistic escalation, fired on the host's test clock. Its delay must exceed the clock skew the tests before
      // it leave (the deadline test moves 2 h), or the step would fire as soon as the request exists.
      'escalate-m': {
        approval: {
          approvers: { users: ['alice@contoso.com'] },
          escalation: [{ after: '1d', addApprovers: { users: ['carol@contoso.com'] }, notify: ['hook'] }],
          deadline: '2d',
        },
      },
    },
  };
}

let env: Env;
let host: HostProcess;

beforeAll(async () => {
  env = await startEnv(policy);
  env.hostEnv['DM_SECRET'] = 'dm-secret-for-tests-0123456789';
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
});

const record = async (model: string, instanceId: string) =>
  (await getPromotionRecord(model, instanceId, env.hostEnv)) as PromotionRecord;
const aliases = (model: string) => Object.fromEntries(env.mlflow.state.models.get(model)!.aliases);
/** The direct message (own links) sent to `recipient` for an approval event. */
const directFor = (approvalId: unknown, event: string, recipient: string) =>
  env.receiver.notices.find((n) => {
    const d = n as unknown as { approvalId?: string; recipient?: string };
    return n.event === event && d.approvalId === approvalId && d.recipient === recipient;
  }) as unknown as { links: { approve: string; reject: string } } | undefined;
const seed = (model: string, author = 'dave@contoso.com') =>
  env.mlflow.seedVersion(model, { version: '1', userId: author, runId: env.mlflow.seedRun({}).run_id });

describe('promotion approval', () => {
  it('reject: the request closes rejected, nothing is promoted, the challenger stays and the decision is notified', async () => {
    seed('reject-m');
    const id = await startPromotion(host, 'reject-m', '1');
    const a = await pendingApproval(host, 'reject-m');
    const d = await decide(host, String(a['id']), 'bob@contoso.com', 'reject', 'not convinced');
    expect(d).toMatchObject({ status: 200, json: { accepted: true, approval: { status: 'rejected' } } });
    await finished(host, id);
    const r = await record('reject-m', id);
    expect(r).toMatchObject({
      outcome: 'rejected',
      approval: {
        status: 'rejected',
        votes: [{ approver: 'bob@contoso.com', verdict: 'reject', comment: 'not convinced' }],
      },
    });
    expect(aliases('reject-m')).toEqual({ challenger: '1' });
    expect(env.receiver.notices.some((n) => n.event === 'approval.decided' && n.correlationId === id)).toBe(true);
  }, 120_000);

  it("refuses the model's author and a non-approver with a clear recorded message, then takes a valid approval", async () => {
    seed('author-m', 'alice@contoso.com');
    const id = await startPromotion(host, 'author-m', '1');
    const a = await pendingApproval(host, 'author-m');
    const byAuthor = await decide(host, String(a['id']), 'alice@contoso.com', 'approve');
    expect(byAuthor).toMatchObject({ status: 403, json: { accepted: false, error: { code: 'AUTHOR_EXCLUDED' } } });
    expect(JSON.stringify(byAuthor.json)).toContain('registered this model version and may not approve it');
    const byStranger = await decide(host, String(a['id']), 'dave@contoso.com', 'approve');
    expect(byStranger).toMatchObject({ status: 403, json: { error: { code: 'NOT_AN_APPROVER' } } });
    const anonymous = await api(host, 'POST', `/api/approvals/${String(a['id'])}/decision`, undefined, {
      decision: 'approve',
    });
    expect(anonymous.status).toBe(401);
    const badBody = await api(host, 'POST', `/api/approvals/${String(a['id'])}/decision`, 'bob@contoso.com', {
      decision: 'maybe',
    });
    expect(badBody).toMatchObject({ status: 400, json: { error: { code: 'APPROVAL_BODY_INVALID' } } });
    const detail = await api(host, 'GET', `/api/approvals/${String(a['id'])}`, 'bob@contoso.com');
    expect((detail.json['attempts'] as Array<{ code: string; actor: string }>).map((x) => [x.actor, x.code])).toEqual(
      expect.arrayContaining([
        ['alice@contoso.com', 'AUTHOR_EXCLUDED'],
        ['dave@contoso.com', 'NOT_AN_APPROVER'],
      ]),
    );
    expect(await decide(host, String(a['id']), 'bob@contoso.com', 'approve')).toMatchObject({ status: 200 });
    await finished(host, id);
    const r = await record('author-m', id);
    expect(r).toMatchObject({ outcome: 'promoted', approval: { votes: [{ approver: 'bob@contoso.com' }] } });
    expect(aliases('author-m')).toEqual({ champion: '1' });
  }, 120_000);

  it('early decision: a decision stored before the orchestrator starts waiting is not lost', async () => {
    seed('early-m');
    const hold = env.receiver.hold('approval.requested');
    const id = await startPromotion(host, 'early-m', '1');
    await hold.seen;
    // The request is stored; the orchestrator is still inside the activity that notifies, so nobody waits yet.
    const a = await pendingApproval(host, 'early-m');
    expect((await atStep(host, id, 'approval')).customStatus?.['approvalId']).toBeUndefined();
    expect(await decide(host, String(a['id']), 'bob@contoso.com', 'approve')).toMatchObject({
      status: 200,
      json: { approval: { status: 'approved' } },
    });
    hold.release();
    await finished(host, id);
    expect(await record('early-m', id)).toMatchObject({
      outcome: 'promoted',
      approval: { status: 'approved', votes: [{ approver: 'bob@contoso.com' }] },
    });
  }, 120_000);

  it('concurrent decisions: two approvers at once give one accepted decision and one refusal, and the outcome follows the accepted one', async () => {
    seed('concurrent-m');
    const id = await startPromotion(host, 'concurrent-m', '1');
    const a = await pendingApproval(host, 'concurrent-m');
    const [x, y] = await Promise.all([
      decide(host, String(a['id']), 'alice@contoso.com', 'approve'),
      decide(host, String(a['id']), 'bob@contoso.com', 'reject'),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const winner = x.status === 200 ? 'approve' : 'reject';
    await finished(host, id);
    const r = await record('concurrent-m', id);
    expect(r.approval?.votes).toHaveLength(1);
    expect(r.approval?.votes[0]?.verdict).toBe(winner);
    expect(r.outcome).toBe(winner === 'approve' ? 'promoted' : 'rejected');
  }, 120_000);

  it('one-click link: only its approver, signed in, may follow it; GET only shows a confirmation, POST decides once, a second use is refused', async () => {
    seed('link-m');
    const id = await startPromotion(host, 'link-m', '1');
    const a = await pendingApproval(host, 'link-m');
    const link = (
      await until("bob's own links", async () => directFor(a['id'], 'approval.requested', 'bob@contoso.com'))
    ).links.approve;
    const path = new URL(link);
    const url = `${host.baseUrl}${path.pathname}${path.search}`;
    const as = (user: keyof typeof KEYS, extra: Record<string, string> = {}) => ({
      'x-stagecraft-key': KEYS[user],
      ...extra,
    });
    // the link alone is no credential
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { accept: 'application/json' } })).status).toBe(401);
    const page = await fetch(url, { headers: as('bob@contoso.com') });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Approve as bob@contoso.com');
    expect(
      (await api(host, 'GET', `/api/approvals/${String(a['id'])}`, 'bob@contoso.com')).json['approval'],
    ).toMatchObject({ status: 'pending' });
    const post = await fetch(url, {
      method: 'POST',
      headers: as('bob@contoso.com', {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      }),
      body: 'comment=via+link',
    });
    expect(post.status).toBe(200);
    const again = await fetch(url, { method: 'POST', headers: as('bob@contoso.com', { accept: 'application/json' }) });
    expect(again.status).toBe(410);
    const tampered = await fetch(
      url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      { method: 'POST', headers: as('bob@contoso.com', { accept: 'application/json' }) },
    );
    expect([401, 410]).toContain(tampered.status);
    await finished(host, id);
    expect(await record('link-m', id)).toMatchObject({
      outcome: 'promoted',
      approval: { votes: [{ approver: 'bob@contoso.com', comment: 'via link' }] },
    });
  }, 120_000);

  it('a manual promote request runs the same workflow, and the person who requested it may not approve it (excludeTrigger)', async () => {
    seed('manual-m');
    const res = await api(host, 'POST', '/api/models/manual-m/versions/1/promote', 'alice@contoso.com', {
      reason: 'hotfix',
      requestId: 'req-7',
    });
    expect(res).toMatchObject({ status: 202, json: { started: true } });
    const id = String(res.json['instanceId']);
    expect(res.json['statusUrl']).toBe(`/api/runs/${encodeURIComponent(id)}`);
    const a = await pendingApproval(host, 'manual-m');
    expect(await decide(host, String(a['id']), 'alice@contoso.com', 'approve')).toMatchObject({
      status: 403,
      json: { error: { code: 'TRIGGER_EXCLUDED' } },
    });
    expect(await decide(host, String(a['id']), 'bob@contoso.com', 'approve')).toMatchObject({ status: 200 });
    await finished(host, id);
    expect(await record('manual-m', id)).toMatchObject({
      outcome: 'promoted',
      trigger: { kind: 'promote-requested', triggeredBy: 'alice@contoso.com', requestId: 'req-7', reason: 'hotfix' },
    });
    const again = await api(host, 'POST', '/api/models/manual-m/versions/1/promote', 'alice@contoso.com', {
      requestId: 'req-7',
    });
    expect(again).toMatchObject({ status: 202, json: { instanceId: id, started: false } });
    expect((await api(host, 'POST', '/api/models/manual-m/versions/x/promote', 'alice@contoso.com', {})).status).toBe(
      400,
    );
  }, 120_000);

  // Tests that move the host's test clock come last: the app's own clock reads (an approval's createdAt, decision
  // times) stay on wall-clock time, so after an advance the durable timers of newer requests would be due at once.
  // After the deadline test the clock is 2 h ahead; the escalation test's 1-day step is still in the future.
  it('deadline reached: the request expires, the promotion ends expired, and a late decision is refused', async () => {
    seed('deadline-m');
    const id = await startPromotion(host, 'deadline-m', '1');
    const a = await pendingApproval(host, 'deadline-m');
    // The deadline instant comes from the stored request's createdAt, so advancing now passes it wherever the timer is.
    // Nothing expires early: an hour on, the request is still pending and the instance still waits.
    await advanceClock(host, 3_600_000);
    expect((await status(host, id)).runtimeStatus).toBe('Running');
    expect(
      (await api(host, 'GET', `/api/approvals/${String(a['id'])}`, 'bob@contoso.com')).json['approval'],
    ).toMatchObject({ status: 'pending' });
    await advanceClock(host, 3_600_000);
    const done = await finished(host, id, 60_000);
    expect(done.customStatus).toMatchObject({ outcome: 'expired' });
    const r = await record('deadline-m', id);
    expect(r).toMatchObject({ outcome: 'expired', approval: { status: 'expired', reason: 'deadline', votes: [] } });
    const late = await decide(host, String(a['id']), 'bob@contoso.com', 'approve');
    expect(late.status).toBe(409);
    expect(['REQUEST_CLOSED', 'DEADLINE_PASSED']).toContain((late.json['error'] as { code: string }).code);
  }, 120_000);

  // The app decides who may vote from its own (wall) clock AND from the steps the orchestration fired on the host's
  // clock: carol is accepted once the step fired, although by wall-clock time its day has not passed.
  it('escalation fired: the added approver is refused before the step and accepted after it, and is notified with a link', async () => {
    seed('escalate-m');
    const id = await startPromotion(host, 'escalate-m', '1');
    const a = await pendingApproval(host, 'escalate-m');
    const early = await decide(host, String(a['id']), 'carol@contoso.com', 'approve');
    expect(early).toMatchObject({ status: 403, json: { error: { code: 'NOT_AN_APPROVER' } } });
    expect(env.receiver.notices.some((n) => n.event === 'approval.escalated' && n.correlationId === a['id'])).toBe(
      false,
    );
    // A day on the host's clock: the escalation timer fires (the request was created at wall-clock time, at most the
    // earlier tests' skew behind the host's clock, so one day past its creation is reached wherever that skew is).
    await advanceClock(host, 86_400_000);
    const notice = await until('the escalation notice', async () =>
      env.receiver.notices.find((n) => n.event === 'approval.escalated' && n.correlationId === a['id']),
    );
    expect(JSON.stringify(notice)).not.toMatch(/\/link\?t=/);
    const own = await until("carol's own links", async () =>
      directFor(a['id'], 'approval.escalated', 'carol@contoso.com'),
    );
    expect(own.links.approve).toMatch(/\/link\?t=/);
    expect(await decide(host, String(a['id']), 'carol@contoso.com', 'approve')).toMatchObject({ status: 200 });
    await finished(host, id);
    const r = await record('escalate-m', id);
    expect(r).toMatchObject({
      outcome: 'promoted',
      approval: { escalations: [0], votes: [{ approver: 'carol@contoso.com' }] },
    });
  }, 120_000);
});
