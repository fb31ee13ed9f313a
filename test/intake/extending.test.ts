/**
 * The three-file path for a webhook source (docs/ARCHITECTURE.md "Extending Stagecraft"): a source defined here,
 * added to the list, gets its HTTP function (route, methods, host auth level, route declaration), its verification,
 * its settings (zod check naming the setting, docs line) and its docs/SECURITY.md row, with no other file changed.
 * The function is registered by the compiled route layer into a fresh `@azure/functions-core` registry (the local
 * host's stand-in, as test/security/routes.test.ts loads the app) and called as the host calls it. Requires a build.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installCoreModule, type CoreRegistry } from '../../devhost/host/core-module';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import type { StagecraftConfig } from '../../shared/config';
import { EVENT_TYPES } from '../../shared/events';
import type { IntakeDeps } from '../../shared/intake';
import {
  defineSource,
  intakeConfig,
  intakeRouteRows,
  intakeSettingsDoc,
  intakeSettingsSchema,
  SOURCE_LIST,
  type IntakeSource,
} from '../../shared/intake/sources';
import { list } from '../../shared/setting-values';
import { event, eventsOf, ignored, parseWith } from '../../shared/intake/sources/util';
import { HexHmacVerifier } from '../../shared/intake/verifiers';
import { MemoryReceiptStore } from '../../shared/records/memory';
import { REPO_ROOT } from '../helpers/host';
import { z } from 'zod';
import { BASE_ENV, NOW_MS, testConfig, withIntakeTable } from './helpers';

// ---- file 1 of 3 in real life: shared/intake/sources/acme.ts ----
const SECRET = 'acme-webhook-secret-0123456789';
const acmeSource = defineSource({
  name: 'acme',
  eventSource: '/stagecraft/intake/acme',
  http: {
    route: 'webhooks/acme',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies X-Acme-Signature before parsing',
    security: 'Acme registry: `X-Acme-Signature` hex HMAC of the body (`ACME_WEBHOOK_SECRETS`)',
  },
  settings: {
    key: 'acme',
    env: {
      ACME_WEBHOOK_SECRETS: {
        schema: list.pipe(z.array(z.string().min(16, 'each secret needs at least 16 characters'))),
        secret: true,
        description: 'Acme webhook secrets, comma-separated for rotation.',
      },
    },
    toConfig: (v) => ({ secrets: v.ACME_WEBHOOK_SECRETS }),
  },
  verifier: (settings) =>
    new HexHmacVerifier({ header: 'X-Acme-Signature', prefix: 'sha256=', secrets: settings.secrets }),
  deliveryId: (request) => request.headers.get('x-acme-delivery'),
  parse(body, ctx) {
    const p = parseWith(
      z.looseObject({ kind: z.string(), model: z.string().min(1), version: z.string().min(1) }),
      body,
      'Acme payload',
    );
    if (!p.ok) return p.outcome;
    if (p.value.kind !== 'version.ready') return ignored(`${p.value.kind}: not handled`);
    const data = {
      model: { name: p.value.model, version: p.value.version },
      source: null,
      runId: null,
      tags: {},
      description: null,
      registry: 'mlflow',
      occurredAt: ctx.now,
    };
    return eventsOf(() => [event(EVENT_TYPES.modelVersionCreated, data, '/stagecraft/intake/acme', ctx)]);
  },
});

// ---- file 2 of 3: the one line in shared/intake/sources/index.ts ----
const EXTENDED: readonly IntakeSource[] = [...SOURCE_LIST, acmeSource];

/** The config the app builds from the extended list (INTAKE_SETTINGS is `intakeSettingsSchema(SOURCE_LIST)`). */
function configFor(env: Record<string, string>): StagecraftConfig {
  const values = intakeSettingsSchema(EXTENDED).parse({ ...BASE_ENV, ...env });
  return { ...testConfig(), intake: intakeConfig(EXTENDED, values) as unknown as StagecraftConfig['intake'] };
}

function sign(body: string, secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-acme-delivery': 'acme-d-1',
    'x-acme-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  };
}

interface FunctionsLib {
  HttpRequest: new (init: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: { string: string };
  }) => unknown;
  InvocationContext: new (init: { invocationId: string; functionName: string }) => unknown;
}
interface Declared {
  name: string;
  methods: readonly string[];
  route: string;
  auth: string;
  note?: string;
}

let registry: CoreRegistry;
let lib: FunctionsLib;
let declared: Map<string, Declared>;
let deps: IntakeDeps;

beforeAll(() => {
  // A fresh registry: nothing of the app is loaded but the route layer, which registers the extended list.
  registry = installCoreModule(() => undefined);
  const load = createRequire(join(REPO_ROOT, 'dist', 'functions', 'lib', 'intake.js'));
  lib = load('@azure/functions') as FunctionsLib;
  declared = (load('./route.js') as { ROUTE_DECLARATIONS: Map<string, Declared> }).ROUTE_DECLARATIONS;
  deps = {
    publisher: new MemoryEventPublisher(),
    receipts: new MemoryReceiptStore(),
    config: configFor({ ACME_WEBHOOK_SECRETS: SECRET }),
    clock: () => NOW_MS,
  };
  const { registerIntakeSources } = load('./intake.js') as {
    registerIntakeSources: (s: readonly IntakeSource[], d: () => IntakeDeps) => void;
  };
  registerIntakeSources(EXTENDED, () => deps);
  expect(registry.errors).toEqual([]);
});

async function call(
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; jsonBody: Record<string, unknown> }> {
  const fn = registry.functions.get('intake-acme')!;
  const request = new lib.HttpRequest({
    method: 'POST',
    url: 'http://127.0.0.1/api/webhooks/acme',
    headers,
    body: { string: body },
  });
  const context = new lib.InvocationContext({ invocationId: 'acme-invocation', functionName: 'intake-acme' });
  return (await fn.callback(request, context)) as { status: number; jsonBody: Record<string, unknown> };
}

describe('a new intake source added to the list', () => {
  it('gets an HTTP function intake-<name> with its route, methods, host auth level and route declaration', () => {
    const fn = registry.functions.get('intake-acme');
    expect(fn?.trigger).toMatchObject({
      type: 'httpTrigger',
      route: 'webhooks/acme',
      methods: ['POST'],
      authLevel: 'anonymous',
    });
    expect(declared.get('intake-acme')).toMatchObject({ route: 'webhooks/acme', methods: ['POST'], auth: 'signature' });
    // The existing sources register exactly as before, next to it.
    for (const s of SOURCE_LIST)
      expect(registry.functions.get(`intake-${s.name}`)?.trigger).toMatchObject({ route: s.http.route });
  });

  it('verifies before parsing: unsigned or wrongly signed deliveries are 401, a signed one is published with its dedupe key', async () => {
    const body = JSON.stringify({ kind: 'version.ready', model: 'fraud-detector', version: '12' });
    const unsigned = await call({ 'content-type': 'application/json' }, body);
    expect(unsigned.status).toBe(401);
    expect(unsigned.jsonBody).toMatchObject({ status: 'rejected', code: 'INTAKE_SIGNATURE_MISSING' });
    const forged = await call(sign(body, 'not-the-acme-secret-at-all'), body);
    expect(forged).toMatchObject({ status: 401, jsonBody: { code: 'INTAKE_SIGNATURE_INVALID' } });
    const tampered = await call(sign(body), body.replace('12', '13'));
    expect(tampered.status).toBe(401);
    expect((deps.publisher as MemoryEventPublisher).events).toEqual([]);

    const ok = await call(sign(body), body);
    expect(ok).toMatchObject({
      status: 202,
      jsonBody: { status: 'accepted', deliveryId: 'acme-d-1', eventIds: ['model.version.created:fraud-detector:12'] },
    });
    const again = await call(sign(body), body);
    expect(again).toMatchObject({
      status: 202,
      jsonBody: { status: 'duplicate', firstReceiptId: (ok.jsonBody as { receiptId: string }).receiptId },
    });
    expect((deps.publisher as MemoryEventPublisher).events.map((e) => e.id)).toEqual([
      'model.version.created:fraud-detector:12',
    ]);
    const receipts = (deps.receipts as MemoryReceiptStore).receipts.filter((r) => r.source === 'acme');
    expect(receipts.map((r) => r.outcome).sort()).toEqual([
      'accepted',
      'duplicate',
      'rejected',
      'rejected',
      'rejected',
    ]);
  });

  it('answers bad payloads 400 naming the field, like every source', async () => {
    const body = JSON.stringify({ kind: 'version.ready', model: '' });
    const res = await call(sign(body), body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.jsonBody.fields)).toMatch(/model/);
    expect(JSON.stringify(res.jsonBody.fields)).toMatch(/version/);
  });

  it('has its settings validated with the rest of the intake settings, naming the setting and never its value', () => {
    const schema = intakeSettingsSchema(EXTENDED);
    const bad = schema.safeParse({ ...BASE_ENV, ACME_WEBHOOK_SECRETS: 'SECRETVALUE' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['ACME_WEBHOOK_SECRETS.0', 'each secret needs at least 16 characters'],
    ]);
    expect(JSON.stringify(bad.error?.issues)).not.toContain('SECRETVALUE');
    // Unset: an empty list (the verifier then refuses every delivery as not configured).
    expect(intakeConfig(EXTENDED, schema.parse(BASE_ENV)).acme).toEqual({ secrets: [] });
    expect(intakeSettingsDoc(EXTENDED)).toContainEqual({
      name: 'ACME_WEBHOOK_SECRETS',
      section: 'intake',
      required: false,
      secret: true,
      description: 'Acme webhook secrets, comma-separated for rotation.',
    });
  });

  it("is listed in docs/SECURITY.md's generated intake table with its auth kind", () => {
    const doc = withIntakeTable(
      readFileSync(join(REPO_ROOT, 'docs', 'SECURITY.md'), 'utf8'),
      intakeRouteRows(EXTENDED),
    );
    expect(doc).toContain(
      '| POST | `/api/webhooks/acme` | signature | Acme registry: `X-Acme-Signature` hex HMAC of the body (`ACME_WEBHOOK_SECRETS`) |',
    );
  });

  it('cannot claim a route, setting or name another source has', () => {
    const clash = (over: Partial<IntakeSource>): IntakeSource => ({ ...acmeSource, ...over });
    expect(() =>
      intakeSettingsSchema([...SOURCE_LIST, clash({ http: { ...acmeSource.http, route: 'webhooks/github' } })]),
    ).toThrow(/github and acme both declare route webhooks\/github/);
    expect(() =>
      intakeSettingsSchema([
        ...SOURCE_LIST,
        clash({
          settings: {
            ...acmeSource.settings,
            env: { GITHUB_WEBHOOK_SECRETS: acmeSource.settings.env['ACME_WEBHOOK_SECRETS']! },
          },
        }),
      ]),
    ).toThrow(/both declare setting GITHUB_WEBHOOK_SECRETS/);
    expect(() => intakeSettingsSchema([...SOURCE_LIST, clash({ name: 'mlflow' })])).toThrow(
      /both declare source mlflow/,
    );
  });

  it('the sources list loads no config, audit or records module, so the config may import INTAKE_SETTINGS (no load-order cycle)', () => {
    const script = "require('./dist/shared/intake/sources'); console.log(JSON.stringify(Object.keys(require.cache)))";
    const loaded = (
      JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' })) as string[]
    ).map((f) => f.replace(/\\/g, '/'));
    expect(loaded.some((f) => f.endsWith('/dist/shared/intake/sources/index.js'))).toBe(true);
    expect(loaded.filter((f) => /\/dist\/shared\/(config|audit|records|bus)\//.test(f))).toEqual([]);
  });
});
