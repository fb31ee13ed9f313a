import { HttpError, type JsonServer, type RecordedRequest, params, startJsonServer, str } from './json-server';

/**
 * Fake Databricks Model Serving API 2.0, from the documented API (databricks-sdk-py service/serving.py):
 * POST /api/2.0/serving-endpoints {name, config}, GET /api/2.0/serving-endpoints[/{name}],
 * PUT /api/2.0/serving-endpoints/{name}/config (EndpointCoreConfigInput).
 *
 * Update lifecycle: a create or config PUT puts the config in `pending_config` with `state.config_update`
 * IN_PROGRESS; `updateMs` later (observed on the next read) it becomes `config` (config_version + 1) with
 * NOT_UPDATING and ready READY, or, when the test asked for it with `failNextUpdate`, ends UPDATE_FAILED /
 * UPDATE_CANCELED with the previous config still serving. A PUT while an update is in progress is refused
 * (RESOURCE_CONFLICT); configs are validated (entities, routes summing to 100 naming served entities).
 */
export interface FakeEndpoint {
  name: string;
  id: string;
  ready: 'READY' | 'NOT_READY';
  configUpdate: 'NOT_UPDATING' | 'IN_PROGRESS' | 'UPDATE_FAILED' | 'UPDATE_CANCELED';
  config?: Record<string, unknown>;
  pending?: { config: Record<string, unknown>; at: number; outcome: 'ok' | 'UPDATE_FAILED' | 'UPDATE_CANCELED' };
  version: number;
  /** Every config that served, in order (the served side of the history). */
  served: Array<Record<string, unknown>>;
}

export interface FakeServing extends Omit<JsonServer, 'close'> {
  endpoints: Map<string, FakeEndpoint>;
  updateMs: number;
  /** The nth next create/update of this endpoint (default the next one) ends with this state instead of succeeding. */
  failNextUpdate(name: string, outcome: 'UPDATE_FAILED' | 'UPDATE_CANCELED', nth?: number): void;
  /** Seeds a READY endpoint serving one entity version at 100 %. */
  seed(name: string, entityName: string, version: string): FakeEndpoint;
  /** The served entity versions by traffic now, e.g. { '1': 90, '2': 10 }. */
  traffic(name: string): Record<string, number>;
  close(): Promise<void>;
}

function validate(config: unknown): Record<string, unknown> {
  if (typeof config !== 'object' || config === null)
    throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'config is required');
  const c = config as Record<string, unknown>;
  const entities = Array.isArray(c.served_entities) ? (c.served_entities as Array<Record<string, unknown>>) : [];
  if (entities.length === 0)
    throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'At least one served entity is required.');
  const names = new Set<string>();
  for (const e of entities) {
    if (!str(e.entity_name) || !str(e.entity_version))
      throw new HttpError(
        400,
        'INVALID_PARAMETER_VALUE',
        'entity_name and entity_version are required for a served entity.',
      );
    const n = str(e.name) || `${str(e.entity_name).split('.').pop() ?? ''}-${str(e.entity_version)}`;
    if (names.has(n)) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Served entity name ${n} is duplicated.`);
    names.add(n);
    e.name = n;
    if (e.environment_vars !== undefined) {
      for (const v of Object.values(e.environment_vars as Record<string, unknown>))
        if (typeof v !== 'string')
          throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'environment_vars values must be strings.');
    }
  }
  const tc = c.traffic_config as { routes?: Array<Record<string, unknown>> } | undefined;
  const routes: Array<Record<string, unknown>> =
    tc?.routes ?? [...names].map((n) => ({ served_entity_name: n, traffic_percentage: Math.floor(100 / names.size) }));
  let sum = 0;
  for (const r of routes) {
    const n = str(r.served_entity_name) || str(r.served_model_name);
    if (!names.has(n))
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Route references unknown served entity ${n}.`);
    const p = Number(r.traffic_percentage);
    if (!Number.isInteger(p) || p < 0 || p > 100)
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'traffic_percentage must be an integer between 0 and 100.');
    sum += p;
  }
  if (sum !== 100)
    throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Traffic percentages must sum to 100, got ${sum}.`);
  return { served_entities: entities, traffic_config: { routes } };
}

export async function startFakeServing(o: { updateMs?: number } = {}): Promise<FakeServing> {
  const endpoints = new Map<string, FakeEndpoint>();
  const failNext = new Map<string, { outcome: 'UPDATE_FAILED' | 'UPDATE_CANCELED'; left: number }>();
  let nextId = 1;
  const fake = { updateMs: o.updateMs ?? 100 };

  const observe = (ep: FakeEndpoint) => {
    const p = ep.pending;
    if (!p || Date.now() - p.at < fake.updateMs) return;
    ep.pending = undefined;
    if (p.outcome === 'ok') {
      ep.version += 1;
      ep.config = { ...p.config, config_version: ep.version };
      ep.served.push(ep.config);
      ep.ready = 'READY';
      ep.configUpdate = 'NOT_UPDATING';
    } else {
      ep.configUpdate = p.outcome;
      ep.ready = ep.config ? 'READY' : 'NOT_READY';
    }
  };
  const entityOut = (e: Record<string, unknown>) => ({
    ...e,
    creator: 'sp-stagecraft@example.com',
    creation_timestamp: 1_760_000_000_000,
    state: { deployment: 'DEPLOYMENT_READY', deployment_state_message: '' },
  });
  const configOut = (c: Record<string, unknown>) => ({
    ...c,
    served_entities: (c.served_entities as Array<Record<string, unknown>>).map(entityOut),
  });
  const json = (ep: FakeEndpoint) => {
    observe(ep);
    return {
      name: ep.name,
      id: ep.id,
      creator: 'sp-stagecraft@example.com',
      creation_timestamp: 1_760_000_000_000,
      last_updated_timestamp: Date.now(),
      state: { ready: ep.ready, config_update: ep.configUpdate },
      ...(ep.config ? { config: configOut(ep.config) } : {}),
      ...(ep.pending
        ? {
            pending_config: {
              ...configOut(ep.pending.config),
              start_time: ep.pending.at,
              config_version: ep.version + 1,
            },
          }
        : {}),
      permission_level: 'CAN_MANAGE',
      route_optimized: false,
      task: 'llm/v1/chat-unused',
    };
  };
  const startUpdate = (ep: FakeEndpoint, config: Record<string, unknown>) => {
    const f = failNext.get(ep.name);
    let outcome: 'ok' | 'UPDATE_FAILED' | 'UPDATE_CANCELED' = 'ok';
    if (f && --f.left === 0) {
      outcome = f.outcome;
      failNext.delete(ep.name);
    }
    ep.pending = { config, at: Date.now(), outcome };
    ep.configUpdate = 'IN_PROGRESS';
  };
  const find = (name: string) => {
    const ep = endpoints.get(name);
    if (!ep) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Serving endpoint with name ${name} does not exist.`);
    return ep;
  };

  const server = await startJsonServer((method, path) => {
    if (path === '/api/2.0/serving-endpoints') {
      if (method === 'GET') return () => ({ endpoints: [...endpoints.values()].map(json) });
      if (method === 'POST') {
        return (r: RecordedRequest) => {
          const p = params(r);
          const name = str(p.name);
          if (!/^[A-Za-z0-9_-]{1,63}$/.test(name))
            throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Endpoint name must be 1-63 letters, digits, - or _.');
          if (endpoints.has(name))
            throw new HttpError(409, 'RESOURCE_ALREADY_EXISTS', `Endpoint with name '${name}' already exists.`);
          const config = validate(p.config);
          const ep: FakeEndpoint = {
            name,
            id: `ep${String(nextId++).padStart(30, '0')}`,
            ready: 'NOT_READY',
            configUpdate: 'NOT_UPDATING',
            version: 0,
            served: [],
          };
          endpoints.set(name, ep);
          startUpdate(ep, config);
          return json(ep);
        };
      }
      return undefined;
    }
    const m = /^\/api\/2\.0\/serving-endpoints\/([^/]+)(\/config)?$/.exec(path);
    if (!m) return undefined;
    const name = decodeURIComponent(m[1]!);
    if (!m[2] && method === 'GET') return () => json(find(name));
    if (m[2] && method === 'PUT') {
      return (r: RecordedRequest) => {
        const ep = find(name);
        observe(ep);
        if (ep.configUpdate === 'IN_PROGRESS')
          throw new HttpError(
            409,
            'RESOURCE_CONFLICT',
            `Endpoint ${name} is currently being updated; wait for the update to finish.`,
          );
        startUpdate(ep, validate(params(r)));
        return json(ep);
      };
    }
    return undefined;
  });

  return {
    ...server,
    endpoints,
    get updateMs() {
      return fake.updateMs;
    },
    set updateMs(v: number) {
      fake.updateMs = v;
    },
    failNextUpdate(name, outcome, nth = 1) {
      failNext.set(name, { outcome, left: nth });
    },
    seed(name, entityName, version) {
      const short = entityName.split('.').pop() ?? entityName;
      const e = {
        name: `${short}-${version}`,
        entity_name: entityName,
        entity_version: version,
        workload_size: 'Small',
        scale_to_zero_enabled: true,
      };
      const ep: FakeEndpoint = {
        name,
        id: `ep${String(nextId++).padStart(30, '0')}`,
        ready: 'READY',
        configUpdate: 'NOT_UPDATING',
        version: 1,
        served: [],
      };
      ep.config = {
        served_entities: [e],
        traffic_config: { routes: [{ served_entity_name: e.name, traffic_percentage: 100 }] },
        config_version: 1,
      };
      ep.served.push(ep.config);
      endpoints.set(name, ep);
      return ep;
    },
    traffic(name) {
      const ep = find(name);
      observe(ep);
      const c = ep.config as
        | {
            served_entities: Array<Record<string, unknown>>;
            traffic_config: { routes: Array<Record<string, unknown>> };
          }
        | undefined;
      const out: Record<string, number> = {};
      for (const r of c?.traffic_config.routes ?? []) {
        const e = c!.served_entities.find((x) => x.name === (str(r.served_entity_name) || str(r.served_model_name)));
        if (e) out[str(e.entity_version)] = Number(r.traffic_percentage);
      }
      return out;
    },
    close: () => server.close(),
  };
}
