import { HttpError, type JsonServer, type RecordedRequest, startJsonServer, str } from './json-server';

/**
 * Fake Azure Databricks workspace for Unity Catalog models, written from the documented REST API and the SDK
 * definitions (databricks-sdk-py `service/catalog.py` RegisteredModelsAPI / ModelVersionsAPI; mlflow
 * `protos/databricks_uc_registry_messages.proto` + `service_uc_registry.proto` for the `/api/2.0/mlflow/unity-catalog`
 * tag endpoints), plus the workspace MLflow tracking reads a promotion makes (`runs/get`, `artifacts/list`):
 *
 * - GET    /api/2.1/unity-catalog/models?catalog_name=&schema_name=&max_results=&page_token=
 * - GET    /api/2.1/unity-catalog/models/{full_name}[?include_aliases=true]
 * - GET    /api/2.1/unity-catalog/models/{full_name}/versions?max_results=&page_token=
 * - GET    /api/2.1/unity-catalog/models/{full_name}/versions/{version}
 * - GET | PUT {version_num} | DELETE  /api/2.1/unity-catalog/models/{full_name}/aliases/{alias}
 * - GET    /api/2.0/mlflow/unity-catalog/model-versions/get?name=&version=
 * - POST   /api/2.0/mlflow/unity-catalog/model-versions/set-tag {name, version, key, value}
 * - DELETE /api/2.0/mlflow/unity-catalog/model-versions/delete-tag (name, version, key)
 *
 * Errors are Databricks' `{error_code, message}`: 404 RESOURCE_DOES_NOT_EXIST, 400 INVALID_PARAMETER_VALUE.
 * UC versions are integers; a new version starts PENDING_REGISTRATION until `finishRegistration` (READY/FAILED).
 */
export type UcStatus = 'PENDING_REGISTRATION' | 'READY' | 'FAILED_REGISTRATION';

export interface FakeUcVersion {
  version: number;
  status: UcStatus;
  source: string;
  run_id?: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  comment?: string;
  tags: Map<string, string>;
}

export interface FakeUcModel {
  full_name: string;
  catalog_name: string;
  schema_name: string;
  name: string;
  owner: string;
  created_at: number;
  created_by: string;
  comment?: string;
  aliases: Map<string, number>;
  versions: Map<number, FakeUcVersion>;
  next: number;
}

export interface FakeUcRun {
  run_id: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  artifacts: string[];
}

export interface FakeDatabricksUc {
  url: string;
  server: JsonServer;
  models: Map<string, FakeUcModel>;
  runs: Map<string, FakeUcRun>;
  createModel(fullName: string, o?: { owner?: string; createdBy?: string; comment?: string }): FakeUcModel;
  /** Registers a version (PENDING_REGISTRATION unless `status` says otherwise); returns its number as a string. */
  createVersion(
    fullName: string,
    o: {
      source?: string;
      runId?: string;
      createdBy: string;
      status?: UcStatus;
      comment?: string;
      tags?: Record<string, string>;
      createdAt?: number;
    },
  ): string;
  finishRegistration(fullName: string, version: string, status?: 'READY' | 'FAILED_REGISTRATION'): void;
  addRun(run: Partial<FakeUcRun> & { run_id: string }): void;
  aliasOf(fullName: string, alias: string): string | undefined;
  tagOf(fullName: string, version: string, key: string): string | undefined;
  close(): Promise<void>;
}

const THREE = /^([^.\s/]+)\.([^.\s/]+)\.([^.\s/]+)$/;

function notFound(what: string): never {
  throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', what);
}
function invalid(message: string): never {
  throw new HttpError(400, 'INVALID_PARAMETER_VALUE', message);
}

export async function startFakeDatabricksUc(o: { now?: () => number } = {}): Promise<FakeDatabricksUc> {
  const now = o.now ?? Date.now;
  const models = new Map<string, FakeUcModel>();
  const runs = new Map<string, FakeUcRun>();

  const model = (full: string): FakeUcModel => {
    if (!THREE.test(full)) invalid(`Invalid model name '${full}': expected catalog.schema.model`);
    return models.get(full) ?? notFound(`Registered model '${full}' does not exist.`);
  };
  const versionOf = (m: FakeUcModel, v: string): FakeUcVersion => {
    if (!/^\d+$/.test(v)) invalid(`Invalid version '${v}': must be an integer`);
    return m.versions.get(Number(v)) ?? notFound(`Model version ${m.full_name}/${v} does not exist.`);
  };
  const aliasList = (m: FakeUcModel, only?: number) =>
    [...m.aliases]
      .filter(([, v]) => only === undefined || v === only)
      .map(([alias_name, version_num]) => ({ alias_name, version_num }));
  const ucVersion = (m: FakeUcModel, v: FakeUcVersion) => ({
    catalog_name: m.catalog_name,
    schema_name: m.schema_name,
    model_name: m.name,
    version: v.version,
    status: v.status,
    source: v.source,
    ...(v.run_id ? { run_id: v.run_id } : {}),
    ...(v.comment !== undefined ? { comment: v.comment } : {}),
    created_at: v.created_at,
    created_by: v.created_by,
    updated_at: v.updated_at,
    updated_by: v.created_by,
    id: `${m.full_name}/${v.version}`,
    aliases: aliasList(m, v.version),
  });
  const ucModel = (m: FakeUcModel) => ({
    full_name: m.full_name,
    catalog_name: m.catalog_name,
    schema_name: m.schema_name,
    name: m.name,
    owner: m.owner,
    created_at: m.created_at,
    created_by: m.created_by,
    ...(m.comment !== undefined ? { comment: m.comment } : {}),
    aliases: aliasList(m),
  });
  const mlflowVersion = (m: FakeUcModel, v: FakeUcVersion) => ({
    name: m.full_name,
    version: String(v.version),
    creation_timestamp: v.created_at,
    last_updated_timestamp: v.updated_at,
    user_id: v.created_by,
    ...(v.comment !== undefined ? { description: v.comment } : {}),
    source: v.source,
    ...(v.run_id ? { run_id: v.run_id } : {}),
    status: v.status,
    tags: [...v.tags].map(([key, value]) => ({ key, value })),
    aliases: aliasList(m, v.version).map((a) => ({ alias: a.alias_name, version: String(a.version_num) })),
  });
  const page = <T>(items: T[], req: RecordedRequest) => {
    const max = Math.min(Number(str(req.query.max_results) || '100'), 1000);
    if (!Number.isInteger(max) || max < 1) invalid('max_results must be a positive integer');
    const start = Number(str(req.query.page_token) || '0');
    const slice = items.slice(start, start + max);
    return { slice, next: start + max < items.length ? String(start + max) : undefined };
  };
  const bodyOf = (req: RecordedRequest): Record<string, unknown> =>
    typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
  /** DELETE parameters: Databricks reads the query string; MLflow's clients also send a body. */
  const arg = (req: RecordedRequest, k: string): string => str(req.query[k]) || str(bodyOf(req)[k]);

  const route = (method: string, path: string) => {
    let m: RegExpExecArray | null;
    if (path === '/api/2.1/unity-catalog/models' && method === 'GET') {
      return (req: RecordedRequest) => {
        const catalog = str(req.query.catalog_name);
        const schema = str(req.query.schema_name);
        if (schema && !catalog) invalid('schema_name requires catalog_name');
        const all = [...models.values()]
          .filter((x) => (!catalog || x.catalog_name === catalog) && (!schema || x.schema_name === schema))
          .sort((a, b) => a.full_name.localeCompare(b.full_name));
        const p = page(all, req);
        return { registered_models: p.slice.map(ucModel), ...(p.next ? { next_page_token: p.next } : {}) };
      };
    }
    if ((m = /^\/api\/2\.1\/unity-catalog\/models\/([^/]+)$/.exec(path)) && method === 'GET') {
      const full = decodeURIComponent(m[1]!);
      return () => ucModel(model(full));
    }
    if ((m = /^\/api\/2\.1\/unity-catalog\/models\/([^/]+)\/versions$/.exec(path)) && method === 'GET') {
      const full = decodeURIComponent(m[1]!);
      return (req: RecordedRequest) => {
        const mm = model(full);
        const p = page(
          [...mm.versions.values()].sort((a, b) => b.version - a.version),
          req,
        );
        return { model_versions: p.slice.map((v) => ucVersion(mm, v)), ...(p.next ? { next_page_token: p.next } : {}) };
      };
    }
    if ((m = /^\/api\/2\.1\/unity-catalog\/models\/([^/]+)\/versions\/([^/]+)$/.exec(path)) && method === 'GET') {
      const full = decodeURIComponent(m[1]!);
      const v = decodeURIComponent(m[2]!);
      return () => {
        const mm = model(full);
        return ucVersion(mm, versionOf(mm, v));
      };
    }
    if ((m = /^\/api\/2\.1\/unity-catalog\/models\/([^/]+)\/aliases\/([^/]+)$/.exec(path))) {
      const full = decodeURIComponent(m[1]!);
      const alias = decodeURIComponent(m[2]!);
      if (method === 'GET')
        return () => {
          const mm = model(full);
          const v = mm.aliases.get(alias) ?? notFound(`Alias ${alias} does not exist on ${full}.`);
          return ucVersion(mm, mm.versions.get(v)!);
        };
      if (method === 'PUT')
        return (req: RecordedRequest) => {
          const mm = model(full);
          const num = bodyOf(req).version_num;
          if (typeof num !== 'number' || !Number.isInteger(num)) invalid('version_num must be an integer');
          if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) invalid(`'${alias}' is a reserved alias name`);
          versionOf(mm, String(num));
          mm.aliases.set(alias, num);
          return {
            alias_name: alias,
            version_num: num,
            catalog_name: mm.catalog_name,
            schema_name: mm.schema_name,
            model_name: mm.name,
          };
        };
      if (method === 'DELETE')
        return () => {
          const mm = model(full);
          if (!mm.aliases.delete(alias)) notFound(`Alias ${alias} does not exist on ${full}.`);
          return {};
        };
    }
    if (path === '/api/2.0/mlflow/unity-catalog/model-versions/get' && method === 'GET') {
      return (req: RecordedRequest) => {
        const mm = model(str(req.query.name));
        return { model_version: mlflowVersion(mm, versionOf(mm, str(req.query.version))) };
      };
    }
    if (path === '/api/2.0/mlflow/unity-catalog/model-versions/set-tag' && method === 'POST') {
      return (req: RecordedRequest) => {
        const b = bodyOf(req);
        const key = str(b.key);
        if (!key) invalid("Missing value for required parameter 'key'.");
        if (typeof b.value !== 'string') invalid("Missing value for required parameter 'value'.");
        const v = versionOf(model(str(b.name)), str(b.version));
        v.tags.set(key, b.value);
        return {};
      };
    }
    if (path === '/api/2.0/mlflow/unity-catalog/model-versions/delete-tag' && method === 'DELETE') {
      return (req: RecordedRequest) => {
        const v = versionOf(model(arg(req, 'name')), arg(req, 'version'));
        if (!v.tags.delete(arg(req, 'key'))) notFound(`Tag ${arg(req, 'key')} does not exist.`);
        return {};
      };
    }
    if (path === '/api/2.0/mlflow/runs/get' && method === 'GET') {
      return (req: RecordedRequest) => {
        const r = runs.get(str(req.query.run_id)) ?? notFound(`Run '${str(req.query.run_id)}' not found.`);
        const ts = now();
        return {
          run: {
            info: {
              run_id: r.run_id,
              run_uuid: r.run_id,
              experiment_id: '1',
              status: 'FINISHED',
              start_time: ts,
              end_time: ts,
              artifact_uri: `dbfs:/databricks/mlflow-tracking/1/${r.run_id}/artifacts`,
              lifecycle_stage: 'active',
            },
            data: {
              metrics: Object.entries(r.metrics).map(([key, value]) => ({ key, value, timestamp: ts, step: 0 })),
              params: Object.entries(r.params).map(([key, value]) => ({ key, value })),
              tags: Object.entries(r.tags).map(([key, value]) => ({ key, value })),
            },
          },
        };
      };
    }
    if (path === '/api/2.0/mlflow/artifacts/list' && method === 'GET') {
      return (req: RecordedRequest) => {
        const r = runs.get(str(req.query.run_id)) ?? notFound(`Run '${str(req.query.run_id)}' not found.`);
        const dir = str(req.query.path).replace(/\/+$/, '');
        const prefix = dir ? `${dir}/` : '';
        const entries = new Map<string, boolean>();
        for (const a of r.artifacts) {
          if (!a.startsWith(prefix)) continue;
          const rest = a.slice(prefix.length);
          const slash = rest.indexOf('/');
          entries.set(prefix + (slash === -1 ? rest : rest.slice(0, slash)), slash !== -1);
        }
        return {
          root_uri: `dbfs:/databricks/mlflow-tracking/1/${r.run_id}/artifacts`,
          files: [...entries].map(([p, isDir]) => ({ path: p, is_dir: isDir })),
        };
      };
    }
    return undefined;
  };

  const server = await startJsonServer(route);
  const fake: FakeDatabricksUc = {
    url: server.url,
    server,
    models,
    runs,
    createModel(full, mo = {}) {
      const mm = THREE.exec(full);
      if (!mm) throw new Error(`not a three-level name: ${full}`);
      const created: FakeUcModel = {
        full_name: full,
        catalog_name: mm[1]!,
        schema_name: mm[2]!,
        name: mm[3]!,
        owner: mo.owner ?? 'ml-owners',
        created_at: now(),
        created_by: mo.createdBy ?? 'owner@example.com',
        ...(mo.comment !== undefined ? { comment: mo.comment } : {}),
        aliases: new Map(),
        versions: new Map(),
        next: 1,
      };
      models.set(full, created);
      return created;
    },
    createVersion(full, vo) {
      const mm = models.get(full) ?? fake.createModel(full);
      const n = mm.next++;
      const t = vo.createdAt ?? now();
      mm.versions.set(n, {
        version: n,
        status: vo.status ?? 'PENDING_REGISTRATION',
        source: vo.source ?? `dbfs:/models/${full}/${n}`,
        ...(vo.runId ? { run_id: vo.runId } : {}),
        created_at: t,
        updated_at: t,
        created_by: vo.createdBy,
        ...(vo.comment !== undefined ? { comment: vo.comment } : {}),
        tags: new Map(Object.entries(vo.tags ?? {})),
      });
      return String(n);
    },
    finishRegistration(full, version, status = 'READY') {
      const v = models.get(full)?.versions.get(Number(version));
      if (!v) throw new Error(`no such version ${full}/${version}`);
      v.status = status;
      v.updated_at = now();
    },
    addRun(r) {
      runs.set(r.run_id, { metrics: {}, params: {}, tags: {}, artifacts: [], ...r });
    },
    aliasOf(full, alias) {
      const v = models.get(full)?.aliases.get(alias);
      return v === undefined ? undefined : String(v);
    },
    tagOf(full, version, key) {
      return models.get(full)?.versions.get(Number(version))?.tags.get(key);
    },
    close: () => server.close(),
  };
  return fake;
}
