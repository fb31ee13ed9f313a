/**
 * The gate holds: attacks on approval and operator routes, from the attacker's side, through the public HTTP
 * interface of the real local host (issue #12). Two hosts share Azurite and the MLflow fake: `host` does not trust
 * `x-ms-client-principal` (a local host: anyone could send it), `trusting` does, as behind App Service
 * authentication, with a tenant and an Entra group mapped to a policy group.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalLinks } from '../../shared/approvals/links';
import { EVENT_TYPES, makeEvent } from '../../shared/events';
import { instanceIdFor } from '../../shared/router/instance-id';
import { freePort, REPO_ROOT, type HostProcess } from '../helpers/host';
import {
  finished,
  KEYS,
  LINK_SECRET,
  pendingApproval,
  startEnv,
  startHost,
  startPromotion,
  status,
  stopEnv,
  until,
  type Env,
} from '../promotion/harness';

const FUNCTION_KEY = 'gate-function-key-0123456789';
const OPERATOR = 'olga@contoso.com';
const OPERATOR_KEY = 'olga-key-0123456789abcdefgh';
const CI_KEY = 'ci-bot-event-key-0123456789ab';
const CE_KEY = 'local-cloudevents-key';
const TENANT = '11111111-2222-3333-4444-555555555555';
const LEADS_OID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const ALL_KEYS: Record<string, string> = { ...KEYS, [OPERATOR]: OPERATOR_KEY };

function policy(hook: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: {
        approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] },
        minApprovals: 1,
        excludeAuthor: true,
        excludeTrigger: true,
        deadline: '10m',
      },
    },
    models: {
      'gate-m': {},
      'carol-m': { approval: { approvers: { users: ['carol@contoso.com'] } } },
      'ce-m': {},
      'group-m': { approval: { approvers: { users: [], groups: ['ml-leads'] } } },
    },
  };
}

let env: Env;
let host: HostProcess;
let trusting: HostProcess;

beforeAll(async () => {
  env = await startEnv(policy);
  Object.assign(env.hostEnv, {
    STAGECRAFT_FUNCTION_KEY: FUNCTION_KEY,
    STAGECRAFT_APPROVER_KEYS: Object.entries(ALL_KEYS)
      .map(([u, k]) => `${u}=${k}`)
      .join(','),
    STAGECRAFT_USER_ROLES: `operator=${OPERATOR}`,
    STAGECRAFT_EVENT_KEYS: `ci-bot=${CI_KEY}:promote.requested`,
    CLOUDEVENTS_KEYS: CE_KEY,
  });
  host = await startHost(env);
  const trustingEnv: Env = {
    ...env,
    hostEnv: {
      ...env.hostEnv,
      STAGECRAFT_TRUST_CLIENT_PRINCIPAL: 'true',
      STAGECRAFT_AUTH_TENANT_ID: TENANT,
      STAGECRAFT_GROUP_MAP: `ml-leads=${LEADS_OID}`,
      ServiceBusConnection: `Endpoint=sb://127.0.0.1:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
    },
  };
  trusting = await startHost(trustingEnv);
}, 180_000);

afterAll(async () => {
  await trusting?.stop();
  await host?.stop();
  await stopEnv(env);
});

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

async function call(
  h: HostProcess,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${h.baseUrl}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = { text };
  }
  return { status: res.status, json, headers: res.headers };
}

const as = (user: string) => ({ 'x-stagecraft-key': ALL_KEYS[user]! });
const seed = (model: string, author = 'dave@contoso.com') =>
  env.mlflow.seedVersion(model, { version: '1', userId: author, runId: env.mlflow.seedRun({}).run_id });
/** A signed link exactly like the ones notifications carry (made here so the test does not depend on who receives them). */
const linkFor = (h: HostProcess, approvalId: string, approver: string) => {
  const [l] = approvalLinks({
    approvalId,
    approvers: [approver],
    baseUrl: h.baseUrl,
    secret: LINK_SECRET,
    nowMs: Date.now(),
    ttlMs: 3600_000,
  });
  return l!;
};
const principal = (o: { auth_typ?: string; tid?: string; upn: string; extra?: Array<[string, string]> }) =>
  Buffer.from(
    JSON.stringify({
      auth_typ: o.auth_typ ?? 'aad',
      claims: [
        ['tid', o.tid ?? TENANT],
        ['oid', '99999999-0000-0000-0000-000000000042'],
        ['preferred_username', o.upn],
        ['name', o.upn],
        ...(o.extra ?? []),
      ].map(([typ, val]) => ({ typ, val })),
    }),
  ).toString('base64');
interface Entry {
  action: string;
  actor: string;
  outcome: string;
  reason?: string;
  target?: string;
  details?: Record<string, unknown>;
}
const audit = async (query: string) =>
  (await call(host, 'GET', `/api/audit?${query}`, as(OPERATOR))).json['entries'] as Entry[];

describe('the gate holds', () => {
  it('a link is no credential: no credentials, another approver, or the author are refused and audited; its approver, signed in, decides', async () => {
    seed('gate-m');
    const id = await startPromotion(host, 'gate-m', '1');
    const a = await pendingApproval(host, 'gate-m');
    const approvalId = String(a['id']);
    const bobs = linkFor(host, approvalId, 'bob@contoso.com');
    const path = (u: string) => u.slice(host.baseUrl.length);

    expect(await call(host, 'POST', path(bobs.approve))).toMatchObject({
      status: 401,
      json: { error: { code: 'AUTH_REQUIRED' } },
    });
    const browser = await fetch(bobs.approve, { headers: { accept: 'text/html' } });
    expect(browser.status).toBe(401);
    expect(await browser.text()).toContain('x-stagecraft-key');
    // a page in the approver's browser cannot make it vote (cross-origin state change)
    expect(
      await call(host, 'POST', path(bobs.approve), { ...as('bob@contoso.com'), origin: 'https://evil.example' }),
    ).toMatchObject({ status: 403, json: { error: { code: 'AUTH_CROSS_ORIGIN' } } });
    const alice = await call(host, 'POST', path(bobs.approve), as('alice@contoso.com'));
    expect(alice).toMatchObject({ status: 403, json: { error: { code: 'APPROVAL_LINK_NOT_YOURS' } } });
    expect(alice.json.error?.message).toContain('bob@contoso.com');
    expect((await call(host, 'GET', path(bobs.approve), as('alice@contoso.com'))).status).toBe(403);
    const author = await call(
      host,
      'POST',
      path(linkFor(host, approvalId, 'dave@contoso.com').approve),
      as('dave@contoso.com'),
    );
    expect(author).toMatchObject({ status: 403, json: { error: { code: 'AUTHOR_EXCLUDED' } } });
    expect(await call(host, 'POST', path(bobs.approve), as('dave@contoso.com'))).toMatchObject({
      status: 403,
      json: { error: { code: 'APPROVAL_LINK_NOT_YOURS' } },
    });
    expect(
      (await call(host, 'GET', `/api/approvals/${approvalId}`, as('bob@contoso.com'))).json['approval'],
    ).toMatchObject({ status: 'pending', votes: [] });

    expect(await call(host, 'POST', path(bobs.approve), as('bob@contoso.com'))).toMatchObject({
      status: 200,
      json: { accepted: true },
    });
    await finished(host, id);

    const seen = (await audit('action=approval.*&limit=1000'))
      .filter((e) => e.target?.includes(approvalId))
      .map((e) => [e.action, e.actor, e.outcome, e.reason ?? '']);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['approval.link', 'unauthenticated', 'refused', 'AUTH_REQUIRED'],
        ['approval.link', 'alice@contoso.com', 'refused', 'APPROVAL_LINK_NOT_YOURS'],
        ['approval.link', 'dave@contoso.com', 'refused', 'APPROVAL_LINK_NOT_YOURS'],
        ['approval.decision', 'dave@contoso.com', 'refused', 'AUTHOR_EXCLUDED'],
        ['approval.decision', 'bob@contoso.com', 'accepted', ''],
      ]),
    );
  }, 150_000);

  it('approver keys are read from a header only, never from ?code= (access logs)', async () => {
    expect((await call(host, 'GET', `/api/approvals?code=${KEYS['alice@contoso.com']}`)).status).toBe(401);
    const r = await call(host, 'GET', '/api/approvals', as('alice@contoso.com'));
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('a forged x-ms-client-principal is ignored where App Service authentication is not trusted', async () => {
    const forged = principal({ upn: 'bob@contoso.com' });
    expect(await call(host, 'GET', '/api/approvals', { 'x-ms-client-principal': forged })).toMatchObject({
      status: 401,
      json: { error: { code: 'AUTH_REQUIRED' } },
    });
  });

  it('lists only requests the caller may act on; other requests are 404; operators see all', async () => {
    seed('carol-m');
    await startPromotion(host, 'carol-m', '1');
    const carols = await until(
      'carol-m approval',
      async () =>
        (
          (await call(host, 'GET', '/api/approvals?model=carol-m', as('carol@contoso.com'))).json['approvals'] as Json[]
        )[0],
      60_000,
      () => host.logs(),
    );
    const models = async (user: string) =>
      ((await call(host, 'GET', '/api/approvals', as(user))).json['approvals'] as Json[]).map((x) => x['model']);
    expect(await models('alice@contoso.com')).not.toContain('carol-m');
    expect(await models('dave@contoso.com')).toEqual([]);
    expect(await models(OPERATOR)).toContain('carol-m');
    expect((await call(host, 'GET', `/api/approvals/${String(carols['id'])}`, as('alice@contoso.com'))).status).toBe(
      404,
    );
    expect((await call(host, 'GET', `/api/approvals/${String(carols['id'])}`, as(OPERATOR))).status).toBe(200);
  }, 120_000);

  it('API routes take JSON only (415 naming the type) and refuse ill-formed Unicode (400 naming the field), before anything happens', async () => {
    const plain = await fetch(`${host.baseUrl}/api/models/any-m/rollback`, {
      method: 'POST',
      headers: { ...as(OPERATOR), 'content-type': 'text/plain' },
      body: '{"reason":"x"}',
    });
    expect(plain.status).toBe(415);
    expect(JSON.stringify(await plain.json())).toContain('application/json');
    // JSON.stringify writes a lone surrogate as the escape \ud800: valid JSON, ill-formed text.
    const lone = await call(host, 'POST', '/api/models/any-m/rollback', as(OPERATOR), { reason: 'x\ud800y' });
    expect(lone.status).toBe(400);
    expect(lone.json.error?.message).toContain('body.reason');
  }, 60_000);

  it('rollback needs the operator role: an approver without it gets 403 (audited); an operator starts it and gets the runs statusUrl', async () => {
    const refused = await call(host, 'POST', '/api/models/gate-m/rollback', as('alice@contoso.com'), {
      reason: 'I am only an approver',
    });
    expect(refused).toMatchObject({ status: 403, json: { error: { code: 'AUTH_ROLE_REQUIRED' } } });
    const ok = await call(host, 'POST', '/api/models/gate-m/rollback', as(OPERATOR), {
      reason: 'operator rollback',
      requestId: 'gate-rb-1',
    });
    expect(ok.status).toBe(202);
    expect(ok.json['statusUrl']).toBe(`/api/runs/${encodeURIComponent(String(ok.json['instanceId']))}`);
    expect((await audit('action=rollback.request')).some((e) => e.actor === OPERATOR && e.outcome === 'accepted')).toBe(
      true,
    );
    expect(
      (await audit('action=http.modelsRollback')).some(
        (e) => e.actor === 'alice@contoso.com' && e.reason === 'AUTH_ROLE_REQUIRED',
      ),
    ).toBe(true);
  }, 60_000);

  it('CloudEvents: promote.requested with a plain function key is 403 naming the scope; with a scoped key requestedBy is the key name', async () => {
    const event = (requestId: string) => ({
      ...makeEvent(
        EVENT_TYPES.promoteRequested,
        { model: { name: 'ce-m', version: '1' }, targetAlias: 'champion', requestedBy: 'alice@contoso.com', requestId },
        { source: '/attacker', time: new Date().toISOString() },
      ),
      specversion: '1.0',
    });
    const headers = {
      'x-functions-key': FUNCTION_KEY,
      'x-stagecraft-key': CE_KEY,
      'content-type': 'application/cloudevents+json',
    };
    const plain = await call(host, 'POST', '/api/events', headers, event('ce-plain'));
    expect(plain.status).toBe(403);
    expect(plain.json).toMatchObject({ code: 'EVENT_TYPE_NOT_PERMITTED', details: { scope: 'STAGECRAFT_EVENT_KEYS' } });
    expect(
      (await audit('action=events.privileged')).some(
        (e) => e.outcome === 'refused' && e.reason === 'EVENT_TYPE_NOT_PERMITTED',
      ),
    ).toBe(true);

    seed('ce-m');
    const scoped = await call(
      host,
      'POST',
      '/api/events',
      { ...headers, 'x-stagecraft-event-key': CI_KEY },
      event('ce-scoped'),
    );
    expect(scoped.status).toBe(202);
    const instanceId = instanceIdFor('promotion', 'ce-m', '1', 'request', 'ce-scoped');
    const started = await until(
      'the requested promotion',
      async () => {
        const st = await status(host, instanceId);
        return st.runtimeStatus === 'NotFound'
          ? undefined
          : (st as unknown as { input: { event: { data: { requestedBy: string } } } });
      },
      60_000,
      () => host.logs(),
    );
    expect(started.input.event.data.requestedBy).toBe('ci-bot');
  }, 120_000);

  it('retrain: requestedBy comes from an authenticated caller, never from x-ms-client-principal-name or the body', async () => {
    const forged = await call(
      host,
      'POST',
      '/api/models/gate-m/retrain',
      {
        'x-functions-key': FUNCTION_KEY,
        'x-ms-client-principal-name': 'bob@contoso.com',
        'x-ms-client-principal': principal({ upn: 'bob@contoso.com' }),
      },
      { reason: 'forged', requestedBy: 'bob@contoso.com' },
    );
    expect(forged.status).toBeLessThan(500);
    const withIdentity = await call(
      host,
      'POST',
      '/api/models/gate-m/retrain',
      { 'x-functions-key': FUNCTION_KEY, ...as(OPERATOR) },
      { reason: 'as an identity' },
    );
    expect(withIdentity.status).toBeLessThan(500);
    const entries = await audit('action=retrain.request');
    expect(entries.map((e) => e.actor)).toEqual(expect.arrayContaining(['function-key', OPERATOR]));
    expect(entries.some((e) => e.actor === 'bob@contoso.com')).toBe(false);
    expect(entries.find((e) => e.actor === 'function-key')?.details).toMatchObject({
      claimedRequestedBy: 'bob@contoso.com',
    });
  }, 60_000);

  it('the audit log is for operators: an approver gets 403, nobody 401', async () => {
    expect(await call(host, 'GET', '/api/audit', as('alice@contoso.com'))).toMatchObject({
      status: 403,
      json: { error: { code: 'AUTH_ROLE_REQUIRED' } },
    });
    expect((await call(host, 'GET', '/api/audit')).status).toBe(401);
    expect((await call(host, 'GET', '/api/audit?from=yesterday', as(OPERATOR))).status).toBe(400);
  });

  it('the policy a host loaded is in the audit log once per process, with its content hash', async () => {
    const loads = await until(
      'a policy.load entry',
      async () => {
        const e = (await audit('action=policy.load')).filter((x) => x.outcome === 'accepted');
        return e.length > 0 ? e : undefined;
      },
      30_000,
      () => host.logs(),
    );
    expect(loads[0]).toMatchObject({
      actor: 'stagecraft',
      details: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
    });
    // Once per worker process and policy version: the two hosts of this file share one policy and one audit log.
    expect(loads.length).toBeLessThanOrEqual(2);
    expect(new Set(loads.map((x) => String(x.details?.['sha256']))).size).toBe(1);
  });

  it('`stagecraft audit` prints the log for an operator identity key and exits 3 for an approver', async () => {
    const cli = (key: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            join(REPO_ROOT, 'bin', 'stagecraft.js'),
            'audit',
            '--url',
            host.baseUrl,
            '--identity-key',
            key,
            '--action',
            'approval.*',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (out += b.toString()));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const ok = await cli(OPERATOR_KEY);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/refused\s+approval\.link\s+alice@contoso\.com/);
    expect(ok.out).not.toContain(OPERATOR_KEY);
    expect((await cli(KEYS['alice@contoso.com'])).code).toBe(3);
  }, 60_000);
});

describe('behind App Service authentication (principal trusted)', () => {
  it('a GitHub principal with an approver e-mail is not that approver; another tenant is refused', async () => {
    const github = principal({ auth_typ: 'github', upn: 'bob@contoso.com' });
    expect(await call(trusting, 'GET', '/api/approvals', { 'x-ms-client-principal': github })).toMatchObject({
      status: 403,
      json: { error: { code: 'AUTH_PROVIDER_NOT_ACCEPTED' } },
    });
    const otherTenant = principal({ tid: '99999999-2222-3333-4444-555555555555', upn: 'bob@contoso.com' });
    expect(await call(trusting, 'GET', '/api/approvals', { 'x-ms-client-principal': otherTenant })).toMatchObject({
      status: 403,
      json: { error: { code: 'AUTH_TENANT_NOT_ACCEPTED' } },
    });
  });

  it('an Entra group object id mapped to a policy group approves as that group', async () => {
    seed('group-m');
    const id = await startPromotion(trusting, 'group-m', '1');
    const erin = { 'x-ms-client-principal': principal({ upn: 'Erin@Contoso.com', extra: [['groups', LEADS_OID]] }) };
    const a = await until(
      'group-m approval',
      async () =>
        (
          (await call(trusting, 'GET', '/api/approvals?model=group-m&status=pending', erin)).json['approvals'] as
            Json[] | undefined
        )?.[0],
      60_000,
      () => trusting.logs(),
    );
    const noGroup = { 'x-ms-client-principal': principal({ upn: 'frank@contoso.com' }) };
    expect(
      (await call(trusting, 'POST', `/api/approvals/${String(a['id'])}/decision`, noGroup, { decision: 'approve' }))
        .status,
    ).toBe(403);
    expect(
      await call(trusting, 'POST', `/api/approvals/${String(a['id'])}/decision`, erin, { decision: 'approve' }),
    ).toMatchObject({ status: 200, json: { accepted: true, approval: { votes: [{ approver: 'erin@contoso.com' }] } } });
    expect((await finished(trusting, id)).runtimeStatus).toBe('Completed');
  }, 150_000);
});
