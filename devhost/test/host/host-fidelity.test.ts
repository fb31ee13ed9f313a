/**
 * Functions host fidelity, over the real local host (`devhost start` as a child process) and the fixture in
 * fixtures/fidelity-app: what the Node worker, the Node library and the Functions host do that apps (and Microsoft's
 * Node.js end-to-end suite) rely on — invocation hook inputs, Service Bus string bodies, timer retry policies,
 * `AzureWebJobs.<name>.Disabled`, appTerminate only after appStart, unresolved `%Setting%` disabling one function.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { parseRetryPolicy, retryDelayMs } from '../../host/retry';
import { outputBody, triggerBody } from '../../servicebus/trigger-input';
import { freePort, runHostToExit, startHostProcess, type HostProcess } from '../helpers/host';

const APP = resolve(__dirname, 'fixtures', 'fidelity-app');

interface Seen {
  hooks: Array<Record<string, unknown>>;
  logHook: Array<Record<string, unknown>>;
  one: unknown[];
  many: unknown[];
  retry: Array<{ retryCount: number; maxRetryCount: number; exception: string | null } | null>;
  backoff: number[];
  disabledTimerRan: boolean;
}

async function sbConnection(): Promise<string> {
  return `Endpoint=sb://127.0.0.1:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the fidelity app on the local host', () => {
  let host: HostProcess;
  let exitCode: number | null | undefined;
  const seen = async () => (await (await fetch(`${host.baseUrl}/api/seen`)).json()) as Seen;

  beforeAll(async () => {
    host = await startHostProcess({
      appDir: APP,
      env: {
        ServiceBusConnection: await sbConnection(),
        'AzureWebJobs.disabledHttp.Disabled': 'true',
        'AzureWebJobs.disabledTimer.Disabled': '1',
      },
    });
  }, 90_000);

  afterAll(async () => {
    if (exitCode === undefined) await host?.stop();
  });

  it('a preInvocation hook sees only the trigger input, and an input it adds comes before the context, as the worker calls handler(...inputs, context)', async () => {
    const res = await fetch(`${host.baseUrl}/api/hooked`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ extra: 'added-by-hook', method: 'GET' });
    expect((await seen()).hooks).toEqual([
      { hook: 'pre', inputs: 1, firstIsRequest: true, handler: 'function' },
      { hook: 'post', inputs: 2, mark: 'from-pre', result: { extra: 'added-by-hook', method: 'GET' }, error: null },
    ]);
  });

  it('log hooks see each user log (formatted with util.format, as the library does) and may rewrite it', async () => {
    await host.waitForLog('[log-hook] hooked ran with added-by-hook');
    expect((await seen()).logHook).toEqual([{ category: 'user', level: 'information', fn: 'hooked' }]);
  });

  it('Service Bus triggers (one and many) get JSON-encoded string bodies parsed, as @azure/functions parses string trigger data', async () => {
    const values = ['abc', { n: 1 }, 'plain text', 42, [1, 'two']];
    const res = await fetch(`${host.baseUrl}/api/sbSend`, { method: 'POST', body: JSON.stringify(values) });
    expect(res.status).toBe(202);
    const s = await until(seen, (v) => v.one.length >= values.length && v.many.length >= values.length);
    // A batch keeps the queue order; single messages run concurrently.
    expect(s.many).toEqual(values);
    expect(s.one).toHaveLength(values.length);
    expect(s.one).toEqual(expect.arrayContaining(values));
  });

  it('a timer retry policy (fixedDelay) re-runs a failed run with context.retryContext until it passes', async () => {
    const s = await until(seen, (v) => v.retry.length >= 3);
    expect(s.retry).toEqual([
      null,
      { retryCount: 1, maxRetryCount: 3, exception: 'retryTimer error on attempt 0' },
      { retryCount: 2, maxRetryCount: 3, exception: 'retryTimer error on attempt 1' },
    ]);
    await host.waitForLog('retryTimer pass on attempt 2');
    expect(host.logs()).toMatch(
      /Waiting for `00:00:01` before retrying function execution\. Next attempt: '1'\. Max retry count: '3'/,
    );
  });

  it('an exponentialBackoff policy stops after maxRetryCount retries', async () => {
    await host.waitForLog('All retries have been exhausted');
    const s = await seen();
    expect(s.backoff).toEqual([0, 1]);
  });

  it('a retry policy on a Service Bus trigger is accepted and ignored with a warning, as Azure ignores it', () => {
    expect(host.logs()).toContain('Azure ignores function-level retry policies for serviceBusTrigger');
  });

  it('AzureWebJobs.<name>.Disabled (true or 1) keeps a function from running: listed as disabled, HTTP answers 404, a timer never fires', async () => {
    const listing = host.logs().slice(host.logs().indexOf('Functions:'));
    expect(listing).toContain('disabledHttp: httpTrigger (disabled by app setting AzureWebJobs.disabledHttp.Disabled)');
    expect(listing).toContain(
      'disabledTimer: timerTrigger (disabled by app setting AzureWebJobs.disabledTimer.Disabled)',
    );
    expect((await fetch(`${host.baseUrl}/api/disabledHttp`)).status).toBe(404);
    // The other runOnStartup timers ran already (retries above), so this one would have too.
    await until(seen, (v) => v.retry.length >= 3);
    expect((await seen()).disabledTimerRan).toBe(false);
  });

  it("a binding %Setting% that is not set disables that function with the real host's message; the rest start", () => {
    const logs = host.logs();
    expect(logs).toContain(
      "Error indexing method 'Functions.unresolvedTimer'. Microsoft.Azure.WebJobs.Host: '%FIDELITY_NO_SUCH_SCHEDULE%' does not resolve to a value.",
    );
    expect(logs).toContain("Function 'unresolvedTimer' failed indexing and will be disabled.");
    expect(logs).toMatch(
      /Functions in error \(not running\):\s+unresolvedTimer: .*'%FIDELITY_NO_SUCH_SCHEDULE%' does not resolve to a value/,
    );
  });

  it('appTerminate hooks run at a normal stop (after appStart ran)', async () => {
    expect(host.logs()).toContain('FIDELITY appStart ran');
    exitCode = await host.stop();
    expect(exitCode).toBe(0);
    expect(host.logs()).toContain('FIDELITY appTerminate ran');
  });
});

describe('start-up failures of the fidelity app', () => {
  it('a retry policy on an HTTP trigger stops start-up naming the function, and appTerminate does not run since appStart never did', async () => {
    const { code, output } = await runHostToExit({
      appDir: APP,
      env: { FID_KIND: 'http-retry', ServiceBusConnection: await sbConnection() },
    });
    expect(code).toBe(1);
    expect(output).toMatch(/Start-up failed/);
    expect(output).toMatch(/Function "retryHttp": retry policies are not supported for httpTrigger functions in Azure/);
    expect(output).not.toContain('FIDELITY appStart ran');
    expect(output).not.toContain('FIDELITY appTerminate ran');
  });

  it('an unknown retry strategy stops start-up naming the function and the field', async () => {
    const { code, output } = await runHostToExit({
      appDir: APP,
      env: { FID_KIND: 'bad-retry', ServiceBusConnection: await sbConnection() },
    });
    expect(code).toBe(1);
    expect(output).toMatch(
      /Function "badRetryTimer": invalid retry policy: retry\.strategy must be "fixedDelay" or "exponentialBackoff"; found "linear"/,
    );
  });
});

describe('retry policy arithmetic (as WebJobs computes it)', () => {
  it('reads the durations @azure/functions registers and backs off exponentially between the bounds', () => {
    const fixed = parseRetryPolicy({
      strategy: 'fixedDelay',
      retryStrategy: 'fixedDelay',
      maxRetryCount: 5,
      delayInterval: { seconds: 3 },
    });
    expect(fixed).toMatchObject({ strategy: 'fixedDelay', maxRetryCount: 5, delayMs: 3000 });
    expect([1, 2, 5].map((n) => retryDelayMs(fixed!, n))).toEqual([3000, 3000, 3000]);
    const exp = parseRetryPolicy({
      strategy: 'exponentialBackoff',
      maxRetryCount: -1,
      minimumInterval: { seconds: 2 },
      maximumInterval: { seconds: 30 },
    });
    // round((2^n - 1) / 2) × minimum, clamped to [minimum, maximum]
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(exp!, n))).toEqual([2000, 4000, 8000, 16000, 30000]);
    expect(parseRetryPolicy(undefined)).toBeUndefined();
    expect(() => parseRetryPolicy({ strategy: 'fixedDelay', maxRetryCount: 2 })).toThrow(/delayInterval/);
    expect(() =>
      parseRetryPolicy({
        strategy: 'exponentialBackoff',
        maxRetryCount: 2,
        minimumInterval: { seconds: 5 },
        maximumInterval: { seconds: 1 },
      }),
    ).toThrow(/maximumInterval/);
    expect(() =>
      parseRetryPolicy({ strategy: 'fixedDelay', maxRetryCount: -2, delayInterval: { seconds: 1 } }),
    ).toThrow(/maxRetryCount/);
  });
});

describe('Service Bus bodies on the wire (as the Functions host and @azure/functions convert them)', () => {
  const msg = (body: unknown) => ({ body }) as unknown as ServiceBusReceivedMessage;
  it('an output string is sent as its raw UTF-8 text and a trigger JSON-parses text bodies, so values round-trip', () => {
    for (const v of ['abc', '"quoted"', { n: 1 }, 42, 'not json {', [1, 'two']]) {
      const wire = outputBody(typeof v === 'string' ? v : JSON.stringify(v));
      expect(triggerBody(msg(wire), undefined)).toEqual(typeof v === 'string' ? (v === '"quoted"' ? 'quoted' : v) : v);
    }
    expect(outputBody('abc').toString('utf8')).toBe('abc');
    expect(outputBody({ a: 1 }).toString('utf8')).toBe('{"a":1}');
    expect(triggerBody(msg(Buffer.from('{"a":1}')), 'binary')).toEqual(Buffer.from('{"a":1}'));
    // An AMQP value body that is a string goes through the same parse.
    expect(triggerBody(msg('{"a":1}'), undefined)).toEqual({ a: 1 });
  });
});
