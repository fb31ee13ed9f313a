/**
 * The shared HTTP adapter the intake functions use, driven with a WHATWG Request (the same interface
 * @azure/functions' HttpRequest offers): raw bytes reach the verifier unchanged, the answer is an HttpResponseInit.
 */
import { describe, expect, it } from 'vitest';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import { ConfigError } from '../../shared/errors';
import { intakeHttpHandler, type HttpRequestLike, type IntakeDeps } from '../../shared/intake';
import { MemoryReceiptStore } from '../../shared/records/memory';
import * as fx from './fixtures';
import { NOW_MS, githubHeaders, mlflowHeaders, pythonJson, testConfig } from './helpers';

function httpRequest(url: string, headers: Record<string, string>, body: string): HttpRequestLike {
  const r = new Request(url, { method: 'POST', headers, body });
  return { headers: r.headers, query: new URL(url).searchParams, arrayBuffer: () => r.arrayBuffer() };
}

function deps(overrides: Record<string, string> = {}): IntakeDeps {
  return {
    publisher: new MemoryEventPublisher(),
    receipts: new MemoryReceiptStore(),
    config: testConfig(overrides),
    clock: () => NOW_MS,
  };
}

describe('intakeHttpHandler', () => {
  it('verifies the exact bytes (Python-style JSON spacing) and answers 202 JSON with event ids', async () => {
    const body = pythonJson(fx.mlflowVersionCreated);
    const d = deps();
    const res = await intakeHttpHandler(
      'mlflow',
      () => d,
    )(httpRequest('http://127.0.0.1/api/webhooks/mlflow', mlflowHeaders(body), body));
    expect(res.status).toBe(202);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.jsonBody).toMatchObject({ status: 'accepted', eventIds: ['model.version.created:fraud-detector:7'] });
  });

  it('answers 413 from Content-Length alone when it exceeds the limit', async () => {
    const d = deps({ INTAKE_MAX_BODY_BYTES: '1024' });
    const body = JSON.stringify({ pad: 'x'.repeat(5000) });
    const res = await intakeHttpHandler(
      'github',
      () => d,
    )(
      httpRequest(
        'http://127.0.0.1/api/webhooks/github',
        { ...githubHeaders(body, 'push'), 'content-length': String(body.length) },
        body,
      ),
    );
    expect(res.status).toBe(413);
  });

  it('maps a configuration error to a 500 with its code and correlation id, logging the settings instead of answering them', async () => {
    const errors: string[] = [];
    const res = await intakeHttpHandler('github', () => {
      throw new ConfigError('Stagecraft settings are missing or invalid:\n- ServiceBusConnection: neither is set.', {
        problems: [{ setting: 'ServiceBusConnection' }],
      });
    })(httpRequest('http://127.0.0.1/api/webhooks/github', {}, '{}'), {
      invocationId: 'inv-1',
      error: (l) => errors.push(String(l)),
    });
    expect(res.status).toBe(500);
    expect(res.jsonBody).toMatchObject({ status: 'failed', code: 'CONFIG_INVALID', correlationId: 'inv-1' });
    expect(JSON.stringify(res.jsonBody)).not.toContain('ServiceBusConnection');
    expect(errors.join('\n')).toContain('ServiceBusConnection');
  });

  it('writes structured log lines with the receipt id through the invocation context', async () => {
    const lines: string[] = [];
    const body = JSON.stringify(fx.githubPing);
    const d = deps();
    await intakeHttpHandler('github', () => d)(
      httpRequest('http://127.0.0.1/api/webhooks/github', githubHeaders(body, 'ping'), body),
      { invocationId: 'inv-2', log: (l) => lines.push(String(l)) },
    );
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      msg: 'intake delivery',
      invocationId: 'inv-2',
      source: 'github',
      outcome: 'ignored',
    });
    expect(typeof entry.receiptId).toBe('string');
  });
});
