import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { bearerAuth, tokenCredentialAuth, type AuthProvider } from '../http';
import { databricksSettings, type DatabricksSettings } from '../../config/registry';
import type { Env } from '../../config/env';
import { DatabricksJobsClient } from './client';

export type { Env } from '../../config/env';
export { databricksBaseUrl } from '../../config/registry';

/**
 * Databricks auth from the `databricks` settings section (shared/config/registry.ts): DATABRICKS_TOKEN (a PAT)
 * when set, else a Microsoft Entra token for the Azure Databricks resource (AZURE_DATABRICKS_SCOPE) from
 * `credential`, by default DefaultAzureCredential, which uses the Function App's managed identity. A user-assigned
 * identity needs AZURE_CLIENT_ID (its client id) so the credential knows which identity to ask for; a
 * system-assigned one needs nothing. The composition root (shared/services.ts) keeps one per setting values.
 */
export function databricksAuth(
  s: Pick<DatabricksSettings, 'token' | 'clientId'>,
  credential?: TokenCredential,
): { auth: AuthProvider; kind: 'token' | 'entra' } {
  if (s.token) return { auth: bearerAuth(s.token), kind: 'token' };
  const cred = credential ?? new DefaultAzureCredential(s.clientId ? { managedIdentityClientId: s.clientId } : {});
  return { auth: tokenCredentialAuth(cred), kind: 'entra' };
}

/** The Jobs client when DATABRICKS_HOST is set, else undefined (Databricks is not configured). */
export function databricksClientFromEnv(
  env: Env = process.env,
  credential?: TokenCredential,
): DatabricksJobsClient | undefined {
  const s = databricksSettings(env);
  if (s.baseUrl === undefined) return undefined;
  return new DatabricksJobsClient({ baseUrl: s.baseUrl, auth: databricksAuth(s, credential).auth });
}
