/**
 * Storage for the package's tests that need Azure Storage but do not test Azurite's lifecycle under the host: under
 * the root's `npm test`, an account of the test file's own on the run's one Azurite (provided by the root's vitest
 * globalSetup as `sharedAzurite`; `inject` is not an import, so the package boundary holds). Run alone (no such
 * setup), there is none and the host starts its own Azurite for the app's `UseDevelopmentStorage=true`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { z } from 'zod';

/** Azurite's public development key; the shared Azurite gives every account this key. */
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** What the root's globalSetup provides (test/setup/global.ts `SharedAzurite`), checked here at the boundary. */
const SharedAzurite = z.object({
  blobPort: z.number().int().positive(),
  queuePort: z.number().int().positive(),
  tablePort: z.number().int().positive(),
  accountPrefix: z.string().min(1),
  accounts: z.number().int().positive(),
  claimDir: z.string().min(1),
});

export interface SharedAccount {
  account: string;
  key: string;
  /** Endpoints for Blob, Queue and Table: not development storage, so a host given it starts no Azurite. */
  connectionString: string;
  blobPort: number;
  tablePort: number;
}

/**
 * An account no other test file uses on the run's shared Azurite (claimed with an atomic mkdir; the root's
 * `sharedStorage()` claims through here too), or undefined when the run provides none or every account is claimed.
 */
export function sharedAzuriteAccount(): SharedAccount | undefined {
  const provided: unknown = (inject as (key: string) => unknown)('sharedAzurite');
  if (provided === undefined) return undefined;
  const shared = SharedAzurite.parse(provided);
  for (let n = 1; n <= shared.accounts; n++) {
    try {
      mkdirSync(join(shared.claimDir, String(n)));
    } catch {
      continue;
    }
    const account = `${shared.accountPrefix}${n}`;
    const ep = (port: number) => `http://127.0.0.1:${port}/${account}`;
    return {
      account,
      key: DEV_KEY,
      connectionString:
        `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${DEV_KEY};BlobEndpoint=${ep(shared.blobPort)};` +
        `QueueEndpoint=${ep(shared.queuePort)};TableEndpoint=${ep(shared.tablePort)};`,
      blobPort: shared.blobPort,
      tablePort: shared.tablePort,
    };
  }
  return undefined;
}
