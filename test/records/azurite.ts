/**
 * Storage for tests. `sharedStorage()`: an account of the test file's own on the run's one Azurite (test/setup/global.ts),
 * for tests that need storage but not an Azurite process of their own. `startAzurite()`: a real Azurite (blob + table,
 * in memory) as a child process on free ports for a test file, stopped by the test (e.g. to see a dependency go down).
 * Ports are chosen by Azurite itself (port 0) and read from its "successfully listening at" lines.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type {} from '../setup/global';
import { spawnAzurite } from '../setup/azurite-process';

export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  /** The account the connection string names (devstoreaccount1 on a private Azurite). */
  account: string;
  connectionString: string;
  blobPort: number;
  tablePort: number;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<AzuriteHandle> {
  const azurite = await spawnAzurite();
  const { Blob: blob, Table: table } = azurite.ports;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${blob}/${DEV_ACCOUNT};TableEndpoint=http://127.0.0.1:${table}/${DEV_ACCOUNT};`;
  return { account: DEV_ACCOUNT, connectionString, blobPort: blob, tablePort: table, stop: () => azurite.stop() };
}

/**
 * An account never used by another test file (claimed with an atomic mkdir) on the run's shared Azurite; stop() leaves
 * it (the in-memory Azurite goes away with the run). Without the global setup (a single config that does not load it)
 * or once every account is claimed (long watch sessions), a private Azurite from startAzurite() instead.
 */
export async function sharedStorage(): Promise<AzuriteHandle> {
  const shared = inject('sharedAzurite');
  if (shared) {
    for (let n = 1; n <= shared.accounts; n++) {
      try {
        mkdirSync(join(shared.claimDir, String(n)));
      } catch {
        continue;
      }
      const account = `${shared.accountPrefix}${n}`;
      return {
        account,
        connectionString:
          `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${DEV_KEY};` +
          `BlobEndpoint=http://127.0.0.1:${shared.blobPort}/${account};QueueEndpoint=http://127.0.0.1:${shared.queuePort}/${account};` +
          `TableEndpoint=http://127.0.0.1:${shared.tablePort}/${account};`,
        blobPort: shared.blobPort,
        tablePort: shared.tablePort,
        stop: () => Promise.resolve(),
      };
    }
  }
  return startAzurite();
}
