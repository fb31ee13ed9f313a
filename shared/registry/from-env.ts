/**
 * The registry of a model, from settings and the policy:
 * - `mlflow`: the `mlflow` section (MLFLOW_TRACKING_URI + MLFLOW_TRACKING_TOKEN or USERNAME/PASSWORD);
 * - `databricks-workspace` and `unity-catalog`: the `databricks` section (DATABRICKS_HOST, authenticated with
 *   DATABRICKS_TOKEN, a PAT for development, or else a Microsoft Entra token for the Azure Databricks resource from
 *   the managed identity / service principal, the same auth the jobs use).
 * The settings are read in shared/config/registry.ts and the clients built (once per setting values, so activities
 * share connections and Entra tokens) by the composition root, shared/services.ts.
 */
import type { TokenCredential } from '@azure/identity';
import type { Env } from '../config/env';
import { tryResolvePolicy } from '../policy';
import { loadPolicy } from '../policy/load';
import { policyFile } from '../promotion/env';
import { databricksClientsWith, servicesFor, type DatabricksClients } from '../services';
import { mlflowModelRegistry } from './mlflow';
import type { ModelRegistry, RegistryKind } from './port';
import { unityCatalogRegistry } from './unity-catalog';

export type { DatabricksClients } from '../services';

/** Unity Catalog + workspace MLflow clients; `credential` (tests) builds fresh ones with that Entra credential. */
export function databricksClientsFromEnv(env: Env = process.env, credential?: TokenCredential): DatabricksClients {
  return credential ? databricksClientsWith(env, credential) : servicesFor(env).databricks();
}

export function registryFromEnv(
  kind: RegistryKind,
  env: Env = process.env,
  credential?: TokenCredential,
): ModelRegistry {
  if (!credential || kind === 'mlflow') return servicesFor(env).registry(kind);
  const { uc, tracking } = databricksClientsWith(env, credential);
  return kind === 'unity-catalog'
    ? unityCatalogRegistry(uc, tracking)
    : mlflowModelRegistry(tracking, 'databricks-workspace');
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
