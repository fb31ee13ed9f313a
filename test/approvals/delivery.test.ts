/**
 * Issue #12 from the attacker's side, through the real local host: who can vote, with what, and how many times.
 * - Shared notices carry no decision link; each approver gets only their own links through the direct channel.
 * - The author comes from the registry's user_id or the run's mlflow.user tag (open-source MLflow fills only the
 *   tag), so excludeAuthor holds; an unknown author costs one more approval, or blocks when the policy says so.
 * - A re-run of the same business key after a purge waits for a new decision (approval ids per execution).
 * Requires a build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../shared/adapters/notify';
import { getPromotionRecord } from '../../shared/promotion/records';
import type { PromotionRecord } from '../../shared/promotion/types';
import { type JsonServer, type RecordedRequest, startJsonServer } from '../fakes';
import { durableHeaders, type HostProcess } from '../helpers/host';
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

const DM_SECRET = 'dm-secret-for-tests-0123456789';
const approvers = { users: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com'] };

let dm: JsonServer;
let env: Env;
let host: HostProcess;

function policy(hook: string) {
  return {
    version: 1,
    channels: {
      hook: { type: 'webhook', url: hook },
      dm: { type: 'direct-webhook', url: `${dm.url}/dm`, secretSetting: 'DM_SECRET' },
    },
    defaults: { notify: ['hook'], approval: { approvers, minApprovals: 1, excludeAuthor: true, deadline: '5m' } },
    models: {
      'links-m': { approval: { linkChannel: 'dm' } },
      'unknown-m': {},
      'blocked-m': { approval: { unknownAuthor: 'block' } },
      'purge-m': {},
    },
  };
}

beforeAll(async () => {
  dm = await startJsonServer((method) => (method === 'POST' ? () => ({}) : undefined));
  env = await startEnv(policy);
  env.hostEnv['DM_SECRET'] = DM_SECRET;
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
  await dm?.close();
});

const record = async (model: string, instanceId: string) =>
  (await getPromotionRecord(model, instanceId, env.hostEnv)) as PromotionRecord;
const view = async (approvalId: string) =>
  (await api(host, 'GET', `/api/approvals/${approvalId}`, 'bob@contoso.com')).json['approval'] as Record<
    string,
    unknown
  >;
/** The approver a one-click link is for (the token's signed claims name one approver). */
const linkOwner = (url: string) =>
  (
    JSON.parse(Buffer.from(new URL(url).searchParams.get('t')!.split('.')[0]!, 'base64url').toString('utf8')) as {
      u: string;
    }
  ).u;
const dmsFor = (approvalId: string) =>
  dm.requests.filter((r: RecordedRequest) => (r.body as { approvalId?: string }).approvalId === approvalId);

describe('approval links and author provenance (issue #12)', () => {
  it("shared notices carry no link; each approver gets a signed message with only their own links; the run's mlflow.user is the excluded author", async () => {
    // Open-source MLflow: no user_id on the version, the registrant is only in the run's mlflow.user tag.
    env.mlflow.seedVersion('links-m', {
      version: '1',
      runId: env.mlflow.seedRun({ tags: { 'mlflow.user': 'alice@contoso.com' } }).run_id,
    });
    const id = await startPromotion(host, 'links-m', '1');
    const a = await pendingApproval(host, 'links-m');
    const approvalId = String(a['id']);
    expect(a).toMatchObject({ author: 'alice@contoso.com', authorSource: 'run-mlflow-user', linkChannel: 'dm' });

    const shared = await until('the shared request notice', async () =>
      env.receiver.notices.find((n) => n.event === 'approval.requested' && n.correlationId === approvalId),
    );
    expect(JSON.stringify(shared)).not.toMatch(/\/link\?t=/);
    expect(shared.actions.some((x) => x.url.endsWith(`/api/approvals/${approvalId}`))).toBe(true);

    const sent = await until('a direct message per eligible approver', async () =>
      dmsFor(approvalId).length >= 2 ? dmsFor(approvalId) : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(dmsFor(approvalId)).toHaveLength(2);
    const byRecipient = new Map<string, { approve: string; reject: string }>();
    for (const req of sent) {
      const body = req.body as { recipient: string; links: { approve: string; reject: string } };
      expect(
        verifyWebhookSignature(
          DM_SECRET,
          req.headers['x-stagecraft-timestamp']!,
          req.raw,
          req.headers['x-stagecraft-signature']!,
        ),
      ).toBe(true);
      expect([linkOwner(body.links.approve), linkOwner(body.links.reject)]).toEqual([body.recipient, body.recipient]);
      byRecipient.set(body.recipient, body.links);
    }
    // The author (alice, from mlflow.user) gets no link and cannot approve.
    expect([...byRecipient.keys()].sort()).toEqual(['bob@contoso.com', 'carol@contoso.com']);
    expect(await decide(host, approvalId, 'alice@contoso.com', 'approve')).toMatchObject({
      status: 403,
      json: { error: { code: 'AUTHOR_EXCLUDED' } },
    });

    const link = new URL(byRecipient.get('bob@contoso.com')!.approve);
    const post = await fetch(`${host.baseUrl}${link.pathname}${link.search}`, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'x-functions-key': KEYS['bob@contoso.com'],
      },
      body: 'comment=from+my+own+link',
    });
    expect(post.status).toBe(200);
    await finished(host, id);
    expect(await record('links-m', id)).toMatchObject({
      outcome: 'promoted',
      author: 'alice@contoso.com',
      authorSource: 'run-mlflow-user',
      approval: { votes: [{ approver: 'bob@contoso.com' }] },
    });
  }, 120_000);

  it('without a link channel no links go anywhere: approvers decide through the API', async () => {
    env.mlflow.seedVersion('purge-m', {
      version: '1',
      userId: 'dave@contoso.com',
      runId: env.mlflow.seedRun({}).run_id,
    });
    const id = await startPromotion(host, 'purge-m', '1');
    const a = await pendingApproval(host, 'purge-m');
    const approvalId = String(a['id']);
    const shared = await until('the shared request notice', async () =>
      env.receiver.notices.find((n) => n.event === 'approval.requested' && n.correlationId === approvalId),
    );
    expect(JSON.stringify(shared)).not.toMatch(/\/link\?t=/);
    expect(dmsFor(approvalId)).toHaveLength(0);
    expect(a).toMatchObject({ authorSource: 'registry-user-id', author: 'dave@contoso.com' });
    expect(await decide(host, approvalId, 'bob@contoso.com', 'approve')).toMatchObject({ status: 200 });
    await finished(host, id);
    expect(await record('purge-m', id)).toMatchObject({ outcome: 'promoted', approval: { approvalId } });

    // Purge the approved instance and run the same business key again: the old decision does not carry over.
    const purged = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: durableHeaders(host.baseUrl),
    });
    expect(purged.status).toBe(200);
    expect((await status(host, id)).runtimeStatus).toBe('NotFound');
    expect(await startPromotion(host, 'purge-m', '1')).toBe(id);
    const waiting = await atStep(host, id, 'approval', ['approvalId']);
    const again = String(waiting.customStatus?.['approvalId']);
    expect(again).not.toBe(approvalId);
    expect(await view(again)).toMatchObject({ status: 'pending', votes: [] });
    expect(await view(approvalId)).toMatchObject({ status: 'approved' });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await status(host, id)).runtimeStatus).toBe('Running');
    expect(await decide(host, again, 'carol@contoso.com', 'approve')).toMatchObject({ status: 200 });
    await finished(host, id);
    expect(await record('purge-m', id)).toMatchObject({
      outcome: 'promoted',
      approval: { approvalId: again, votes: [{ approver: 'carol@contoso.com' }] },
    });
  }, 180_000);

  it('unknown author (no user_id, no mlflow.user): one more approval is required, and the request says so', async () => {
    env.mlflow.seedVersion('unknown-m', { version: '1', runId: env.mlflow.seedRun({}).run_id });
    const id = await startPromotion(host, 'unknown-m', '1');
    const a = await pendingApproval(host, 'unknown-m');
    const approvalId = String(a['id']);
    expect(a).toMatchObject({ authorSource: 'unknown', minApprovals: 2 });
    expect(String(a['authorNote'])).toContain('author unknown: 2 approvals required instead of 1');
    const shared = await until('the shared request notice', async () =>
      env.receiver.notices.find((n) => n.event === 'approval.requested' && n.correlationId === approvalId),
    );
    expect(shared.facts).toEqual(
      expect.arrayContaining([
        { name: 'author', value: 'unknown' },
        { name: 'needed', value: '2' },
      ]),
    );
    expect(await decide(host, approvalId, 'alice@contoso.com', 'approve')).toMatchObject({
      status: 200,
      json: { approval: { status: 'pending' } },
    });
    expect(await decide(host, approvalId, 'bob@contoso.com', 'approve')).toMatchObject({
      status: 200,
      json: { approval: { status: 'approved' } },
    });
    await finished(host, id);
    expect(await record('unknown-m', id)).toMatchObject({
      outcome: 'promoted',
      authorSource: 'unknown',
      approval: { minApprovals: 2, authorSource: 'unknown' },
    });
  }, 120_000);

  it('unknown author with unknownAuthor: block fails the promotion with the reason, before any alias moves or request', async () => {
    env.mlflow.seedVersion('blocked-m', { version: '1', runId: env.mlflow.seedRun({}).run_id });
    const id = await startPromotion(host, 'blocked-m', '1');
    await finished(host, id);
    const r = await record('blocked-m', id);
    expect(r).toMatchObject({ outcome: 'blocked', authorSource: 'unknown' });
    expect(r.reason).toContain('UNKNOWN_AUTHOR');
    expect(r.approval).toBeUndefined();
    expect(Object.fromEntries(env.mlflow.state.models.get('blocked-m')!.aliases)).toEqual({});
    expect((await api(host, 'GET', '/api/approvals?model=blocked-m', 'bob@contoso.com')).json['approvals']).toEqual([]);
  }, 120_000);
});
