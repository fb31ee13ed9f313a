import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors';
import {
  type DirectMessageInput,
  type NotifyMessageInput,
  notifyAll,
  resolveChannel,
  resolveDirectChannel,
  sendDirect,
  sendNotification,
  verifyWebhookSignature,
} from '../../shared/adapters/notify';
import {
  type FakeAcsEmail,
  type FakeSlack,
  type JsonServer,
  type RecordedRequest,
  startFakeAcsEmail,
  startFakeSlack,
  startJsonServer,
} from '../fakes';

let capture: JsonServer;
let got: RecordedRequest[];

const message: NotifyMessageInput = {
  event: 'approval.requested',
  title: 'Approve breast-cancer-classifier v3?',
  text: 'All blocking checks passed <b>AUC +0.4%</b> & no regressions.',
  severity: 'info',
  facts: [
    { name: 'Model', value: 'breast-cancer-classifier' },
    { name: 'Version', value: '3' },
  ],
  actions: [{ label: 'Approve', url: 'https://stagecraft.example/api/approvals/a1/decision?sig=SIGNED-LINK-TOKEN' }],
  correlationId: 'promote:bc:3',
};

beforeAll(async () => {
  capture = await startJsonServer((method, path) =>
    method === 'POST' && path !== '/fail'
      ? (r) => {
          got.push(r);
          return {};
        }
      : undefined,
  );
});
afterAll(async () => {
  await capture.close();
});
beforeEach(() => {
  got = [];
  capture.clearFailures();
  capture.setLatency(0);
});

describe('notification senders against a local capture server', () => {
  it('posts a generic webhook with an HMAC signature over timestamp and raw body', async () => {
    const ch = resolveChannel(
      'ops',
      { type: 'webhook', urlSetting: 'HOOK_URL', secretSetting: 'HOOK_SECRET', headers: { 'X-Team': 'ml' } },
      { HOOK_URL: `${capture.url}/hook`, HOOK_SECRET: 'k3y' },
    );
    const r = await sendNotification(ch, message, { now: () => Date.parse('2026-05-14T09:00:00Z') });
    expect(r).toEqual({ channel: 'ops', ok: true, status: 200, retryable: false });
    const req = got[0]!;
    expect(req.body).toMatchObject({
      schema: 'stagecraft.notification.v1',
      event: 'approval.requested',
      sentAt: '2026-05-14T09:00:00.000Z',
      facts: message.facts,
    });
    expect(req.headers['x-team']).toBe('ml');
    expect(req.headers['x-stagecraft-timestamp']).toBe(String(Date.parse('2026-05-14T09:00:00Z') / 1000));
    expect(
      verifyWebhookSignature(
        'k3y',
        req.headers['x-stagecraft-timestamp']!,
        req.raw,
        req.headers['x-stagecraft-signature']!,
      ),
    ).toBe(true);
    expect(
      verifyWebhookSignature(
        'wrong',
        req.headers['x-stagecraft-timestamp']!,
        req.raw,
        req.headers['x-stagecraft-signature']!,
      ),
    ).toBe(false);
  });

  it('sends no signature header without a secret', async () => {
    await sendNotification({ name: 'plain', type: 'webhook', url: `${capture.url}/plain` }, message);
    expect(got[0]?.headers['x-stagecraft-signature']).toBeUndefined();
  });

  it('renders a Teams Adaptive Card with facts and an Open URL action', async () => {
    await sendNotification(
      { name: 'teams', type: 'teams', format: 'adaptive-card', url: `${capture.url}/teams` },
      message,
    );
    const card = got[0]?.body as {
      type: string;
      attachments: { contentType: string; content: { type: string; body: { type: string }[]; actions: unknown[] } }[];
    };
    expect(card.type).toBe('message');
    expect(card.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0]?.content.body.map((b) => b.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet']);
    expect(card.attachments[0]?.content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Approve', url: message.actions![0]!.url },
    ]);
  });

  it('renders a Teams MessageCard with sections and OpenUri actions', async () => {
    await sendNotification(
      { name: 'teams-legacy', type: 'teams', format: 'message-card', url: `${capture.url}/teams` },
      { ...message, severity: 'error' },
    );
    expect(got[0]?.body).toMatchObject({
      '@type': 'MessageCard',
      themeColor: 'E01E5A',
      title: message.title,
      sections: [
        {
          facts: [
            { name: 'Model', value: 'breast-cancer-classifier' },
            { name: 'Version', value: '3' },
          ],
        },
      ],
      potentialAction: [
        { '@type': 'OpenUri', name: 'Approve', targets: [{ os: 'default', uri: message.actions![0]!.url }] },
      ],
    });
  });

  it('renders Slack blocks with escaped mrkdwn, fields and buttons, and a fallback text', async () => {
    await sendNotification({ name: 'slack', type: 'slack', url: `${capture.url}/slack` }, message);
    const body = got[0]?.body as {
      text: string;
      blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { url: string }[] }[];
    };
    expect(body.text).toContain(message.title);
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(body.blocks[1]?.text?.text).toBe(
      'All blocking checks passed &lt;b&gt;AUC +0.4%&lt;/b&gt; &amp; no regressions.',
    );
    expect(body.blocks[2]?.fields?.[0]?.text).toBe('*Model*\nbreast-cancer-classifier');
    expect(body.blocks[3]?.elements?.[0]?.url).toBe(message.actions![0]!.url);
  });

  it('skips a channel whose events filter excludes the event', async () => {
    expect(
      await sendNotification(
        { name: 'f', type: 'slack', url: `${capture.url}/s`, events: ['model.promoted'] },
        message,
      ),
    ).toMatchObject({ ok: true, skipped: true });
    expect(got).toHaveLength(0);
  });

  it('returns retryable results for 5xx and timeouts, final for 4xx, and never puts URLs or links in results or logs', async () => {
    const logs: unknown[] = [];
    const secretUrl = `${capture.url}/hooks/T000/B000/SECRETPART`;
    capture.injectFailure({ status: 503 });
    expect(
      await sendNotification({ name: 'a', type: 'slack', url: secretUrl }, message, { log: (e) => logs.push(e) }),
    ).toMatchObject({ ok: false, status: 503, retryable: true });
    capture.injectFailure({ status: 404 });
    expect(
      await sendNotification({ name: 'b', type: 'slack', url: secretUrl }, message, { log: (e) => logs.push(e) }),
    ).toMatchObject({ ok: false, status: 404, retryable: false });
    capture.setLatency(300);
    const slow = await sendNotification({ name: 'c', type: 'slack', url: secretUrl }, message, {
      timeoutMs: 30,
      log: (e) => logs.push(e),
    });
    expect(slow).toMatchObject({ ok: false, retryable: true, error: 'no answer within 30 ms' });
    const text = JSON.stringify([logs, slow]);
    expect(text).not.toMatch(/SECRETPART|SIGNED-LINK-TOKEN/);
  });

  it('sends to several channels and reports each, one failure not stopping the others', async () => {
    const results = await notifyAll(
      [
        { name: 'ok', type: 'slack', url: `${capture.url}/slack` },
        { name: 'down', type: 'webhook', url: 'http://127.0.0.1:1/unreachable' },
        { name: 'teams', type: 'teams', format: 'adaptive-card', url: `${capture.url}/teams` },
      ],
      message,
    );
    expect(results.map((r) => [r.channel, r.ok])).toEqual([
      ['ok', true],
      ['down', false],
      ['teams', true],
    ]);
    expect(results[1]?.retryable).toBe(true);
  });

  it('names a missing URL or secret setting in a ConfigError', () => {
    expect(() =>
      resolveChannel('teams', { type: 'teams', urlSetting: 'TEAMS_URL', format: 'adaptive-card' }, {}),
    ).toThrow(ConfigError);
    expect(() =>
      resolveChannel(
        'ops',
        { type: 'webhook', url: 'https://x.example/h', secretSetting: 'HOOK_SECRET', headers: {} },
        {},
      ),
    ).toThrow(/HOOK_SECRET is not set/);
  });

  it('refuses a message without a title or with a non-URL action at the boundary', async () => {
    await expect(
      sendNotification({ name: 'x', type: 'slack', url: `${capture.url}/s` }, { event: 'e', title: '' }),
    ).rejects.toThrow();
    await expect(
      sendNotification(
        { name: 'x', type: 'slack', url: `${capture.url}/s` },
        { event: 'e', title: 't', actions: [{ label: 'a', url: 'not a url' }] },
      ),
    ).rejects.toThrow();
  });
});

describe('direct (per-recipient) channels: each approver gets only their own links', () => {
  const direct = (recipient: string): DirectMessageInput => ({
    recipient,
    approvalId: 'apr-1',
    event: 'approval.requested',
    title: 'Approval needed: bc v3',
    text: 'All blocking checks passed',
    facts: [{ name: 'needed', value: '1' }],
    links: {
      approve: `https://stagecraft.example/api/approvals/apr-1/link?t=APPROVE-${recipient}`,
      reject: `https://stagecraft.example/api/approvals/apr-1/link?t=REJECT-${recipient}`,
      expiresAt: '2026-05-15T09:00:00.000Z',
    },
    detailsUrl: 'https://stagecraft.example/api/approvals/apr-1',
  });

  it('direct-webhook: one signed POST per recipient carrying { recipient, approvalId, links } of that recipient only', async () => {
    const ch = resolveDirectChannel(
      'dm',
      { type: 'direct-webhook', urlSetting: 'DM_URL', secretSetting: 'DM_SECRET', headers: {} },
      { DM_URL: `${capture.url}/dm`, DM_SECRET: 'dm-s3cret' },
    );
    const results = await Promise.all(['alice@contoso.com', 'bob@contoso.com'].map((r) => sendDirect(ch, direct(r))));
    expect(results.map((r) => [r.recipient, r.ok])).toEqual([
      ['alice@contoso.com', true],
      ['bob@contoso.com', true],
    ]);
    const dms = got.filter((r) => r.path === '/dm');
    expect(dms).toHaveLength(2);
    for (const req of dms) {
      const body = req.body as {
        schema: string;
        recipient: string;
        approvalId: string;
        links: { approve: string; reject: string };
      };
      expect(body).toMatchObject({ schema: 'stagecraft.direct.v1', approvalId: 'apr-1' });
      expect(body.links.approve).toContain(`APPROVE-${body.recipient}`);
      const other = body.recipient === 'alice@contoso.com' ? 'bob@contoso.com' : 'alice@contoso.com';
      expect(req.raw).not.toContain(other);
      expect(
        verifyWebhookSignature(
          'dm-s3cret',
          req.headers['x-stagecraft-timestamp']!,
          req.raw,
          req.headers['x-stagecraft-signature']!,
        ),
      ).toBe(true);
    }
  });

  it('direct-webhook: needs its secret; a shared channel is refused as a link channel and a direct one as a broadcast channel', () => {
    expect(() =>
      resolveDirectChannel(
        'dm',
        { type: 'direct-webhook', url: 'https://x.example/dm', secretSetting: 'DM_SECRET', headers: {} },
        {},
      ),
    ).toThrow(/DM_SECRET is not set/);
    expect(() =>
      resolveDirectChannel('hook', { type: 'webhook', url: 'https://x.example/h', headers: {} }, {}),
    ).toThrow(/shared channel/);
    expect(() =>
      resolveChannel(
        'dm',
        { type: 'direct-webhook', url: 'https://x.example/dm', secretSetting: 'DM_SECRET', headers: {} },
        { DM_SECRET: 'x' },
      ),
    ).toThrow(/direct channel/);
  });

  it('direct-webhook: 5xx is retryable, 4xx final, and results/logs never hold the URL or the links', async () => {
    const logs: unknown[] = [];
    const ch = resolveDirectChannel(
      'dm',
      { type: 'direct-webhook', url: `${capture.url}/dm/SECRETPATH`, secretSetting: 'S', headers: {} },
      { S: 'k' },
    );
    capture.injectFailure({ path: '/dm/SECRETPATH', status: 502 });
    const a = await sendDirect(ch, direct('alice@contoso.com'), { log: (e) => logs.push(e) });
    expect(a).toMatchObject({ ok: false, status: 502, retryable: true });
    capture.injectFailure({ path: '/dm/SECRETPATH', status: 403 });
    expect(await sendDirect(ch, direct('alice@contoso.com'))).toMatchObject({
      ok: false,
      status: 403,
      retryable: false,
    });
    expect(JSON.stringify([logs, a])).not.toMatch(/SECRETPATH|APPROVE-|REJECT-/);
  });
});

describe('slack-dm against a fake of the documented Slack Web API', () => {
  const TOKEN = 'xoxb-test-token-0123456789';
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack({
      token: TOKEN,
      users: { 'alice@contoso.com': 'U0ALICE', 'bob@contoso.com': 'U0BOB' },
    });
  });
  afterAll(async () => {
    await slack.close();
  });

  const def = (over: Record<string, unknown> = {}) => ({
    type: 'slack-dm' as const,
    tokenSetting: 'SLACK_BOT_TOKEN',
    apiUrl: `${slack.url}/api`,
    users: {},
    lookupByEmail: true,
    ...over,
  });
  const msg = (recipient: string): DirectMessageInput => ({
    recipient,
    approvalId: 'apr-2',
    event: 'approval.requested',
    title: 'Approval needed: bc v4',
    links: {
      approve: `https://stagecraft.example/a?t=APPROVE-${recipient}`,
      reject: `https://stagecraft.example/a?t=REJECT-${recipient}`,
      expiresAt: '2026-05-15T09:00:00.000Z',
    },
  });

  it('DMs each approver (user id from the map, else users.lookupByEmail) with their own approve/reject buttons and a bearer token', async () => {
    const ch = resolveDirectChannel('dm', def({ users: { 'Alice@Contoso.com': 'U0ALICE' } }), {
      SLACK_BOT_TOKEN: TOKEN,
    });
    const [a, b] = await Promise.all([
      sendDirect(ch, msg('alice@contoso.com')),
      sendDirect(ch, msg('bob@contoso.com')),
    ]);
    expect(a).toMatchObject({ ok: true, status: 200, recipient: 'alice@contoso.com' });
    expect(b).toMatchObject({ ok: true, status: 200, recipient: 'bob@contoso.com' });
    const lookups = slack.requests.filter((r) => r.path === '/api/users.lookupByEmail');
    expect(lookups.map((r) => r.query.email)).toEqual(['bob@contoso.com']);
    const posts = slack.requests.filter((r) => r.path === '/api/chat.postMessage');
    expect(
      posts.every(
        (r) =>
          r.headers.authorization === `Bearer ${TOKEN}` && r.headers['content-type']?.startsWith('application/json'),
      ),
    ).toBe(true);
    const alice = JSON.stringify(slack.dms.get('U0ALICE'));
    expect(alice).toContain('APPROVE-alice@contoso.com');
    expect(alice).not.toContain('bob@contoso.com');
    expect(JSON.stringify(slack.dms.get('U0BOB'))).not.toContain('alice@contoso.com');
  });

  it("reports Slack's ok:false errors (invalid token, unknown user) as failed results without the token", async () => {
    const wrong = resolveDirectChannel('dm', def({ users: { 'alice@contoso.com': 'U0ALICE' } }), {
      SLACK_BOT_TOKEN: 'xoxb-wrong',
    });
    const r = await sendDirect(wrong, msg('alice@contoso.com'));
    expect(r).toMatchObject({ ok: false, retryable: false, error: 'chat.postMessage: invalid_auth' });
    expect(JSON.stringify(r)).not.toContain('xoxb');
    const ch = resolveDirectChannel('dm', def(), { SLACK_BOT_TOKEN: TOKEN });
    expect(await sendDirect(ch, msg('mallory@contoso.com'))).toMatchObject({
      ok: false,
      retryable: false,
      error: 'users.lookupByEmail: users_not_found',
    });
    const noLookup = resolveDirectChannel('dm', def({ lookupByEmail: false }), { SLACK_BOT_TOKEN: TOKEN });
    const unmapped = await sendDirect(noLookup, msg('bob@contoso.com'));
    expect(unmapped.ok).toBe(false);
    expect(unmapped.error).toContain('no Slack user id');
    expect(() => resolveDirectChannel('dm', def(), {})).toThrow(/SLACK_BOT_TOKEN is not set/);
  });

  it('a 429 from Slack is retryable', async () => {
    const ch = resolveDirectChannel('dm', def({ users: { 'alice@contoso.com': 'U0ALICE' } }), {
      SLACK_BOT_TOKEN: TOKEN,
    });
    slack.injectFailure({ path: '/api/chat.postMessage', status: 429, retryAfter: '1' });
    expect(await sendDirect(ch, msg('alice@contoso.com'))).toMatchObject({ ok: false, status: 429, retryable: true });
  });
});

describe('email through a fake of the documented Azure Communication Services Email REST API', () => {
  let acs: FakeAcsEmail;
  beforeAll(async () => {
    acs = await startFakeAcsEmail();
  });
  afterAll(async () => {
    await acs.close();
  });
  const def = {
    type: 'email' as const,
    connectionStringSetting: 'ACS_CONN',
    sender: 'DoNotReply@contoso.com',
    addresses: { carol: 'carol.ml@contoso.com' },
  };
  const msg = (recipient: string): DirectMessageInput => ({
    recipient,
    approvalId: 'apr-3',
    event: 'approval.requested',
    title: 'Approval needed: bc v5',
    text: 'checks passed',
    links: {
      approve: `https://stagecraft.example/a?t=APPROVE-${recipient}`,
      reject: `https://stagecraft.example/a?t=REJECT-${recipient}`,
      expiresAt: '2026-05-15T09:00:00.000Z',
    },
  });

  it('sends each approver one HMAC-signed e-mail (accepted by the service) carrying only their links', async () => {
    const ch = resolveDirectChannel('mail', def, { ACS_CONN: acs.connectionString });
    const results = await Promise.all([sendDirect(ch, msg('alice@contoso.com')), sendDirect(ch, msg('carol'))]);
    expect(results.map((r) => [r.recipient, r.ok, r.status])).toEqual([
      ['alice@contoso.com', true, 202],
      ['carol', true, 202],
    ]);
    expect(acs.rejected).toEqual([]);
    const alice = acs.sent.find((e) => e.to[0] === 'alice@contoso.com')!;
    expect(alice).toMatchObject({ senderAddress: 'DoNotReply@contoso.com', subject: 'Approval needed: bc v5' });
    expect(alice.plainText).toContain('APPROVE-alice@contoso.com');
    expect(alice.html).toContain('REJECT-alice@contoso.com');
    expect(JSON.stringify(alice)).not.toContain('carol');
    expect(acs.sent.find((e) => e.to[0] === 'carol.ml@contoso.com')?.plainText).toContain('APPROVE-carol');
  });

  it('a wrong access key is refused by the service (401 Denied) and reported without the key; 429 is retryable', async () => {
    const wrongKey = `endpoint=${acs.endpoint}/;accesskey=${Buffer.from('not-the-key').toString('base64')}`;
    const r = await sendDirect(resolveDirectChannel('mail', def, { ACS_CONN: wrongKey }), msg('alice@contoso.com'));
    expect(r).toMatchObject({ ok: false, status: 401, retryable: false, error: 'emails:send: HTTP 401 Denied' });
    expect(JSON.stringify(r)).not.toContain(Buffer.from('not-the-key').toString('base64'));
    acs.failNext(429);
    expect(
      await sendDirect(resolveDirectChannel('mail', def, { ACS_CONN: acs.connectionString }), msg('alice@contoso.com')),
    ).toMatchObject({ ok: false, status: 429, retryable: true });
    expect(
      await sendDirect(resolveDirectChannel('mail', def, { ACS_CONN: acs.connectionString }), msg('bob')),
    ).toMatchObject({ ok: false, error: expect.stringContaining('no e-mail address') as unknown });
    expect(() => resolveDirectChannel('mail', def, { ACS_CONN: 'not a connection string' })).toThrow(
      /not an ACS connection string/,
    );
  });
});
