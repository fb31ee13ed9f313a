/**
 * Azurite started by the host for an app whose AzureWebJobsStorage is development storage, used through the real
 * `@azure/storage-blob` SDK from the app, and stopped with the host (its ports released); its data kept across a
 * restart on the same state dir; no Azurite left behind by a SIGKILLed host; none started with --no-azurite.
 */
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHostProcess, type HostProcess } from '../helpers/host';

const APP = resolve(__dirname, 'fixtures', 'azurite-app');
// Azurite's start-up is CPU-bound (~0.7 s on an idle 2-core VM, far more on a busy one): generous bounds, no timing asserts.
const READY_MS = 120_000;
const TEST_MS = 240_000;

function accepts(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

async function released(port: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await accepts(port))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function azuriteOf(host: HostProcess): Promise<{ blobPort: number; pid: number }> {
  const info = (await (await fetch(`${host.baseUrl}/api/storage-info`)).json()) as { blobUrl: string };
  const pid = Number(/Azurite ready in \d+ ms {2}pid=(\d+)/.exec(host.logs())?.[1]);
  return { blobPort: Number(new URL(info.blobUrl).port), pid };
}

// One host's Azurite through its life, a step per claim (the steps run in order and each says when an earlier one
// left nothing to continue from): start for UseDevelopmentStorage=true, serve the app, stop with the host (ports
// released, process gone); restart on the same state dir (data kept); SIGKILL the restarted host (no orphan).
describe('Azurite under the local host', () => {
  /** The state dir of the host started in the first step (kept.txt written there). */
  let stateDir: string | undefined;
  /** The host restarted on that state dir, SIGKILLed by the third step. */
  let restarted: HostProcess | undefined;

  afterAll(async () => {
    await restarted?.kill();
  });

  it(
    'starts Azurite for UseDevelopmentStorage=true, serves blob writes and reads from the app, and stops it on exit',
    async () => {
      const host = await startHostProcess({ appDir: APP, readyTimeoutMs: READY_MS });
      let port = 0;
      try {
        expect(host.logs()).toMatch(/Azurite ready in \d+ ms/);
        const { blobPort, pid } = await azuriteOf(host);
        port = blobPort;
        expect(await accepts(port)).toBe(true);
        expect(pidAlive(pid)).toBe(true);
        const put = await fetch(`${host.baseUrl}/api/blobs/greeting.txt`, {
          method: 'PUT',
          body: 'hello from azurite',
        });
        expect(put.status).toBe(201);
        expect(await (await fetch(`${host.baseUrl}/api/blobs/greeting.txt`)).text()).toBe('hello from azurite');
        // For the restart step.
        const kept = await fetch(`${host.baseUrl}/api/blobs/kept.txt`, { method: 'PUT', body: 'still here' });
        expect(kept.status).toBe(201);
        expect(await host.stop()).toBe(0);
        expect(await released(port)).toBe(true);
        expect(pidAlive(pid)).toBe(false);
        stateDir = host.stateDir;
      } finally {
        await host.kill();
      }
    },
    TEST_MS,
  );

  it(
    'keeps blob data in the state dir across host restarts',
    async () => {
      if (!stateDir) throw new Error('the first step did not leave a stopped host with data: see its failure');
      restarted = await startHostProcess({ appDir: APP, stateDir, readyTimeoutMs: READY_MS });
      expect(restarted.logs()).toMatch(/Azurite ready in \d+ ms/);
      expect(await (await fetch(`${restarted.baseUrl}/api/blobs/kept.txt`)).text()).toBe('still here');
    },
    TEST_MS,
  );

  it(
    'does not leave Azurite running when the host is SIGKILLed',
    async () => {
      const host = restarted;
      if (!host) throw new Error('the restart step did not leave a running host: see its failure');
      const { blobPort, pid } = await azuriteOf(host);
      expect(pidAlive(pid)).toBe(true);
      await host.kill();
      expect(await released(blobPort)).toBe(true);
      const deadline = Date.now() + 10_000;
      while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(pidAlive(pid)).toBe(false);
    },
    TEST_MS,
  );

  it(
    '--no-azurite starts no Azurite',
    async () => {
      const host = await startHostProcess({ appDir: APP, args: ['--no-azurite'], readyTimeoutMs: READY_MS });
      try {
        expect(host.logs()).toContain('Not starting Azurite (--no-azurite)');
        expect(host.logs()).not.toMatch(/Azurite ready/);
      } finally {
        expect(await host.stop()).toBe(0);
      }
    },
    TEST_MS,
  );
});
