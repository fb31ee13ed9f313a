import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors';
import { type NotifyMessageInput, notifyAll, resolveChannel, sendNotification, verifyWebhookSignature } from '../../shared/adapters/notify';
import { type JsonServer, type RecordedRequest, startJsonServer } from '../fakes';

let capture: JsonServer;
let got: RecordedRequest[];

const message: NotifyMessageInput = {
  event: 'approval.requested',
  title: 'Approve breast-cancer-classifier v3?',
  text: 'All blocking checks passed <b>AUC +0.4%</b> & no regressions.',
  severity: 'info',
  facts: [{ name: 'Model', value: 'breast-cancer-classifier' }, { name: 'Version', value: '3' }],
  actions: [{ label: 'Approve', url: 'https://stagecraft.example/api/approvals/a1/decision?sig=SIGNED-LINK-TOKEN' }],
  correlationId: 'promote:bc:3',
};

beforeAll(async () => {
  capture = await startJsonServer((method, path) => (method === 'POST' && path !== '/fail' ? (r) => { got.push(r); return {}; } : undefined));
});
afterAll(async () => { await capture.close(); });
beforeEach(() => { got = []; capture.clearFailures(); capture.setLatency(0); });

describe('notification senders against a local capture server', () => {
  it('posts a generic webhook with an HMAC signature over timestamp and raw body', async () => {
    const ch = resolveChannel('ops', { type: 'webhook', urlSetting: 'HOOK_URL', secretSetting: 'HOOK_SECRET', headers: { 'X-Team': 'ml' } }, { HOOK_URL: `${capture.url}/hook`, HOOK_SECRET: 'k3y' });
    const r = await sendNotification(ch, message, { now: () => Date.parse('2026-05-14T09:00:00Z') });
    expect(r).toEqual({ channel: 'ops', ok: true, status: 200, retryable: false });
    const req = got[0]!;
    expect(req.body).toMatchObject({ schema: 'stagecraft.notification.v1', event: 'approval.requested', sentAt: '2026-05-14T09:00:00.000Z', facts: message.facts });
    expect(req.headers['x-team']).toBe('ml');
    expect(req.headers['x-stagecraft-timestamp']).toBe(String(Date.parse('2026-05-14T09:00:00Z') / 1000));
    expect(verifyWebhookSignature('k3y', req.headers['x-stagecraft-timestamp']!, req.raw, req.headers['x-stagecraft-signature']!)).toBe(true);
    expect(verifyWebhookSignature('wrong', req.headers['x-stagecraft-timestamp']!, req.raw, req.headers['x-stagecraft-signature']!)).toBe(false);
  });

  it('sends no signature header without a secret', async () => {
    await sendNotification({ name: 'plain', type: 'webhook', url: `${capture.url}/plain` }, message);
    expect(got[0]?.headers['x-stagecraft-signature']).toBeUndefined();
  });

  it('renders a Teams Adaptive Card with facts and an Open URL action', async () => {
    await sendNotification({ name: 'teams', type: 'teams', format: 'adaptive-card', url: `${capture.url}/teams` }, message);
    const card = (got[0]?.body as { type: string; attachments: { contentType: string; content: { type: string; body: { type: string }[]; actions: unknown[] } }[] });
    expect(card.type).toBe('message');
    expect(card.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0]?.content.body.map((b) => b.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet']);
    expect(card.attachments[0]?.content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Approve', url: message.actions![0]!.url }]);
  });

  it('renders a Teams MessageCard with sections and OpenUri actions', async () => {
    await sendNotification({ name: 'teams-legacy', type: 'teams', format: 'message-card', url: `${capture.url}/teams` }, { ...message, severity: 'error' });
    expect(got[0]?.body).toMatchObject({
      '@type': 'MessageCard', themeColor: 'E01E5A', title: message.title,
      sections: [{ facts: [{ name: 'Model', value: 'breast-cancer-classifier' }, { name: 'Version', value: '3' }] }],
      potentialAction: [{ '@type': 'OpenUri', name: 'Approve', targets: [{ os: 'default', uri: message.actions![0]!.url }] }],
    });
  });

  it('renders Slack blocks with escaped mrkdwn, fields and buttons, and a fallback text', async () => {
    await sendNotification({ name: 'slack', type: 'slack', url: `${capture.url}/slack` }, message);
    const body = got[0]?.body as { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { url: string }[] }[] };
    expect(body.text).toContain(message.title);
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(body.blocks[1]?.text?.text).toBe('All blocking checks passed &lt;b&gt;AUC +0.4%&lt;/b&gt; &amp; no regressions.');
    expect(body.blocks[2]?.fields?.[0]?.text).toBe('*Model*\nbreast-cancer-classifier');
    expect(body.blocks[3]?.elements?.[0]?.url).toBe(message.actions![0]!.url);
  });

  it('skips a channel whose events filter excludes the event', async () => {
    expect(await sendNotification({ name: 'f', type: 'slack', url: `${capture.url}/s`, events: ['model.promoted'] }, message)).toMatchObject({ ok: true, skipped: true });
    expect(got).toHaveLength(0);
  });

  it('returns retryable results for 5xx and timeouts, final for 4xx, and never puts URLs or links in results or logs', async () => {
    const logs: unknown[] = [];
    const secretUrl = `${capture.url}/hooks/T000/B000/SECRETPART`;
    capture.injectFailure({ status: 503 });
    expect(await sendNotification({ name: 'a', type: 'slack', url: secretUrl }, message, { log: (e) => logs.push(e) })).toMatchObject({ ok: false, status: 503, retryable: true });
    capture.injectFailure({ status: 404 });
    expect(await sendNotification({ name: 'b', type: 'slack', url: secretUrl }, message, { log: (e) => logs.push(e) })).toMatchObject({ ok: false, status: 404, retryable: false });
    capture.setLatency(300);
    const slow = await sendNotification({ name: 'c', type: 'slack', url: secretUrl }, message, { timeoutMs: 30, log: (e) => logs.push(e) });
    expect(slow).toMatchObject({ ok: false, retryable: true, error: 'no answer within 30 ms' });
    const text = JSON.stringify([logs, slow]);
    expect(text).not.toMatch(/SECRETPART|SIGNED-LINK-TOKEN/);
  });

  it('sends to several channels and reports each, one failure not stopping the others', async () => {
    const results = await notifyAll([
      { name: 'ok', type: 'slack', url: `${capture.url}/slack` },
      { name: 'down', type: 'webhook', url: 'http://127.0.0.1:1/unreachable' },
      { name: 'teams', type: 'teams', format: 'adaptive-card', url: `${capture.url}/teams` },
    ], message);
    expect(results.map((r) => [r.channel, r.ok])).toEqual([['ok', true], ['down', false], ['teams', true]]);
    expect(results[1]?.retryable).toBe(true);
  });

  it('names a missing URL or secret setting in a ConfigError', () => {
    expect(() => resolveChannel('teams', { type: 'teams', urlSetting: 'TEAMS_URL', format: 'adaptive-card' }, {})).toThrow(ConfigError);
    expect(() => resolveChannel('ops', { type: 'webhook', url: 'https://x.example/h', secretSetting: 'HOOK_SECRET', headers: {} }, {})).toThrow(/HOOK_SECRET is not set/);
  });

  it('refuses a message without a title or with a non-URL action at the boundary', async () => {
    await expect(sendNotification({ name: 'x', type: 'slack', url: `${capture.url}/s` }, { event: 'e', title: '' })).rejects.toThrow();
    await expect(sendNotification({ name: 'x', type: 'slack', url: `${capture.url}/s` }, { event: 'e', title: 't', actions: [{ label: 'a', url: 'not a url' }] })).rejects.toThrow();
  });
});
