/**
 * Vitest globalSetup for `npm test`: one Azurite (Blob, Queue, Table; in memory) for the whole run, shared by the test
 * files that need storage but do not test Azurite's own lifecycle. Isolation comes from accounts, not processes:
 * Azurite is started with SHARED_ACCOUNTS accounts (AZURITE_ACCOUNTS) and each test file claims one of its own
 * (test/records/azurite.ts `sharedStorage()`; devhost's tests: devhost/test/helpers/storage.ts `sharedAzuriteAccount()`),
 * so tables, containers and blobs of two files never meet.
 *
 * It also holds Azurite's standard ports (10000-10002) for the run with a listener that closes every connection: a
 * host started by a test that runs its own Azurite (devhost/test/host/azurite.test.ts) then picks free
 * ports before the app loads, instead of racing another host for the standard ones (the loser retried on other ports
 * after its app had already built clients for the standard ports, and talked to the other host's Azurite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAzurite } from './azurite-process';

export const SHARED_ACCOUNTS = 200;
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface SharedAzurite {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  /** Account names are `${accountPrefix}${n}`, n in [1, accounts]; all use the development key. */
  accountPrefix: string;
  accounts: number;
  /** A test file claims account n by creating `${claimDir}/n` (mkdir is atomic across worker processes). */
  claimDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sharedAzurite: SharedAzurite;
  }
}

function reserve(port: number): Promise<Server | undefined> {
  return new Promise((res) => {
    const srv = createServer((socket) => socket.destroy());
    srv.once('error', () => res(undefined)); // taken already (an Azurite of the developer's): hosts avoid it anyway
    srv.listen(port, '127.0.0.1', () => res(srv));
  });
}

/** The part of vitest's TestProject a global setup uses (vitest/node is ESM-only; this file is type-checked as CJS). */
interface Project {
  provide(key: 'sharedAzurite', value: SharedAzurite): void;
}

export default async function setup(project: Project): Promise<() => Promise<void>> {
  const reserved = (await Promise.all([10000, 10001, 10002].map(reserve))).filter((s): s is Server => s !== undefined);
  const accountPrefix = 'sctest';
  const accounts = [
    `${DEV_ACCOUNT}:${DEV_KEY}`,
    ...Array.from({ length: SHARED_ACCOUNTS }, (_, i) => `${accountPrefix}${i + 1}:${DEV_KEY}`),
  ].join(';');
  const claimDir = mkdtempSync(join(tmpdir(), 'stagecraft-azurite-claims-'));
  const azurite = await spawnAzurite({
    env: { ...process.env, AZURITE_ACCOUNTS: accounts },
    dirPrefix: 'stagecraft-azurite-shared-',
  });
  const ports = azurite.ports;
  project.provide('sharedAzurite', {
    blobPort: ports.Blob,
    queuePort: ports.Queue,
    tablePort: ports.Table,
    accountPrefix,
    accounts: SHARED_ACCOUNTS,
    claimDir,
  });
  return async () => {
    await azurite.stop();
    await Promise.all(reserved.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
    rmSync(claimDir, { recursive: true, force: true });
  };
}
