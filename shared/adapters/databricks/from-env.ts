import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { bearerAuth, tokenCredentialAuth, type AuthProvider } from '../http';
import { DatabricksJobsClient } from './client';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Databricks auth from settings: DATABRICKS_TOKEN (a PAT) when set, else a Microsoft Entra token for the Azure
 * Databricks resource (AZURE_DATABRICKS_SCOPE) from `credential`, by default DefaultAzureCredential, which uses the
 * Function App's managed identity. A user-assigned identity needs AZURE_CLIENT_ID (its client id) so the credential
 * knows which identity to ask for; a system-assigned one needs nothing.
 */
export function databricksAuthFromEnv(env: Env = process.env, credential?: TokenCredential): { auth: AuthProvider; kind: 'token' | 'entra' } {
  const token = env['DATABRICKS_TOKEN']?.trim();
  if (token) return { auth: bearerAuth(token), kind: 'token' };
  const clientId = env['AZURE_CLIENT_ID']?.trim();
  const cred = credential ?? new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  return { auth: tokenCredentialAuth(cred), kind: 'entra' };
}

export function databricksBaseUrl(host: string): string {
  return /^https?:\/\//i.test(host) ? host : `https://${host}`;
}

/** The Jobs client when DATABRICKS_HOST is set, else undefined (Databricks is not configured). */
export function databricksClientFromEnv(env: Env = process.env, credential?: TokenCredential): DatabricksJobsClient | undefined {
  const host = env['DATABRICKS_HOST']?.trim();
  if (!host) return undefined;
  return new DatabricksJobsClient({ baseUrl: databricksBaseUrl(host), auth: databricksAuthFromEnv(env, credential).auth });
}
