import { randomUUID } from 'node:crypto';
import { type WebhookDelivery, deliver } from './mlflow-webhooks';
import {
  HttpError,
  type JsonServer,
  RAW_BODY,
  type RecordedRequest,
  params,
  startJsonServer,
  str,
} from './json-server';

/**
 * Fake MLflow tracking/registry server, from the documented REST API (protos/model_registry.proto,
 * service.proto, webhooks.proto; error codes from mlflow/exceptions.py): `/api/2.0/mlflow/...`, GET
 * parameters in the query string, other methods in a JSON body (Content-Type application/json required),
 * errors as `{error_code, message}` with MLflow's HTTP statuses. In-memory; timestamps in epoch ms.
 */
type Tags = Map<string, string>;

export interface FakeModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: string;
  description?: string;
  source: string;
  run_id?: string;
  status: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  tags: Tags;
  /** Files of the model version's artifacts (path → text), served by /model-versions/get-artifact. */
  files: Map<string, string>;
}

export interface FakeRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  tags: Tags;
  aliases: Map<string, string>;
  versions: Map<string, FakeModelVersion>;
  nextVersion: number;
}

export interface FakeRun {
  run_id: string;
  experiment_id: string;
  user_id?: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  metrics: Map<string, { value: number; timestamp: number; step: number }>;
  params: Tags;
  tags: Tags;
  artifacts: Set<string>;
  /** Contents of artifacts that can be downloaded (path → text). */
  files: Map<string, string>;
  datasets: { name: string; digest: string }[];
}

export interface FakeWebhook {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: { entity: string; action: string }[];
  status: 'ACTIVE' | 'DISABLED';
  secret?: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface FakeMlflowState {
  models: Map<string, FakeRegisteredModel>;
  runs: Map<string, FakeRun>;
  webhooks: Map<string, FakeWebhook>;
  /** Every alias change, in order (what an alias history should reproduce). */
  aliasLog: { name: string; alias: string; version: string | null; at: number }[];
  /** Webhook deliveries made (after all their attempts). */
  deliveries: WebhookDelivery[];
}

export interface FakeMlflow extends Omit<JsonServer, 'close'> {
  state: FakeMlflowState;
  seedModel(name: string, o?: { description?: string; tags?: Record<string, string> }): FakeRegisteredModel;
  seedVersion(
    name: string,
    o?: {
      files?: Record<string, string>;
      version?: string;
      runId?: string;
      userId?: string;
      description?: string;
      tags?: Record<string, string>;
      status?: FakeModelVersion['status'];
      source?: string;
      stage?: string;
      aliases?: string[];
    },
  ): FakeModelVersion;
  /** Registers a version as `model-versions/create` would, firing model_version.created webhooks. */
  registerVersion(
    name: string,
    o?: { runId?: string; userId?: string; description?: string; tags?: Record<string, string>; source?: string },
  ): FakeModelVersion;
  /** Resolves when every webhook delivery started so far has finished (all attempts). */
  deliveriesSettled(): Promise<void>;
  seedRun(o?: {
    runId?: string;
    metrics?: Record<string, number>;
    params?: Record<string, string>;
    tags?: Record<string, string>;
    artifacts?: string[];
    files?: Record<string, string>;
    datasets?: { name: string; digest: string }[];
    status?: string;
  }): FakeRun;
  close(): Promise<void>;
}

const API = '/api/2.0/mlflow';
const STAGES = ['None', 'Staging', 'Production', 'Archived'];

const notFound = (message: string) => new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', message);
const invalid = (message: string) => new HttpError(400, 'INVALID_PARAMETER_VALUE', message);

function req(p: Record<string, unknown>, key: string): string {
  const v = p[key];
  if (v === undefined || v === null || v === '')
    throw invalid(
      `Missing value for required parameter '${key}'. See the API docs for more information about request parameters.`,
    );
  return String(Array.isArray(v) ? v[0] : v);
}

function tagList(t: Tags): { key: string; value: string }[] {
  return [...t].map(([key, value]) => ({ key, value }));
}

/** Minimal search filter: `a = 'x'` / `a LIKE 'x%'` / `a != 'x'` clauses joined by AND over name, run_id, tags.<key>. */
function filterMatches(filter: string | undefined, get: (field: string) => string | undefined): boolean {
  if (!filter || !filter.trim()) return true;
  return filter.split(/\s+AND\s+/i).every((clause) => {
    const m = /^\s*([\w.`-]+)\s*(=|!=|LIKE|ILIKE)\s*'([^']*)'\s*$/i.exec(clause);
    if (!m) throw invalid(`Invalid filter '${filter}'`);
    const field = m[1]!.replace(/`/g, '');
    const op = m[2]!.toUpperCase();
    const v = get(field);
    if (op === '=') return v === m[3];
    if (op === '!=') return v !== m[3];
    if (v === undefined) return false;
    const re = new RegExp(
      `^${m[3]!
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/%/g, '.*')
        .replace(/_/g, '.')}$`,
      op === 'ILIKE' ? 'i' : '',
    );
    return re.test(v);
  });
}

function paginate<T>(items: T[], p: Record<string, unknown>, defaultMax: number): { page: T[]; next?: string } {
  const max = p.max_results === undefined ? defaultMax : Number(p.max_results);
  const start = p.page_token === undefined ? 0 : Number(Buffer.from(str(p.page_token), 'base64').toString('utf8'));
  const page = items.slice(start, start + max);
  return start + max < items.length ? { page, next: Buffer.from(String(start + max)).toString('base64') } : { page };
}

/**
 * Webhooks fire only for changes made through the REST API or `registerVersion` (as in MLflow, where
 * only the tracking server's handlers emit events); `seed*` helpers change state silently.
 * `webhookRetries`/`webhookBackoffMs` scale MLflow's delivery retries (3, 1 s doubling) down for tests.
 */
export async function startFakeMlflow(
  o: { webhookRetries?: number; webhookBackoffMs?: number } = {},
): Promise<FakeMlflow> {
  const state: FakeMlflowState = {
    models: new Map(),
    runs: new Map(),
    webhooks: new Map(),
    aliasLog: [],
    deliveries: [],
  };
  const now = () => Date.now();
  const inflight = new Set<Promise<void>>();
  const emit = (entity: string, action: string, data: Record<string, unknown>) => {
    for (const w of state.webhooks.values()) {
      if (
        w.status !== 'ACTIVE' ||
        !w.events.some((e) => e.entity === entity.toUpperCase() && e.action === action.toUpperCase())
      )
        continue;
      const p = deliver(
        { webhookId: w.webhook_id, url: w.url, ...(w.secret ? { secret: w.secret } : {}) },
        entity,
        action,
        data,
        { maxRetries: o.webhookRetries ?? 3, backoffMs: o.webhookBackoffMs ?? 20, now: now() },
      )
        .then((d) => {
          state.deliveries.push(d);
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
  };
  const tagObject = (t: Tags) => Object.fromEntries(t);

  const model = (name: string): FakeRegisteredModel => {
    const m = state.models.get(name);
    if (!m) throw notFound(`Registered Model with name=${name} not found`);
    return m;
  };
  const version = (name: string, v: string): FakeModelVersion => {
    const mv = model(name).versions.get(v);
    if (!mv) throw notFound(`Model Version (name=${name}, version=${v}) not found`);
    return mv;
  };
  const aliasesOf = (mv: FakeModelVersion) =>
    [...model(mv.name).aliases].filter(([, v]) => v === mv.version).map(([a]) => a);
  const mvJson = (mv: FakeModelVersion) => ({
    name: mv.name,
    version: mv.version,
    creation_timestamp: mv.creation_timestamp,
    last_updated_timestamp: mv.last_updated_timestamp,
    ...(mv.user_id ? { user_id: mv.user_id } : {}),
    current_stage: mv.current_stage,
    ...(mv.description !== undefined ? { description: mv.description } : {}),
    source: mv.source,
    ...(mv.run_id ? { run_id: mv.run_id } : {}),
    status: mv.status,
    tags: tagList(mv.tags),
    aliases: aliasesOf(mv),
  });
  const rmJson = (m: FakeRegisteredModel) => {
    const latest = new Map<string, FakeModelVersion>();
    for (const mv of m.versions.values()) {
      if (mv.status !== 'READY') continue;
      const cur = latest.get(mv.current_stage);
      if (!cur || Number(mv.version) > Number(cur.version)) latest.set(mv.current_stage, mv);
    }
    return {
      name: m.name,
      creation_timestamp: m.creation_timestamp,
      last_updated_timestamp: m.last_updated_timestamp,
      ...(m.description !== undefined ? { description: m.description } : {}),
      latest_versions: [...latest.values()].map(mvJson),
      tags: tagList(m.tags),
      aliases: [...m.aliases].map(([alias, v]) => ({ alias, version: v })),
    };
  };
  const runJson = (r: FakeRun) => ({
    info: {
      run_id: r.run_id,
      run_uuid: r.run_id,
      experiment_id: r.experiment_id,
      ...(r.user_id ? { user_id: r.user_id } : {}),
      status: r.status,
      start_time: r.start_time,
      ...(r.end_time ? { end_time: r.end_time } : {}),
      artifact_uri: r.artifact_uri,
      lifecycle_stage: 'active',
    },
    data: {
      metrics: [...r.metrics].map(([key, m]) => ({ key, value: m.value, timestamp: m.timestamp, step: m.step })),
      params: tagList(r.params),
      tags: tagList(r.tags),
    },
    inputs: {
      dataset_inputs: r.datasets.map((d) => ({
        dataset: { name: d.name, digest: d.digest, source_type: 'local' },
        tags: [],
      })),
    },
  });

  const seedModel: FakeMlflow['seedModel'] = (name, o = {}) => {
    const existing = state.models.get(name);
    if (existing) return existing;
    const m: FakeRegisteredModel = {
      name,
      creation_timestamp: now(),
      last_updated_timestamp: now(),
      tags: new Map(Object.entries(o.tags ?? {})),
      aliases: new Map(),
      versions: new Map(),
      nextVersion: 1,
    };
    if (o.description !== undefined) m.description = o.description;
    state.models.set(name, m);
    return m;
  };
  const seedVersion: FakeMlflow['seedVersion'] = (name, o = {}) => {
    const m = seedModel(name);
    const v = o.version ?? String(m.nextVersion);
    m.nextVersion = Math.max(m.nextVersion, Number(v) + 1);
    const mv: FakeModelVersion = {
      name,
      version: v,
      creation_timestamp: now(),
      last_updated_timestamp: now(),
      current_stage: o.stage ?? 'None',
      source: o.source ?? `models:/m-${randomUUID().replace(/-/g, '')}`,
      status: o.status ?? 'READY',
      tags: new Map(Object.entries(o.tags ?? {})),
      files: new Map(Object.entries(o.files ?? {})),
    };
    if (o.runId) mv.run_id = o.runId;
    if (o.userId) mv.user_id = o.userId;
    if (o.description !== undefined) mv.description = o.description;
    m.versions.set(v, mv);
    for (const a of o.aliases ?? []) m.aliases.set(a, v);
    return mv;
  };
  const registerVersion: FakeMlflow['registerVersion'] = (name, ro = {}) => {
    const mv = seedVersion(name, ro);
    emit('model_version', 'created', {
      name,
      version: mv.version,
      source: mv.source,
      run_id: mv.run_id ?? null,
      tags: tagObject(mv.tags),
      description: mv.description ?? null,
    });
    return mv;
  };
  const seedRun: FakeMlflow['seedRun'] = (o = {}) => {
    const id = o.runId ?? randomUUID().replace(/-/g, '');
    const r: FakeRun = {
      run_id: id,
      experiment_id: '1',
      status: o.status ?? 'FINISHED',
      start_time: now(),
      end_time: now(),
      artifact_uri: `mlflow-artifacts:/1/${id}/artifacts`,
      metrics: new Map(Object.entries(o.metrics ?? {}).map(([k, value]) => [k, { value, timestamp: now(), step: 0 }])),
      params: new Map(Object.entries(o.params ?? {})),
      tags: new Map(Object.entries(o.tags ?? {})),
      artifacts: new Set([...(o.artifacts ?? []), ...Object.keys(o.files ?? {})]),
      files: new Map(Object.entries(o.files ?? {})),
      datasets: o.datasets ?? [],
    };
    state.runs.set(id, r);
    return r;
  };

  const setAlias = (name: string, alias: string, v: string | null) => {
    const m = model(name);
    if (v === null) m.aliases.delete(alias);
    else m.aliases.set(alias, v);
    m.last_updated_timestamp = now();
    state.aliasLog.push({ name, alias, version: v, at: now() });
  };

  const searchVersions = (p: Record<string, unknown>) => {
    const filter = p.filter === undefined ? undefined : str(p.filter);
    let all = [...state.models.values()].flatMap((m) => [...m.versions.values()]);
    all = all.filter((mv) =>
      filterMatches(filter, (f) =>
        f === 'name'
          ? mv.name
          : f === 'run_id'
            ? mv.run_id
            : f === 'source_path'
              ? mv.source
              : f.startsWith('tags.')
                ? mv.tags.get(f.slice(5))
                : undefined,
      ),
    );
    const order = ([] as unknown[]).concat(p.order_by ?? []).map(String);
    const key = order[0] ?? 'last_updated_timestamp DESC';
    const [field, dir] = key.split(/\s+/);
    const val = (mv: FakeModelVersion) =>
      field === 'version_number'
        ? Number(mv.version)
        : field === 'name'
          ? mv.name
          : field === 'creation_timestamp'
            ? mv.creation_timestamp
            : mv.last_updated_timestamp;
    all.sort((a, b) => {
      const x = val(a);
      const y = val(b);
      const c = x < y ? -1 : x > y ? 1 : Number(a.version) - Number(b.version);
      return (dir ?? 'ASC').toUpperCase() === 'DESC' ? -c : c;
    });
    const { page, next } = paginate(all, p, 200_000);
    return { model_versions: page.map(mvJson), ...(next ? { next_page_token: next } : {}) };
  };

  const routes: Record<string, (r: RecordedRequest) => unknown> = {
    'POST /registered-models/create': (r) => {
      const p = params(r);
      const name = req(p, 'name');
      if (state.models.has(name))
        throw new HttpError(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
      const m = seedModel(name, { ...(typeof p.description === 'string' ? { description: p.description } : {}) });
      for (const t of (p.tags as { key: string; value: string }[] | undefined) ?? []) m.tags.set(t.key, t.value);
      emit('registered_model', 'created', { name, tags: tagObject(m.tags), description: m.description ?? null });
      return { registered_model: rmJson(m) };
    },
    'GET /registered-models/get': (r) => ({ registered_model: rmJson(model(req(params(r), 'name'))) }),
    'GET /registered-models/search': (r) => {
      const p = params(r);
      const filter = p.filter === undefined ? undefined : str(p.filter);
      const all = [...state.models.values()]
        .filter((m) =>
          filterMatches(filter, (f) =>
            f === 'name' ? m.name : f.startsWith('tags.') ? m.tags.get(f.slice(5)) : undefined,
          ),
        )
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, next } = paginate(all, p, 100);
      return { registered_models: page.map(rmJson), ...(next ? { next_page_token: next } : {}) };
    },
    'POST /registered-models/set-tag': (r) => {
      const p = params(r);
      model(req(p, 'name')).tags.set(req(p, 'key'), str(p.value));
      return {};
    },
    'POST /model-versions/create': (r) => {
      const p = params(r);
      const name = req(p, 'name');
      model(name);
      const tags = Object.fromEntries(
        ((p.tags as { key: string; value: string }[] | undefined) ?? []).map((t) => [t.key, t.value]),
      );
      const mv = registerVersion(name, {
        source: req(p, 'source'),
        tags,
        ...(typeof p.run_id === 'string' ? { runId: p.run_id } : {}),
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
      });
      return { model_version: mvJson(mv) };
    },
    'GET /model-versions/get': (r) => {
      const p = params(r);
      return { model_version: mvJson(version(req(p, 'name'), req(p, 'version'))) };
    },
    'GET /model-versions/search': (r) => searchVersions(params(r)),
    'GET /model-versions/get-download-uri': (r) => {
      const p = params(r);
      const mv = version(req(p, 'name'), req(p, 'version'));
      return { artifact_uri: mv.source };
    },
    'PATCH /model-versions/update': (r) => {
      const p = params(r);
      const mv = version(req(p, 'name'), req(p, 'version'));
      if (typeof p.description === 'string') mv.description = p.description;
      mv.last_updated_timestamp = now();
      return { model_version: mvJson(mv) };
    },
    'POST /model-versions/set-tag': (r) => {
      const p = params(r);
      const mv = version(req(p, 'name'), req(p, 'version'));
      const key = req(p, 'key');
      mv.tags.set(key, str(p.value));
      mv.last_updated_timestamp = now();
      emit('model_version_tag', 'set', { name: mv.name, version: mv.version, key, value: str(p.value) });
      return {};
    },
    'DELETE /model-versions/delete-tag': (r) => {
      const p = params(r);
      const mv = version(req(p, 'name'), req(p, 'version'));
      const key = req(p, 'key');
      // Deleting a tag that is not set succeeds (MLflow 3.17 answers 200 {}).
      if (!mv.tags.delete(key)) return {};
      emit('model_version_tag', 'deleted', { name: mv.name, version: mv.version, key });
      return {};
    },
    'POST /model-versions/transition-stage': (r) => {
      const p = params(r);
      const mv = version(req(p, 'name'), req(p, 'version'));
      const stage = STAGES.find((s) => s.toLowerCase() === req(p, 'stage').toLowerCase());
      if (!stage)
        throw invalid(`Invalid Model Version stage: ${str(p.stage)}. Value must be one of ${STAGES.join(', ')}.`);
      // The proto marks archive_existing_versions required, but MLflow 3.17 accepts its absence as false.
      if (p.archive_existing_versions === true && (stage === 'Staging' || stage === 'Production')) {
        for (const other of model(mv.name).versions.values()) {
          if (other !== mv && other.current_stage === stage) {
            other.current_stage = 'Archived';
            other.last_updated_timestamp = now();
          }
        }
      }
      mv.current_stage = stage;
      mv.last_updated_timestamp = now();
      return { model_version: mvJson(mv) };
    },
    'POST /registered-models/get-latest-versions': (r) => latestVersions(params(r)),
    'GET /registered-models/get-latest-versions': (r) => latestVersions(params(r)),
    'POST /registered-models/alias': (r) => {
      const p = params(r);
      const name = req(p, 'name');
      const alias = req(p, 'alias');
      const v = req(p, 'version');
      if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias))
        throw invalid(`'${alias}' alias name (case insensitive) is reserved.`);
      version(name, v);
      setAlias(name, alias, v);
      emit('model_version_alias', 'created', { name, alias, version: v });
      return {};
    },
    'DELETE /registered-models/alias': (r) => {
      const p = params(r);
      const name = req(p, 'name');
      const alias = req(p, 'alias');
      // Deleting an alias that is not set succeeds (MLflow 3.17 answers 200 {}) and emits nothing.
      if (!model(name).aliases.has(alias)) return {};
      setAlias(name, alias, null);
      emit('model_version_alias', 'deleted', { name, alias });
      return {};
    },
    'GET /registered-models/alias': (r) => {
      const p = params(r);
      const name = req(p, 'name');
      const alias = req(p, 'alias');
      const v = model(name).aliases.get(alias);
      // MLflow 3.17 answers a missing alias of an existing model with 400 INVALID_PARAMETER_VALUE, not 404.
      if (v === undefined) throw invalid(`Registered model alias ${alias} not found.`);
      return { model_version: mvJson(version(name, v)) };
    },
    'POST /runs/create': (r) => {
      const p = params(r);
      const run = seedRun({
        status: 'RUNNING',
        tags: Object.fromEntries(
          ((p.tags as { key: string; value: string }[] | undefined) ?? []).map((t) => [t.key, t.value]),
        ),
      });
      run.experiment_id = str(p.experiment_id) || '0';
      if (typeof p.user_id === 'string') run.user_id = p.user_id;
      delete run.end_time;
      return { run: runJson(run) };
    },
    'POST /runs/log-batch': (r) => {
      const p = params(r);
      const id = req(p, 'run_id');
      const run = state.runs.get(id);
      if (!run) throw notFound(`Run with id=${id} not found`);
      for (const m of (p.metrics as { key: string; value: number; timestamp?: number; step?: number }[] | undefined) ??
        []) {
        run.metrics.set(m.key, { value: Number(m.value), timestamp: m.timestamp ?? now(), step: m.step ?? 0 });
      }
      for (const x of (p.params as { key: string; value: string }[] | undefined) ?? []) run.params.set(x.key, x.value);
      for (const x of (p.tags as { key: string; value: string }[] | undefined) ?? []) run.tags.set(x.key, x.value);
      return {};
    },
    'GET /runs/get': (r) => {
      const p = params(r);
      const id = str(p.run_id ?? p.run_uuid);
      if (!id) throw invalid("Missing value for required parameter 'run_id'.");
      const run = state.runs.get(id);
      if (!run) throw notFound(`Run with id=${id} not found`);
      return { run: runJson(run) };
    },
    'GET /artifacts/list': (r) => {
      const p = params(r);
      const run = state.runs.get(req(p, 'run_id'));
      if (!run) throw notFound(`Run with id=${str(p.run_id)} not found`);
      const dir = p.path === undefined ? '' : str(p.path).replace(/^\/+|\/+$/g, '');
      if (dir.split('/').includes('..')) throw invalid(`Invalid path: ${dir}`);
      const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
      for (const a of run.artifacts) {
        if (dir && !a.startsWith(`${dir}/`)) continue;
        const rest = dir ? a.slice(dir.length + 1) : a;
        const [head, ...tail] = rest.split('/');
        const path = dir ? `${dir}/${head!}` : head!;
        entries.set(path, tail.length ? { path, is_dir: true } : { path, is_dir: false, file_size: 1 });
      }
      const files = [...entries.values()].sort((a, b) => a.path.localeCompare(b.path));
      const { page, next } = paginate(files, { ...p, max_results: p.max_results ?? 1000 }, 1000);
      return { root_uri: run.artifact_uri, files: page, ...(next ? { next_page_token: next } : {}) };
    },
    'POST /webhooks': (r) => {
      const p = params(r);
      const name = req(p, 'name');
      const url = req(p, 'url');
      const events = p.events;
      if (!Array.isArray(events) || events.length === 0)
        throw invalid("Missing value for required parameter 'events'.");
      for (const e of events as { entity?: unknown; action?: unknown }[]) {
        // Lower-case names parse as ENTITY_UNSPECIFIED and MLflow 3.17 fails with a 500.
        if (typeof e?.entity !== 'string' || typeof e.action !== 'string' || e.entity !== e.entity.toUpperCase())
          throw new HttpError(500, 'INTERNAL_ERROR', `Invalid webhook event: ${JSON.stringify(e)}`);
      }
      const w: FakeWebhook = {
        webhook_id: randomUUID().replace(/-/g, ''),
        name,
        url,
        events: events as FakeWebhook['events'],
        status: p.status === 'DISABLED' ? 'DISABLED' : 'ACTIVE',
        creation_timestamp: now(),
        last_updated_timestamp: now(),
      };
      if (typeof p.description === 'string') w.description = p.description;
      if (typeof p.secret === 'string') w.secret = p.secret;
      state.webhooks.set(w.webhook_id, w);
      return { webhook: webhookJson(w) };
    },
    'GET /webhooks': (r) => {
      const { page, next } = paginate([...state.webhooks.values()], params(r), 100);
      return { webhooks: page.map(webhookJson), ...(next ? { next_page_token: next } : {}) };
    },
  };

  function latestVersions(p: Record<string, unknown>) {
    const m = model(req(p, 'name'));
    const stages = ([] as unknown[]).concat(p.stages ?? []).map((s) => String(s).toLowerCase());
    const latest = rmJson(m).latest_versions.filter(
      (mv) => stages.length === 0 || stages.includes(mv.current_stage.toLowerCase()),
    );
    return { model_versions: latest };
  }
  function webhookJson(w: FakeWebhook) {
    // The secret is write-only: never returned.
    const { secret: _secret, ...rest } = w;
    return rest;
  }
  function webhookRoute(method: string, rest: string): ((r: RecordedRequest) => unknown) | undefined {
    const m = /^\/webhooks\/([^/]+)(\/test)?$/.exec(rest);
    if (!m) return undefined;
    const id = decodeURIComponent(m[1]!);
    const get = () => {
      const w = state.webhooks.get(id);
      if (!w) throw notFound(`Webhook with ID ${id} not found.`);
      return w;
    };
    if (m[2]) {
      // MLflow's test delivery: the fixed example payload of the chosen (or first) event, real headers and signature.
      return method === 'POST'
        ? async (r) => {
            const w = get();
            const ev = (params(r).event as { entity?: string; action?: string } | undefined) ?? w.events[0];
            const entity = (ev?.entity ?? 'MODEL_VERSION').toLowerCase();
            const action = (ev?.action ?? 'CREATED').toLowerCase();
            const data = {
              name: 'example_model',
              version: '1',
              source: 'models:/123',
              run_id: 'abcd1234abcd5678',
              tags: { example_key: 'example_value' },
              description: 'An example model version',
            };
            const d = await deliver(
              { webhookId: w.webhook_id, url: w.url, ...(w.secret ? { secret: w.secret } : {}) },
              entity,
              action,
              data,
              { maxRetries: 0, backoffMs: 0, now: now() },
            );
            const ok = d.status !== undefined && d.status >= 200 && d.status < 300;
            return {
              result: {
                success: ok,
                ...(d.status !== undefined ? { response_status: d.status } : {}),
                ...(d.error ? { error_message: d.error } : {}),
              },
            };
          }
        : undefined;
    }
    if (method === 'GET') return () => ({ webhook: webhookJson(get()) });
    if (method === 'DELETE')
      return () => {
        get();
        state.webhooks.delete(id);
        return {};
      };
    if (method === 'PATCH')
      return (r) => {
        const w = get();
        const p = params(r);
        for (const k of ['name', 'description', 'url', 'secret'] as const)
          if (typeof p[k] === 'string' && p[k] !== '') w[k] = p[k];
        if (p.status === 'ACTIVE' || p.status === 'DISABLED') w.status = p.status;
        if (Array.isArray(p.events) && p.events.length) w.events = p.events as FakeWebhook['events'];
        w.last_updated_timestamp = now();
        return { webhook: webhookJson(w) };
      };
    return undefined;
  }

  // File downloads answer the raw file (text), outside /api/2.0 like the tracking server's own routes.
  const download = (file: string | undefined, what: string) => {
    if (file === undefined) throw notFound(`${what} not found`);
    return { [RAW_BODY]: file };
  };
  const downloads: Record<string, (r: RecordedRequest) => unknown> = {
    'GET /get-artifact': (r) => {
      const p = params(r);
      const id = str(p.run_id ?? p.run_uuid);
      const run = state.runs.get(id);
      if (!run) throw notFound(`Run with id=${id} not found`);
      return download(run.files.get(req(p, 'path')), `Artifact ${str(p.path)}`);
    },
    'GET /model-versions/get-artifact': (r) => {
      const p = params(r);
      return download(version(req(p, 'name'), req(p, 'version')).files.get(req(p, 'path')), `Artifact ${str(p.path)}`);
    },
  };

  const server = await startJsonServer(
    (method, path) => {
      const d = downloads[`${method} ${path}`];
      if (d) return d;
      const rest = path.startsWith(API)
        ? path.slice(API.length)
        : path.startsWith('/ajax-api/2.0/mlflow')
          ? path.slice('/ajax-api/2.0/mlflow'.length)
          : undefined;
      if (rest === undefined) return undefined;
      return routes[`${method} ${rest}`] ?? webhookRoute(method, rest);
    },
    { requireJsonContentType: true, htmlNotFound: true },
  );

  const deliveriesSettled = async () => {
    while (inflight.size) await Promise.allSettled([...inflight]);
  };
  return {
    ...server,
    state,
    seedModel,
    seedVersion,
    registerVersion,
    seedRun,
    deliveriesSettled,
    close: async () => {
      await deliveriesSettled();
      await server.close();
    },
  };
}
