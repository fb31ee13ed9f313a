/**
 * Storage for tests. `sharedStorage()`: an account of the test file's own on the run's one Azurite (test/setup/global.ts),
 * for tests that need storage but not an Azurite process of their own. `startAzurite()`: a real Azurite (blob + table,
 * in memory) as a child process on free ports for a test file, stopped by the test (e.g. to see a dependency go down).
 * Ports are chosen by Azurite itself (port 0) and read from its "successfully listening at" lines.
 */
import { DEV_KEY, sharedAzuriteAccount } from '../../devhost/test/helpers/storage';
import { spawnAzurite } from '../setup/azurite-process';

export { DEV_KEY };
export const DEV_ACCOUNT = 'devstoreaccount1';

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
  const claimed = sharedAzuriteAccount();
  if (claimed) return { ...claimed, stop: () => Promise.resolve() };
  return startAzurite();
}
