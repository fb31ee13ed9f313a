import type { TokenCredential } from '@azure/identity';

/** Azure Databricks' Entra ID application: tokens for this scope authenticate against any workspace. */
export const AZURE_DATABRICKS_SCOPE = '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default';

/**
 * How a REST client authenticates. `header()` returns the Authorization header value (or undefined for
 * none). `invalidate()` drops a cached token after a 401 so the next header() fetches a fresh one.
 * `describe()` is safe to log: it never contains the secret.
 */
export interface AuthProvider {
  header(signal?: AbortSignal): Promise<string | undefined>;
  invalidate?(): void;
  describe(): string;
}

export const noAuth: AuthProvider = { header: async () => undefined, describe: () => 'none' };

/** A PAT (`dapi...`), an OAuth token or MLFLOW_TRACKING_TOKEN; a function is called per request (rotation). */
export function bearerAuth(token: string | (() => string | Promise<string>)): AuthProvider {
  return {
    header: async () => `Bearer ${typeof token === 'function' ? await token() : token}`,
    describe: () => 'bearer',
  };
}

/** MLflow's basic-auth app (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD). */
export function basicAuth(username: string, password: string): AuthProvider {
  const value = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  return { header: async () => value, describe: () => `basic(${username})` };
}

/**
 * Microsoft Entra ID token from an `@azure/identity` credential (managed identity, workload identity,
 * client secret, Azure CLI...). Tokens are cached until 5 minutes before expiry; concurrent callers share
 * one in-flight request.
 */
export function tokenCredentialAuth(
  credential: TokenCredential,
  scope: string = AZURE_DATABRICKS_SCOPE,
  options: { now?: () => number } = {},
): AuthProvider {
  const now = options.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  const fetchToken = async (signal?: AbortSignal): Promise<string> => {
    const t = await credential.getToken(scope, signal ? { abortSignal: signal } : {});
    if (!t) throw new Error(`the credential returned no token for ${scope}`);
    cached = { token: t.token, refreshAt: t.expiresOnTimestamp - 5 * 60_000 };
    return t.token;
  };
  return {
    async header(signal) {
      if (cached && now() < cached.refreshAt) return `Bearer ${cached.token}`;
      inflight ??= fetchToken(signal).finally(() => {
        inflight = undefined;
      });
      return `Bearer ${await inflight}`;
    },
    invalidate() {
      cached = undefined;
    },
    describe: () => `entra(${scope})`,
  };
}
