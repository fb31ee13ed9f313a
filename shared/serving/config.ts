import type { ConfigInput, ServedEntityInput, ServingEndpoint } from '../adapters/databricks-serving/types';
import type { ServingDeploy, ServingSnapshot, ServingState, UpdateProgress } from './types';

/**
 * Pure config building for a serving rollout. Served entity names are `<model short name>-<version>`, so one
 * version has one name and routes name entities by `served_entity_name`.
 */
export function servedEntityName(entityName: string, version: string): string {
  const short = (entityName.split('.').pop() ?? entityName).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 50);
  return `${short}-${version}`.slice(0, 63);
}

export function entityFor(deploy: ServingDeploy, entityName: string, version: string): ServedEntityInput {
  return {
    name: servedEntityName(entityName, version),
    entity_name: entityName,
    entity_version: version,
    workload_size: deploy.workloadSize,
    scale_to_zero_enabled: deploy.scaleToZero,
    ...(Object.keys(deploy.environmentVars).length ? { environment_vars: { ...deploy.environmentVars } } : {}),
  };
}

/** The new version alone with 100 % of traffic. */
export function fullConfig(deploy: ServingDeploy, entityName: string, version: string): ConfigInput {
  const e = entityFor(deploy, entityName, version);
  return {
    served_entities: [e],
    traffic_config: { routes: [{ served_entity_name: e.name, traffic_percentage: 100 }] },
  };
}

/** The serving entity that has the most traffic in a snapshot (the champion being served), if any. */
export function servingChampion(s: ServingSnapshot | null): ServedEntityInput | undefined {
  if (!s || s.served_entities.length === 0) return undefined;
  const pct = (name: string) =>
    s.traffic_config.routes.find((r) => r.served_entity_name === name)?.traffic_percentage ?? 0;
  return [...s.served_entities].sort((a, b) => pct(b.name) - pct(a.name))[0];
}

/** Champion (as it is served now) with 100 - p %, the new version with p %. */
export function splitConfig(
  deploy: ServingDeploy,
  champion: ServedEntityInput,
  entityName: string,
  version: string,
  percent: number,
): ConfigInput {
  const e = entityFor(deploy, entityName, version);
  return {
    served_entities: [champion, e],
    traffic_config: {
      routes: [
        { served_entity_name: champion.name, traffic_percentage: 100 - percent },
        { served_entity_name: e.name, traffic_percentage: percent },
      ],
    },
  };
}

/** A served config as input again (for `before`, restored on failure). Unknown entity kinds are kept by name. */
export function snapshotOf(ep: ServingEndpoint | null): ServingSnapshot | null {
  const c = ep?.config;
  if (!c) return null;
  const served_entities: ServedEntityInput[] = (c.served_entities ?? []).map((s) => ({
    name: s.name ?? servedEntityName(s.entity_name ?? 'entity', s.entity_version ?? '0'),
    entity_name: s.entity_name ?? '',
    entity_version: s.entity_version ?? '',
    workload_size: s.workload_size ?? 'Small',
    scale_to_zero_enabled: s.scale_to_zero_enabled ?? true,
    ...(s.environment_vars && Object.keys(s.environment_vars).length ? { environment_vars: s.environment_vars } : {}),
  }));
  const routes = (c.traffic_config?.routes ?? []).map((r) => ({
    served_entity_name: r.served_entity_name ?? r.served_model_name ?? '',
    traffic_percentage: r.traffic_percentage,
  }));
  return {
    served_entities,
    traffic_config: { routes },
    ...(c.config_version !== undefined ? { configVersion: c.config_version } : {}),
  };
}

/**
 * Where an update stands: done when the endpoint is READY and `config_update` is NOT_UPDATING; failed on
 * UPDATE_FAILED / UPDATE_CANCELED (the previous config keeps serving); anything else is in progress.
 */
export function progressOf(ep: ServingEndpoint | null): UpdateProgress {
  const cu = ep?.state?.config_update;
  if (cu === 'UPDATE_FAILED' || cu === 'UPDATE_CANCELED') return 'failed';
  if (cu === 'NOT_UPDATING' && ep?.state?.ready === 'READY') return 'done';
  return 'in-progress';
}

export function stateOf(ep: ServingEndpoint | null): ServingState {
  return {
    exists: ep !== null,
    snapshot: snapshotOf(ep),
    ready: ep?.state?.ready,
    configUpdate: ep?.state?.config_update,
    progress: progressOf(ep),
  };
}

/** Same served versions and traffic (names, versions, percentages), whatever the order. */
export function sameServing(a: ServingSnapshot | null, b: ServingSnapshot | null): boolean {
  const key = (s: ServingSnapshot | null) =>
    s
      ? JSON.stringify({
          e: s.served_entities.map((x) => `${x.name}|${x.entity_name}|${x.entity_version}`).sort(),
          r: s.traffic_config.routes.map((x) => `${x.served_entity_name}|${x.traffic_percentage}`).sort(),
        })
      : 'none';
  return key(a) === key(b);
}

export function inputOf(s: ServingSnapshot): ConfigInput {
  return { served_entities: s.served_entities, traffic_config: s.traffic_config };
}
