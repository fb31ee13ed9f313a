/**
 * The Unity Catalog relay intake, from the sender's and an attacker's side, through handleDelivery with the in-memory
 * publisher and receipts: signature over `timestamp.body`, replay window, secret rotation, delivery ids, and the
 * events (same business keys as the MLflow webhook and the reconcilers).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import { EVENT_TYPES, dedupeKey } from '../../shared/events';
import { handleDelivery, type IntakeDeps } from '../../shared/intake';
import { MemoryReceiptStore } from '../../shared/records/memory';
import { ucVersionEvent } from '../../shared/reconciler/unity-catalog';
import { NOW_MS, NOW_S, testConfig } from './helpers';

const CURRENT = 'uc-relay-secret-new';
const PREVIOUS = 'uc-relay-secret-old';

function setup(env: Record<string, string> = {}) {
  const publisher = new MemoryEventPublisher();
  const receipts = new MemoryReceiptStore();
  let n = 0;
  const deps: IntakeDeps = {
    publisher,
    receipts,
    config: testConfig({ DATABRICKS_UC_WEBHOOK_SECRETS: `${CURRENT},${PREVIOUS}`, ...env }),
    clock: () => NOW_MS,
    newId: () => `r${++n}`,
  };
  return { publisher, receipts, deps };
}

function signed(body: string, o: { secret?: string; ts?: number; id?: string } = {}): Record<string, string> {
  const ts = String(o.ts ?? NOW_S);
  const sig = createHmac('sha256', o.secret ?? CURRENT)
    .update(`${ts}.${body}`)
    .digest('hex');
  return {
    'Content-Type': 'application/json',
    'X-Stagecraft-Timestamp': ts,
    'X-Stagecraft-Signature': `v1=${sig}`,
    'X-Stagecraft-Delivery-Id': o.id ?? 'run-7781:1',
  };
}

const READY = {
  condition: 'MODEL_VERSION_READY',
  updates: [{ full_name: 'main.ml.breast_cancer_classifier', version: 1, alias_name: null }],
  job_id: 42,
  run_id: 7781,
};

async function deliver(deps: IntakeDeps, body: string, headers: Record<string, string>) {
  return handleDelivery('databricks-uc', { headers, rawBody: Buffer.from(body) }, deps);
}

describe('databricks-uc intake (relay job)', () => {
  it('accepts a signed MODEL_VERSION_READY update as model.version.created with the (name, version) business key', async () => {
    const { publisher, receipts, deps } = setup();
    const body = JSON.stringify(READY);
    const res = await deliver(deps, body, signed(body));
    expect(res.httpStatus).toBe(202);
    expect(publisher.events).toHaveLength(1);
    const e = publisher.events[0]!;
    expect(e.type).toBe(EVENT_TYPES.modelVersionCreated);
    expect(e.data).toMatchObject({
      model: { name: 'main.ml.breast_cancer_classifier', version: '1' },
      registry: 'databricks',
    });
    // The same key the MLflow webhook path and the UC reconciler produce for that version.
    expect(e.id).toBe(dedupeKey(EVENT_TYPES.modelVersionCreated, e.data as never));
    expect(e.id).toBe(
      ucVersionEvent(
        'main.ml.breast_cancer_classifier',
        { version: '1', aliases: [], status: 'READY' },
        new Date(NOW_MS).toISOString(),
      ).id,
    );
    expect(receipts.receipts[0]).toMatchObject({
      source: 'databricks-uc',
      outcome: 'accepted',
      deliveryId: 'run-7781:1',
    });
  });

  it('accepts the trigger list in its string form (job parameters are strings) and turns alias updates into alias events', async () => {
    const { publisher, deps } = setup();
    const body = JSON.stringify({
      condition: 'MODEL_ALIAS_SET',
      updates: JSON.stringify([
        { full_name: 'main.ml.m', version: '3', alias_name: 'champion' },
        { full_name: 'main.ml.m', version: '4' },
      ]),
    });
    const res = await deliver(deps, body, signed(body));
    expect(res.httpStatus).toBe(202);
    expect(publisher.events.map((e) => e.type)).toEqual([
      EVENT_TYPES.modelAliasChanged,
      EVENT_TYPES.modelVersionCreated,
    ]);
    expect(publisher.events[0]!.data).toMatchObject({
      model: { name: 'main.ml.m' },
      alias: 'champion',
      version: '3',
      change: 'set',
    });
  });

  it('accepts the previous secret during rotation', async () => {
    const { deps } = setup();
    const body = JSON.stringify(READY);
    expect((await deliver(deps, body, signed(body, { secret: PREVIOUS }))).httpStatus).toBe(202);
  });

  it('refuses a wrong secret, a tampered body, a missing signature and a malformed one with 401, publishing nothing and echoing no secret', async () => {
    const { publisher, receipts, deps } = setup();
    const body = JSON.stringify(READY);
    const wrong = await deliver(deps, body, signed(body, { secret: 'guess', id: 'a' }));
    expect(wrong).toMatchObject({ httpStatus: 401, body: { code: 'INTAKE_SIGNATURE_INVALID' } });
    const tampered = await deliver(deps, body.replace('"version":1', '"version":2'), signed(body, { id: 'b' }));
    expect(tampered).toMatchObject({ httpStatus: 401, body: { code: 'INTAKE_SIGNATURE_INVALID' } });
    const { 'X-Stagecraft-Signature': _drop, ...unsigned } = signed(body, { id: 'c' });
    expect(await deliver(deps, body, unsigned)).toMatchObject({
      httpStatus: 401,
      body: { code: 'INTAKE_SIGNATURE_MISSING' },
    });
    expect(
      await deliver(deps, body, { ...signed(body, { id: 'd' }), 'X-Stagecraft-Signature': 'sha256=abc' }),
    ).toMatchObject({ httpStatus: 401, body: { code: 'INTAKE_SIGNATURE_MALFORMED' } });
    expect(publisher.events).toHaveLength(0);
    const text = JSON.stringify(receipts.receipts);
    expect(text).not.toContain(CURRENT);
    expect(text).not.toContain(PREVIOUS);
  });

  it('refuses a captured delivery replayed outside the window (stale or from the future)', async () => {
    const { publisher, deps } = setup();
    const body = JSON.stringify(READY);
    expect(await deliver(deps, body, signed(body, { ts: NOW_S - 301, id: 'old' }))).toMatchObject({
      httpStatus: 401,
      body: { code: 'INTAKE_TIMESTAMP_STALE' },
    });
    expect(await deliver(deps, body, signed(body, { ts: NOW_S + 301, id: 'future' }))).toMatchObject({
      httpStatus: 401,
      body: { code: 'INTAKE_TIMESTAMP_STALE' },
    });
    expect(publisher.events).toHaveLength(0);
  });

  it('answers a repeated delivery id as a duplicate without publishing again', async () => {
    const { publisher, deps } = setup();
    const body = JSON.stringify(READY);
    const first = await deliver(deps, body, signed(body));
    const again = await deliver(deps, body, signed(body));
    expect(first.body.status).toBe('accepted');
    expect(again.body.status).toBe('duplicate');
    expect(publisher.events).toHaveLength(1);
  });

  it('refuses a name that is not three-level with 400 naming the field; an empty list is ignored', async () => {
    const { publisher, deps } = setup();
    const bad = JSON.stringify({ updates: [{ full_name: 'breast_cancer_classifier', version: 1 }] });
    const res = await deliver(deps, bad, signed(bad, { id: 'bad' }));
    expect(res.httpStatus).toBe(400);
    expect(JSON.stringify(res.body)).toContain('updates[0].full_name');
    const empty = JSON.stringify({ updates: [] });
    expect((await deliver(deps, empty, signed(empty, { id: 'empty' }))).body.status).toBe('ignored');
    expect(publisher.events).toHaveLength(0);
  });

  it('is refused when no relay secret is configured', async () => {
    const { deps } = setup({ DATABRICKS_UC_WEBHOOK_SECRETS: '' });
    const body = JSON.stringify(READY);
    expect(await deliver(deps, body, signed(body))).toMatchObject({
      httpStatus: 401,
      body: { code: 'INTAKE_SOURCE_NOT_CONFIGURED' },
    });
  });
});
