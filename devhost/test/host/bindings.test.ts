/**
 * Extra inputs and outputs reach the extension that owns their binding type (the contract durable and Service Bus
 * use). The host runs in this process here because the owning extension is a test one; it is still driven over HTTP.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpExtension } from '../../http/extension';
import { LocalHost } from '../../host/host';
import { loadAppFunctionsLibrary } from '../../host/loader';
import type { BindingInfo, HostExtension } from '../../host/types';

const APP = resolve(__dirname, 'fixtures', 'bindings-app');

describe('extra inputs and outputs', () => {
  const outputs: { binding: BindingInfo; value: unknown; fn: string }[] = [];
  const testExtension: HostExtension = {
    name: 'test-bindings',
    triggerTypes: [],
    inputTypes: ['testConfig'],
    outputTypes: ['testSink'],
    resolveInput: (binding) => ({ greeting: `hello from ${String(binding['key'])}` }),
    handleOutput: async (binding, value, fn) => {
      outputs.push({ binding, value, fn: fn.name });
    },
  };
  const host = new LocalHost({
    appDir: APP,
    port: 0,
    stateDir: mkdtempSync(join(tmpdir(), 'devhost-state-')),
    azurite: false,
    extensions: () => [testExtension, createHttpExtension(() => loadAppFunctionsLibrary(APP))],
  });

  beforeAll(async () => {
    await host.start();
  });
  afterAll(async () => {
    await host.stop(5000);
  });

  it('fills an extra input from its extension before the call and hands an extra output to its extension after it', async () => {
    const res = await fetch(`${host.baseUrl}/api/withBindings`, { method: 'POST', body: 'payload' });
    expect(await res.json()).toEqual({ greeting: 'hello from greeting' });
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toMatchObject({
      fn: 'withBindings',
      value: { received: 'payload', greeting: 'hello from greeting' },
      binding: { type: 'testSink', target: 'audit', direction: 'out' },
    });
  });

  it('does not dispatch an output the function left unset', async () => {
    outputs.length = 0;
    await fetch(`${host.baseUrl}/api/withBindings`, { method: 'POST', body: 'skip' });
    expect(outputs).toHaveLength(0);
  });
});
