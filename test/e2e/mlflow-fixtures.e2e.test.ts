/**
 * The deliveries captured from a real MLflow 3.17.2 server (test/e2e/fixtures/mlflow-webhooks, recorded by
 * scripts/mlflow/capture-webhooks.ts) against Stagecraft's intake code: the real bytes verify with the MLflow
 * verifier and parse into the Stagecraft events the workflows expect.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlflowSignature } from '../../scripts/mlflow';
import { normalizeRequest } from '../../shared/intake/request';
import { mlflowSource } from '../../shared/intake/sources/mlflow';
import type { ParseContext } from '../../shared/intake/sources/types';
import { StandardWebhooksVerifier } from '../../shared/intake/verifiers';
import { testConfig } from '../intake/helpers';

interface Fixture {
  file: string;
  secret: string | null;
  request: { headers: Record<string, string>; rawBody: string };
}

const DIR = join(__dirname, 'fixtures', 'mlflow-webhooks');
const deliveries: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'webhook-create-response.json')
  .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Omit<Fixture, 'file'>) }));
const signed = deliveries.filter((d) => d.secret !== null);

const at = (d: Fixture) => Number(d.request.headers['x-mlflow-timestamp']) * 1000;
const request = (d: Fixture) => normalizeRequest({ headers: d.request.headers, rawBody: d.request.rawBody });

describe('captured MLflow deliveries', () => {
  it('cover every model-registry event Stagecraft consumes, signed and unsigned', () => {
    const names = new Set(
      deliveries.map((d) => {
        const b = JSON.parse(d.request.rawBody) as { entity: string; action: string };
        return `${b.entity}.${b.action}`;
      }),
    );
    expect([...names].sort()).toEqual([
      'model_version.created',
      'model_version_alias.created',
      'model_version_alias.deleted',
      'model_version_tag.deleted',
      'model_version_tag.set',
      'registered_model.created',
    ]);
    expect(deliveries.some((d) => d.secret === null && d.request.headers['x-mlflow-signature'] === undefined)).toBe(
      true,
    );
  });

  it.each(signed.map((d) => [d.file, d] as const))(
    '%s: the signature is base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>" keyed by the raw secret',
    (_f, d) => {
      const h = d.request.headers;
      expect(h['x-mlflow-signature']).toBe(
        mlflowSignature(d.secret!, h['x-mlflow-delivery-id']!, h['x-mlflow-timestamp']!, d.request.rawBody),
      );
    },
  );

  it.each(signed.map((d) => [d.file, d] as const))(
    "%s: Stagecraft's MLflow verifier accepts it at its timestamp and refuses a wrong secret",
    (_f, d) => {
      const ok = new StandardWebhooksVerifier({ secrets: [d.secret!], toleranceSeconds: 300 }).verify(
        request(d),
        at(d),
      );
      expect(ok).toEqual({ ok: true });
      const wrong = new StandardWebhooksVerifier({ secrets: ['not-the-secret'], toleranceSeconds: 300 }).verify(
        request(d),
        at(d),
      );
      expect(wrong).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
      const late = new StandardWebhooksVerifier({ secrets: [d.secret!], toleranceSeconds: 300 }).verify(
        request(d),
        at(d) + 301_000,
      );
      expect(late).toMatchObject({ ok: false, code: 'INTAKE_TIMESTAMP_STALE' });
    },
  );

  it.each(deliveries.map((d) => [d.file, d] as const))(
    "%s: Stagecraft's MLflow source parses it into a Stagecraft event",
    (_f, d) => {
      const ctx = {
        config: testConfig(),
        now: new Date(at(d)).toISOString(),
        deliveryId: d.request.headers['x-mlflow-delivery-id']!,
      } as ParseContext;
      const outcome = mlflowSource.parse(JSON.parse(d.request.rawBody), ctx);
      expect(outcome.kind).toBe('events');
    },
  );

  it('retries of one delivery repeat the delivery id, timestamp, signature and body byte for byte', () => {
    const retries = deliveries.filter((d) => d.file.startsWith('retry-'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    const first = retries[0]!.request;
    for (const r of retries) {
      expect(r.request.rawBody).toBe(first.rawBody);
      for (const h of ['x-mlflow-delivery-id', 'x-mlflow-timestamp', 'x-mlflow-signature'])
        expect(r.request.headers[h]).toBe(first.headers[h]);
    }
  });

  it('the same event sent to two webhooks gets a different delivery id and its own body timestamp', () => {
    const unsigned = deliveries.find((d) => d.file === 'unsigned-model_version-created.json')!;
    const twin = deliveries.find(
      (d) =>
        d.secret !== null &&
        d.request.rawBody.includes('"version": "2"') &&
        d.request.rawBody.includes('"entity": "model_version"'),
    )!;
    expect(unsigned.request.headers['x-mlflow-delivery-id']).not.toBe(twin.request.headers['x-mlflow-delivery-id']);
    const ts = (d: Fixture) => (JSON.parse(d.request.rawBody) as { timestamp: string }).timestamp;
    expect(ts(unsigned)).not.toBe(ts(twin));
  });
});
