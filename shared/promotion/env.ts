/**
 * Settings the promotion activities read (until folded into shared/config):
 * - STAGECRAFT_POLICY_PATH: the policy file (default `stagecraft.policy.yaml` in the working directory);
 * - MLFLOW_TRACKING_URI (required), MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME/PASSWORD (basic).
 */
import { resolve } from 'node:path';
import { basicAuth, bearerAuth } from '../adapters/http';
import { MlflowClient } from '../adapters/mlflow';
import { ConfigError } from '../errors';

export type Env = Readonly<Record<string, string | undefined>>;

export function policyFile(env: Env = process.env): string {
  return resolve(env['STAGECRAFT_POLICY_PATH']?.trim() || 'stagecraft.policy.yaml');
}

let cached: { key: string; client: MlflowClient } | undefined;

export function mlflowFromEnv(env: Env = process.env): MlflowClient {
  const uri = env['MLFLOW_TRACKING_URI']?.trim();
  if (!uri || !/^https?:\/\//i.test(uri)) throw new ConfigError('MLFLOW_TRACKING_URI must be set to the MLflow server URL (http(s)://host:port) for promotions', { setting: 'MLFLOW_TRACKING_URI' });
  const token = env['MLFLOW_TRACKING_TOKEN']?.trim();
  const user = env['MLFLOW_TRACKING_USERNAME']?.trim();
  const password = env['MLFLOW_TRACKING_PASSWORD'] ?? '';
  const key = `${uri}|${token ? 't' : ''}|${user ?? ''}`;
  if (cached?.key === key) return cached.client;
  const auth = token ? bearerAuth(token) : user ? basicAuth(user, password) : undefined;
  const client = new MlflowClient({ baseUrl: uri, ...(auth ? { auth } : {}) });
  cached = { key, client };
  return client;
}
