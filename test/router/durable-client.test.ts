/**
 * Issue #17 item 5: the durable port's adapter (shared/durable/durable-functions.ts) must hold against what the
 * real Durable extension answers, not only the local host:
 * - a duplicate start of a running id is a 500 from the extension's HTTP API (409 locally): still "exists";
 * - raising into a finished instance resolves silently in durable-functions 3.x (410): reported as "gone".
 * The extension cannot run here, so a tiny HTTP stand-in answers like it at the durable client's port; the local
 * host's own behaviour is checked against the real local host.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagecraftError } from '../../shared/errors';
import { durablePortOf } from '../../shared/durable/durable-functions';
import type { DurablePort } from '../../shared/durable/port';
import { CONFORMANCE_APP, waitFor } from '../../devhost/test/durable/helpers';
import { clientFor } from '../helpers/durable-client';
import { masterKeyFor, startHostProcess, type HostProcess } from '../../devhost/test/helpers/host';

interface Instance {
  name: string;
  status: string;
}

/**
 * Answers like the Durable extension's HTTP API (Azure Storage provider): a start of an id that is running is a
 * bare 500; a raise into a finished instance is a 410; status reads 202/200.
 */
async function startExtensionStandIn(): Promise<{
  url: string;
  instances: Map<string, Instance>;
  calls: string[];
  hideNextStatus: Set<string>;
  refuseStart: Set<string>;
  close(): Promise<void>;
}> {
  const instances = new Map<string, Instance>();
  const calls: string[] = [];
  const hideNextStatus = new Set<string>();
  const refuseStart = new Set<string>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname
      .replace(/^\/runtime\/webhooks\/durabletask/, '')
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    calls.push(`${req.method} ${parts.join('/')}`);
    req.resume();
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && parts[0] === 'orchestrators' && parts.length === 3) {
        const [, name, id] = parts as [string, string, string];
        const cur = instances.get(id);
        // The extension throws (InvalidOperationException); the host answers a bare 500 without the message.
        if ((cur && !['Completed', 'Failed', 'Terminated'].includes(cur.status)) || refuseStart.has(id)) {
          res.writeHead(500);
          return res.end();
        }
        instances.set(id, { name, status: 'Running' });
        return json(202, { id });
      }
      if (req.method === 'GET' && parts[0] === 'instances' && parts.length === 2) {
        const id = parts[1]!;
        const cur = instances.get(id);
        if (!cur || hideNextStatus.delete(id)) return json(404, null);
        return json(cur.status === 'Running' ? 202 : 200, {
          name: cur.name,
          instanceId: id,
          runtimeStatus: cur.status,
          input: null,
          customStatus: null,
          output: null,
          createdTime: '2026-01-01T00:00:00Z',
          lastUpdatedTime: '2026-01-01T00:00:00Z',
        });
      }
      if (req.method === 'POST' && parts[0] === 'instances' && parts[2] === 'raiseEvent') {
        const cur = instances.get(parts[1]!);
        if (!cur) return json(404, null);
        res.writeHead(cur.status === 'Running' ? 202 : 410);
        return res.end();
      }
      json(404, null);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/runtime/webhooks/durabletask/`,
    instances,
    calls,
    hideNextStatus,
    refuseStart,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('durable client against an extension stand-in (500 on duplicate start, 410 on raise)', () => {
  let ext: Awaited<ReturnType<typeof startExtensionStandIn>>;
  let durable: DurablePort;
  beforeAll(async () => {
    ext = await startExtensionStandIn();
    durable = durablePortOf(clientFor(ext.url));
  });
  afterAll(async () => {
    await ext.close();
  });

  it('a racing second start of a running id (500 from the extension) is "exists", not a failure', async () => {
    expect(await durable.startOnce('modelPromotion', 'promotion:bc:1', {})).toBe('started');
    // The status read misses the instance (another delivery starts it in between), then the start gets the 500.
    ext.hideNextStatus.add('promotion:bc:1');
    expect(await durable.startOnce('modelPromotion', 'promotion:bc:1', {})).toBe('exists');
  });

  it('startOnce and ensureRunning treat the 500 of a race as the instance existing', async () => {
    expect(await durable.startOnce('scheduledJob', 'scheduledJob:score:1', {})).toBe('started');
    expect(await durable.startOnce('scheduledJob', 'scheduledJob:score:1', {})).toBe('exists');
    // The status read misses the instance (another caller starts it in between), then the start gets the 500.
    ext.hideNextStatus.add('scheduledJob:score:1');
    expect(await durable.startOnce('scheduledJob', 'scheduledJob:score:1', {})).toBe('exists');
    ext.hideNextStatus.add('scheduledJob:score:1');
    expect(await durable.ensureRunning('retrainingCoordinator', 'scheduledJob:score:1', {})).toBe('running');
  });

  it('a start that fails for another reason stays a retryable failure', async () => {
    // Unreachable engine: the status read already fails.
    const unreachable = await durablePortOf(clientFor('http://127.0.0.1:9/nothing/'))
      .startOnce('x', 'id', {})
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(unreachable).toBeInstanceOf(StagecraftError);
    expect((unreachable as StagecraftError).code).toBe('DURABLE_UNAVAILABLE');
    expect((unreachable as StagecraftError).retryable).toBe(true);
    // The engine answers 500 to the start and the id is still free afterwards: the start failed, retryable.
    ext.refuseStart.add('scheduledJob:broken:1');
    for (const start of [
      () => durable.startOnce('scheduledJob', 'scheduledJob:broken:1', {}),
      () => durable.ensureRunning('scheduledJob', 'scheduledJob:broken:1', {}),
    ]) {
      const e = await start().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(StagecraftError);
      expect((e as StagecraftError).code).toBe('DURABLE_START_FAILED');
      expect((e as StagecraftError).retryable).toBe(true);
    }
  });

  it('raising into a finished instance is "gone" (the SDK would resolve the 410 silently), a missing one "not-found"', async () => {
    ext.instances.set('runJob:done', { name: 'runJob', status: 'Completed' });
    ext.calls.length = 0;
    expect(await durable.raise('runJob:done', 'JobFinished', { ok: true })).toBe('gone');
    expect(ext.calls.some((c) => c.includes('raiseEvent'))).toBe(false);
    expect(await durable.raise('nobody', 'JobFinished', {})).toBe('not-found');
    ext.instances.set('runJob:live', { name: 'runJob', status: 'Running' });
    expect(await durable.raise('runJob:live', 'JobFinished', {})).toBe('raised');
  });
});

describe('durable client against the real local host', () => {
  let host: HostProcess;
  let durable: DurablePort;
  beforeAll(async () => {
    host = await startHostProcess({ appDir: CONFORMANCE_APP });
    durable = durablePortOf(clientFor(`${host.baseUrl}/runtime/webhooks/durabletask/`, masterKeyFor(host.baseUrl)));
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('reports a raise into a completed instance as gone and a duplicate start of a running one (409 here) as exists', async () => {
    expect(await durable.startOnce('HelloSequence', 'dc-test-done', null)).toBe('started');
    expect((await waitFor(host.baseUrl, 'dc-test-done')).runtimeStatus).toBe('Completed');
    expect(await durable.raise('dc-test-done', 'a', 1)).toBe('gone');
    expect(await durable.raise('dc-test-missing', 'a', 1)).toBe('not-found');
    // A finished id is not started again by startOnce; ensureRunning replaces it.
    expect(await durable.startOnce('HelloSequence', 'dc-test-done', null)).toBe('exists');
    expect(await durable.ensureRunning('WaitEvents', 'dc-test-done', null)).toBe('started');

    expect(await durable.startOnce('WaitEvents', 'dc-test-waits', null)).toBe('started');
    expect(await durable.ensureRunning('WaitEvents', 'dc-test-waits', null)).toBe('running');
    expect(await durable.raise('dc-test-waits', 'a', 1)).toBe('raised');
    expect((await durable.status('dc-test-waits'))?.runtimeStatus).toBe('Running');
    expect(await durable.status('dc-test-missing')).toBeUndefined();
  });
});
