/** Each verification scheme on its own: accepted forms, refusals and their reasons (which never contain secrets). */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeRequest } from '../../shared/intake';
import {
  AnyOfVerifier,
  BasicAuthVerifier,
  HexHmacVerifier,
  safeEqual,
  SharedSecretVerifier,
  StandardWebhooksVerifier,
} from '../../shared/intake/verifiers';
import { NOW_MS, NOW_S, basic } from './helpers';

const req = (headers: Record<string, string>, body = '{"a":1}', query: Record<string, string> = {}) =>
  normalizeRequest({ headers, rawBody: body, query });
const b64 = (secret: string, msg: string) => createHmac('sha256', secret).update(msg).digest('base64');

describe('Standard Webhooks (MLflow)', () => {
  const v = new StandardWebhooksVerifier({ secrets: ['s1', 's2'], toleranceSeconds: 300 });
  const headers = (sig: string, ts = NOW_S) => ({
    'x-mlflow-delivery-id': 'id1',
    'x-mlflow-timestamp': String(ts),
    'x-mlflow-signature': sig,
  });

  it('accepts v1,<base64 HMAC of "id.timestamp.body"> with any active secret', () => {
    expect(v.verify(req(headers(`v1,${b64('s1', `id1.${NOW_S}.{"a":1}`)}`)), NOW_MS)).toEqual({ ok: true });
    expect(v.verify(req(headers(`v1,${b64('s2', `id1.${NOW_S}.{"a":1}`)}`)), NOW_MS)).toEqual({ ok: true });
  });

  it('accepts when any of several space-separated signatures matches, skipping other versions', () => {
    const good = b64('s2', `id1.${NOW_S}.{"a":1}`);
    expect(v.verify(req(headers(`v1a,zzz v1,${b64('x', 'y')} v1,${good}`)), NOW_MS)).toEqual({ ok: true });
  });

  it('refuses the signature of another delivery id (id is part of the signed content)', () => {
    const sig = `v1,${b64('s1', `other.${NOW_S}.{"a":1}`)}`;
    expect(v.verify(req(headers(sig)), NOW_MS)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
  });

  it('refuses timestamps outside the window in both directions and non-numeric ones', () => {
    const at = (ts: number) => v.verify(req(headers(`v1,${b64('s1', `id1.${ts}.{"a":1}`)}`, ts)), NOW_MS);
    expect(at(NOW_S - 300)).toEqual({ ok: true });
    expect(at(NOW_S - 301)).toMatchObject({ code: 'INTAKE_TIMESTAMP_STALE' });
    expect(at(NOW_S + 301)).toMatchObject({ code: 'INTAKE_TIMESTAMP_STALE' });
    expect(v.verify(req({ ...headers('v1,AAAA'), 'x-mlflow-timestamp': '2026-05-14' }), NOW_MS)).toMatchObject({
      code: 'INTAKE_TIMESTAMP_INVALID',
    });
  });

  it('names the missing header and refuses signatures without a v1 entry', () => {
    expect(v.verify(req({}), NOW_MS)).toMatchObject({
      code: 'INTAKE_SIGNATURE_MISSING',
      reason: 'missing X-MLflow-Signature header',
    });
    expect(v.verify(req(headers('sha256=abc')), NOW_MS)).toMatchObject({ code: 'INTAKE_SIGNATURE_MALFORMED' });
  });
});

describe('hex HMAC (Databricks, GitHub)', () => {
  const hex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

  it('accepts X-Databricks-Signature hex in any case', () => {
    const v = new HexHmacVerifier({ header: 'X-Databricks-Signature', secrets: ['k'] });
    expect(v.verify(req({ 'x-databricks-signature': hex('k', '{"a":1}').toUpperCase() }))).toEqual({ ok: true });
  });

  it('requires the sha256= prefix for GitHub and refuses the legacy sha1 header alone', () => {
    const v = new HexHmacVerifier({ header: 'X-Hub-Signature-256', prefix: 'sha256=', secrets: ['k'] });
    expect(v.verify(req({ 'x-hub-signature-256': `sha256=${hex('k', '{"a":1}')}` }))).toEqual({ ok: true });
    expect(v.verify(req({ 'x-hub-signature-256': hex('k', '{"a":1}') }))).toMatchObject({
      code: 'INTAKE_SIGNATURE_MALFORMED',
    });
    expect(v.verify(req({ 'x-hub-signature': 'sha1=abc' }))).toMatchObject({ code: 'INTAKE_SIGNATURE_MISSING' });
  });

  it('refuses a signature over different bytes (re-serialized JSON does not verify)', () => {
    const v = new HexHmacVerifier({ header: 'X-Databricks-Signature', secrets: ['k'] });
    expect(v.verify(req({ 'x-databricks-signature': hex('k', '{"a": 1}') }, '{"a":1}'))).toMatchObject({
      code: 'INTAKE_SIGNATURE_INVALID',
    });
  });
});

describe('basic auth and shared secrets', () => {
  it('accepts the right user and any active password; refuses a wrong user', () => {
    const v = new BasicAuthVerifier({ username: 'u', passwords: ['p1', 'p2'] });
    expect(v.verify(req({ authorization: basic('u', 'p2') }))).toEqual({ ok: true });
    expect(v.verify(req({ authorization: basic('x', 'p1') }))).toMatchObject({ code: 'INTAKE_CREDENTIALS_INVALID' });
    expect(v.verify(req({ authorization: 'Bearer abc' }))).toMatchObject({ code: 'INTAKE_CREDENTIALS_MISSING' });
  });

  it('reads a key from the configured header or query parameter', () => {
    const v = new SharedSecretVerifier({ secrets: ['k1'], headers: ['X-Stagecraft-Key'], queryParams: ['key'] });
    expect(v.verify(req({ 'x-stagecraft-key': 'k1' }))).toEqual({ ok: true });
    expect(v.verify(req({}, '{}', { key: 'k1' }))).toEqual({ ok: true });
    expect(v.verify(req({}, '{}', { code: 'k1' }))).toMatchObject({ code: 'INTAKE_CREDENTIALS_MISSING' });
  });

  it('any-of reports the most specific refusal (a wrong credential over a missing one)', () => {
    const v = new AnyOfVerifier([
      new BasicAuthVerifier({ username: 'u', passwords: ['p'] }),
      new SharedSecretVerifier({ secrets: ['h'], headers: ['X-T'] }),
    ]);
    expect(v.verify(req({ 'x-t': 'h' }), NOW_MS)).toEqual({ ok: true });
    expect(v.verify(req({ 'x-t': 'wrong' }), NOW_MS)).toMatchObject({ code: 'INTAKE_CREDENTIALS_INVALID' });
    expect(new AnyOfVerifier([]).verify(req({}), NOW_MS)).toMatchObject({ code: 'INTAKE_SOURCE_NOT_CONFIGURED' });
  });

  it('refusal reasons never contain the configured secret or the expected signature', () => {
    const secret = 'super-secret-value';
    const results = [
      new StandardWebhooksVerifier({ secrets: [secret], toleranceSeconds: 300 }).verify(
        req({ 'x-mlflow-delivery-id': 'i', 'x-mlflow-timestamp': String(NOW_S), 'x-mlflow-signature': 'v1,AAAA' }),
        NOW_MS,
      ),
      new HexHmacVerifier({ header: 'X-Databricks-Signature', secrets: [secret] }).verify(
        req({ 'x-databricks-signature': 'a'.repeat(64) }),
      ),
      new BasicAuthVerifier({ username: 'u', passwords: [secret] }).verify(req({ authorization: basic('u', 'x') })),
      new SharedSecretVerifier({ secrets: [secret], headers: ['X-K'] }).verify(req({ 'x-k': 'x' })),
    ];
    const expectedSig = createHmac('sha256', secret).update('{"a":1}').digest('hex');
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect(JSON.stringify(r)).not.toContain(secret);
      expect(JSON.stringify(r)).not.toContain(expectedSig);
    }
  });

  it('safeEqual compares by content and refuses different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
