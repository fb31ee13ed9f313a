import type { ConfigInput, ServingEndpoint } from '../adapters/databricks-serving/types';
import { DatabricksServingClient } from '../adapters/databricks-serving/client';
import type { Env } from '../config/env';
import { databricksSettings, requireDatabricks } from '../config/registry';
import { servicesFor } from '../services';
import { DatabricksSqlClient } from '../adapters/databricks-sql/client';
import { runningInAzure } from '../config/azure';
import { ConfigError, ValidationError } from '../errors';

/**
 * Where serving endpoints live: Databricks Model Serving (`runner: databricks`) or the local serving runner
 * (`runner: local`, local host only). Both speak the same endpoint shape (state.ready / state.config_update,
 * config.served_entities, traffic_config.routes), so the rollout logic is one.
 */
export interface ServingBackend {
  get(name: string): Promise<ServingEndpoint | null>;
  create(name: string, config: ConfigInput): Promise<ServingEndpoint>;
  updateConfig(name: string, config: ConfigInput): Promise<ServingEndpoint>;
}

let localFactory: ((env: Env) => ServingBackend) | undefined;
/** The local serving runner registers itself here (shared/serving/local), so Azure builds never load it. */
export function registerLocalServing(f: (env: Env) => ServingBackend): void {
  localFactory = f;
}

export function databricksHost(env: Env): string {
  return requireDatabricks(
    env,
    'serving endpoints with runner: databricks, ab-test checks and the records sink need DATABRICKS_HOST',
  ).baseUrl;
}

export function servingBackend(runner: 'databricks' | 'local', env: Env = process.env): ServingBackend {
  if (runner === 'local') {
    if (runningInAzure(env))
      throw new ValidationError(
        'LOCAL_SERVING_NOT_IN_AZURE',
        "serving endpoints with 'runner: local' run only under the local host; use 'runner: databricks' in Azure",
        { status: 422 },
      );
    if (!localFactory)
      throw new ConfigError('the local serving runner is not loaded in this process', {
        code: 'LOCAL_SERVING_UNAVAILABLE',
      });
    return localFactory(env);
  }
  return new DatabricksServingClient({ baseUrl: databricksHost(env), auth: servicesFor(env).databricksAuth() });
}

export function sqlClientFromEnv(env: Env = process.env): DatabricksSqlClient {
  return new DatabricksSqlClient({ baseUrl: databricksHost(env), auth: servicesFor(env).databricksAuth() });
}

export function warehouseId(explicit: string | undefined, env: Env = process.env): string {
  const id = explicit ?? databricksSettings(env).warehouseId;
  if (!id)
    throw new ConfigError(
      'ab-test checks and the records sink need a SQL warehouse: set DATABRICKS_WAREHOUSE_ID (or warehouseId on the check)',
      { setting: 'DATABRICKS_WAREHOUSE_ID' },
    );
  return id;
}
