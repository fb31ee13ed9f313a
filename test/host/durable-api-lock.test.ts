/**
 * Issue #12 from the attacker's side: the local Durable HTTP API is locked like Azure's. A page in the developer's
 * browser (cross-origin, `text/plain` "simple" requests) cannot start `runJob` or `modelRollback`; no key or a wrong
 * key is 401; the master key with JSON works; the app's own durable client keeps working; `--host 0.0.0.0` needs
 * explicit keys. Requires a build (`npm run build`). Traffic goes to 127.0.0.1 only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_APP } from '../../devhost/test/durable/helpers';
import { freePort, REPO_ROOT, runHostToExit, startHostProcess, type HostProcess } from '../helpers/host';

const DF = '/runtime/webhooks/durabletask';
const FUNCTION_KEY = 'lock-test-function-key-0123456789';
const MASTER_KEY = 'lock-test-master-key-0123456789ab';

let host: HostProcess;

beforeAll(async () => {
  host = await startHostProcess({
    appDir: REPO_ROOT,
    env: { STAGECRAFT_FUNCTION_KEY: FUNCTION_KEY, STAGECRAFT_MASTER_KEY: MASTER_KEY },
    readyTimeoutMs: 90_000,
  });
}, 120_000);

afterAll(async () => {
  await host?.stop();
});

const evilJob = { job: { provider: 'local', command: ['sh', '-c', 'echo pwned > /tmp/pwned'] } };
const evilRollback = { model: 'churn', reason: 'because', requestedBy: 'ceo@contoso.com', requestId: 'evil-1' };

async function post(path: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${host.baseUrl}${DF}${path}`, { method: 'POST', body, headers });
}

async function exists(id: string): Promise<boolean> {
  const r = await fetch(`${host.baseUrl}${DF}/instances/${encodeURIComponent(id)}`, {
    headers: { 'x-functions-key': MASTER_KEY },
  });
  expect([200, 202, 404]).toContain(r.status);
  return r.status !== 404;
}

describe('local Durable HTTP API lock', () => {
  it('refuses a cross-origin browser POST (Origin: http://evil.example, text/plain) starting runJob or modelRollback, even with a key', async () => {
    const browser = { origin: 'http://evil.example', 'content-type': 'text/plain;charset=UTF-8' };
    for (const [name, input] of [
      ['runJob', evilJob],
      ['modelRollback', evilRollback],
    ] as const) {
      const id = `evil-${name}`;
      const plain = await post(`/orchestrators/${name}/${id}`, JSON.stringify(input), browser);
      expect(plain.status).toBe(403);
      expect(((await plain.json()) as { code: string }).code).toBe('DURABLE_CROSS_ORIGIN');
      // A key in the query (leaked into a page) does not help a foreign origin either.
      const keyed = await post(`/orchestrators/${name}/${id}?code=${MASTER_KEY}`, JSON.stringify(input), {
        ...browser,
        'content-type': 'application/json',
      });
      expect(keyed.status).toBe(403);
      const fetchMeta = await post(`/orchestrators/${name}/${id}`, JSON.stringify(input), {
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/json',
        'x-functions-key': MASTER_KEY,
      });
      expect(fetchMeta.status).toBe(403);
      expect(await exists(id)).toBe(false);
    }
  });

  it('answers 401 without a key and with a wrong key, never echoing the key', async () => {
    const none = await post('/orchestrators/modelRollback/nokey', JSON.stringify(evilRollback), {
      'content-type': 'application/json',
    });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('DURABLE_KEY_REQUIRED');
    const wrong = await post('/orchestrators/runJob/wrongkey', JSON.stringify(evilJob), {
      'content-type': 'application/json',
      'x-functions-key': 'not-the-key',
    });
    expect(wrong.status).toBe(401);
    // The function key is not enough either: the durable API takes the master (system) key only.
    const fnKey = await fetch(`${host.baseUrl}${DF}/instances/?code=${FUNCTION_KEY}`);
    expect(fnKey.status).toBe(401);
    expect(await fnKey.text()).not.toContain(FUNCTION_KEY);
    const list = await fetch(`${host.baseUrl}${DF}/instances/`);
    expect(list.status).toBe(401);
    expect(await exists('nokey')).toBe(false);
    expect(await exists('wrongkey')).toBe(false);
  });

  it('with the master key and JSON it works; non-JSON bodies are refused (415, and 400 for raiseEvent like Azure)', async () => {
    const textStart = await post('/orchestrators/runJob/lock-text', JSON.stringify({}), {
      'content-type': 'text/plain',
      'x-functions-key': MASTER_KEY,
    });
    expect(textStart.status).toBe(415);
    expect(await exists('lock-text')).toBe(false);

    const ok = await post('/orchestrators/modelRollback/lock-ok', JSON.stringify({}), {
      'content-type': 'application/json',
      'x-functions-key': MASTER_KEY,
    });
    expect(ok.status).toBe(202);
    const links = (await ok.json()) as Record<string, string>;
    expect(links['id']).toBe('lock-ok');
    // Like the extension, the management URLs carry the system key (never the master key).
    expect(links['statusQueryGetUri']).toMatch(/[?&]code=[^&]+/);
    expect(links['statusQueryGetUri']).not.toContain(MASTER_KEY);
    const viaLink = await fetch(links['statusQueryGetUri']!);
    expect([200, 202]).toContain(viaLink.status);

    const ownOrigin = await fetch(`${host.baseUrl}${DF}/instances/lock-ok`, {
      headers: { origin: host.baseUrl, 'x-functions-key': MASTER_KEY },
    });
    expect([200, 202]).toContain(ownOrigin.status);

    const textEvent = await post('/instances/lock-ok/raiseEvent/anything', '"x"', {
      'content-type': 'text/plain',
      'x-functions-key': MASTER_KEY,
    });
    expect([400, 410]).toContain(textEvent.status);
    if (textEvent.status === 400)
      expect(((await textEvent.json()) as { message: string }).message).toContain('Only application/json');
  });

  it("the app's own durable client (rpcBaseUrl from the binding) still works", async () => {
    const r = await fetch(`${host.baseUrl}/api/runs`, { headers: { 'x-functions-key': FUNCTION_KEY } });
    expect(r.status).toBe(200);
    expect(await r.json()).toHaveProperty('runs');
  });
});

describe('--host beyond loopback', () => {
  it('refuses to start on 0.0.0.0 without explicit keys, naming the settings to set', async () => {
    const env: Record<string, string> = { STAGECRAFT_MASTER_KEY: '', STAGECRAFT_FUNCTION_KEY: '' };
    const r = await runHostToExit({ appDir: CONFORMANCE_APP, args: ['--host', '0.0.0.0', '--no-azurite'], env });
    expect(r.code).toBe(1);
    expect(r.output).toContain('DEVHOST_MASTER_KEY');
    expect(r.output).toContain('DEVHOST_FUNCTION_KEY');
    expect(r.output).toMatch(/listens beyond this machine/);
    const short = await runHostToExit({
      appDir: CONFORMANCE_APP,
      args: ['--host', '0.0.0.0', '--no-azurite'],
      env: { STAGECRAFT_MASTER_KEY: 'short', STAGECRAFT_FUNCTION_KEY: 'short' },
    });
    expect(short.code).toBe(1);
    expect(short.output).toContain('shorter than 16 characters');
  });

  it('starts on 0.0.0.0 with explicit keys (checked over 127.0.0.1 only)', async () => {
    const port = await freePort();
    const h = await startHostProcess({
      appDir: CONFORMANCE_APP,
      port,
      args: ['--host', '0.0.0.0', '--no-azurite'],
      env: { STAGECRAFT_MASTER_KEY: MASTER_KEY, STAGECRAFT_FUNCTION_KEY: FUNCTION_KEY },
    });
    try {
      expect((await fetch(`http://127.0.0.1:${port}${DF}/instances/`)).status).toBe(401);
      expect(
        (await fetch(`http://127.0.0.1:${port}${DF}/instances/`, { headers: { 'x-functions-key': MASTER_KEY } }))
          .status,
      ).toBe(200);
    } finally {
      await h.stop();
    }
  });
});
