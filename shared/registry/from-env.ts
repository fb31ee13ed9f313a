/**
 * The registry of a model, from settings and the policy:
 * - `mlflow`: MLFLOW_TRACKING_URI (+ MLFLOW_TRACKING_TOKEN or USERNAME/PASSWORD), as before;
 * - `databricks-workspace` and `unity-catalog`: DATABRICKS_HOST, authenticated with DATABRICKS_TOKEN (a PAT, for
 *   development) or else a Microsoft Entra token for the Azure Databricks resource from the managed identity /
 *   service principal (shared/adapters/databricks/from-env.ts, the same auth the jobs use).
 * Clients are cached per setting values, so activities share connections and Entra tokens.
 */
import type { TokenCredential } from '@azure/identity';
import { MlflowClient } from '../adapters/mlflow';
import { UnityCatalogClient } from '../adapters/databricks-uc/client';
import { databricksAuthFromEnv, databricksBaseUrl } from '../adapters/databricks/from-env';
import { ConfigError } from '../errors';
import { tryResolvePolicy } from '../policy';
import { loadPolicy } from '../policy/load';
import { mlflowFromEnv, policyFile, type Env } from '../promotion/env';
import { mlflowModelRegistry } from './mlflow';
import type { ModelRegistry, RegistryKind } from './port';
import { unityCatalogRegistry } from './unity-catalog';

const cache = new Map<string, ModelRegistry>();

export interface DatabricksClients { uc: UnityCatalogClient; tracking: MlflowClient }

export function databricksClientsFromEnv(env: Env = process.env, credential?: TokenCredential): DatabricksClients {
  const host = env['DATABRICKS_HOST']?.trim();
  if (!host) throw new ConfigError('DATABRICKS_HOST must be set to the Azure Databricks workspace URL for models whose policy says registry: unity-catalog or databricks-workspace', { setting: 'DATABRICKS_HOST' });
  const { auth } = databricksAuthFromEnv(env, credential);
  const baseUrl = databricksBaseUrl(host);
  return { uc: new UnityCatalogClient({ baseUrl, auth }), tracking: new MlflowClient({ baseUrl, auth }) };
}

export function registryFromEnv(kind: RegistryKind, env: Env = process.env, credential?: TokenCredential): ModelRegistry {
  if (kind === 'mlflow') return mlflowModelRegistry(mlflowFromEnv(env), 'mlflow');
  const key = `${kind}|${env['DATABRICKS_HOST'] ?? ''}|${env['DATABRICKS_TOKEN'] ? 't' : ''}|${env['AZURE_CLIENT_ID'] ?? ''}`;
  const hit = credential ? undefined : cache.get(key);
  if (hit) return hit;
  const { uc, tracking } = databricksClientsFromEnv(env, credential);
  const registry = kind === 'unity-catalog' ? unityCatalogRegistry(uc, tracking) : mlflowModelRegistry(tracking, 'databricks-workspace');
  if (!credential) cache.set(key, registry);
  return registry;
}

/**
 * The registry kind the policy names for `model` (default mlflow; also when the model has no policy, which the
 * promotion reports on its own).
 */
export async function registryKindOf(model: string, file: string = policyFile()): Promise<RegistryKind> {
  const r = tryResolvePolicy(await loadPolicy(file), model);
  return r.ok ? r.value.policy.registry : 'mlflow';
}

/** The registry of `model` as its policy says. */
export async function registryForModel(model: string, env: Env = process.env): Promise<ModelRegistry> {
  return registryFromEnv(await registryKindOf(model, policyFile(env)), env);
}
