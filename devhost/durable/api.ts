/**
 * The Durable HTTP API under `/runtime/webhooks/durabletask/`, which is also the client's `rpcBaseUrl`
 * (durable-protocol.md §6.3): start, status, list (+continuation), raise event, terminate, suspend, resume,
 * restart, purge, rewind, entities (list, signal, read state). Status codes and JSON shapes follow the extension.
 *
 * Invariants:
 * - A mutating call answers only after its state is committed.
 * - Bad input is a 400 naming the parameter; unknown instance 404; finished instance 410 for events/control.
 * - The last page of a list carries no `x-ms-continuation-token` header (the SDK loops while it is truthy).
 * - Locked like Azure's durable webhooks: every call needs the host's master key or the `durabletask_extension`
 *   system key (x-functions-key header, `code` query, or Basic auth from the client's rpcBaseUrl); a browser request
 *   from another origin is refused (403) before anything else; a mutating call with a body must be JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  crossOriginReason,
  DURABLE_SYSTEM_KEY_NAME,
  isAdminKey,
  presentedKey,
  type AdminKeys,
} from '../host/admin-guard';
import type { HostLogger } from '../host/types';
import { DurableConflictError, type DurableEngine } from './engine';
import { statusJson } from './status';
import type { DurableStore, EntityQuery, InstanceQuery } from './store';
import { ALL_STATUSES, entitySchedulerId, isTerminal, type RuntimeStatusName } from './types';

export const API_PREFIX = '/runtime/webhooks/durabletask/';

export interface ApiDeps {
  engine: DurableEngine;
  store: DurableStore;
  hubName: string;
  baseUrl(): string;
  resolveOrchestrator(name: string): string | undefined;
  resolveEntity(name: string): string | undefined;
  /** The host's master key and the durable system key the API accepts. */
  keys: AdminKeys;
  /** Origins a browser uses for this host itself; any other `Origin` is refused. */
  ownOrigins(): Set<string>;
  /** Azure parity: a duplicate start of a running/pending instance answers 500 as the extension's HTTP API does. */
  parity?: boolean;
  logger?: HostLogger;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const instanceIdSchema = z
  .string()
  .min(1)
  .max(256, 'must be at most 256 characters')
  .refine((s) => !s.startsWith('@'), 'must not start with "@"')
  .refine((s) => !/[/\\?#\u0000-\u001f\u007f]/.test(s), 'must not contain /, \\, ?, # or control characters');

const DEFAULT_PAGE = 1000;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

function problem(res: ServerResponse, p: HttpProblem): void {
  send(res, p.status, { code: p.code, message: p.message, Message: p.message });
}

function parseBool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  return v.toLowerCase() === 'true';
}

function parseBodyJson(body: Buffer, what: string): string | null {
  const text = body.toString('utf8');
  if (!text.trim()) return null;
  try {
    JSON.parse(text);
  } catch (e) {
    throw new HttpProblem(400, 'DURABLE_INVALID_JSON', `The ${what} must be JSON: ${(e as Error).message}`);
  }
  return text;
}

function parseDate(v: string | null, name: string): number | undefined {
  if (!v) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new HttpProblem(
      400,
      'DURABLE_INVALID_QUERY',
      `Query parameter ${name} must be an ISO 8601 date (got ${JSON.stringify(v)})`,
    );
  return t;
}

function parseStatuses(v: string | null): RuntimeStatusName[] | undefined {
  if (!v) return undefined;
  const out: RuntimeStatusName[] = [];
  for (const raw of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = ALL_STATUSES.find((s) => s.toLowerCase() === raw.toLowerCase());
    if (!match)
      throw new HttpProblem(
        400,
        'DURABLE_INVALID_QUERY',
        `Query parameter runtimeStatus has unknown status ${JSON.stringify(raw)} (use ${ALL_STATUSES.join(', ')})`,
      );
    out.push(match);
  }
  return out;
}

/** Query of every public URL: task hub, connection and (as the extension adds) `code=<system key>`. */
function urlQuery(hub: string, systemKey: string | undefined): string {
  return `taskHub=${encodeURIComponent(hub)}&connection=Storage${systemKey ? `&code=${encodeURIComponent(systemKey)}` : ''}`;
}

export function managementPayload(
  baseUrl: string,
  hub: string,
  instanceId: string,
  systemKey?: string,
): Record<string, string> {
  const base = `${baseUrl}/runtime/webhooks/durabletask`;
  const id = encodeURIComponent(instanceId);
  const qs = urlQuery(hub, systemKey);
  return {
    id: instanceId,
    statusQueryGetUri: `${base}/instances/${id}?${qs}`,
    sendEventPostUri: `${base}/instances/${id}/raiseEvent/{eventName}?${qs}`,
    terminatePostUri: `${base}/instances/${id}/terminate?reason={text}&${qs}`,
    rewindPostUri: `${base}/instances/${id}/rewind?reason={text}&${qs}`,
    purgeHistoryDeleteUri: `${base}/instances/${id}?${qs}`,
    restartPostUri: `${base}/instances/${id}/restart?${qs}`,
    suspendPostUri: `${base}/instances/${id}/suspend?reason={text}&${qs}`,
    resumePostUri: `${base}/instances/${id}/resume?reason={text}&${qs}`,
  };
}

/**
 * The `durableClient` input binding value (what `df.getClient` reads). Like the extension, the public URLs carry
 * `code=<system key>`; the client's RPC calls authenticate with the same key as the userinfo of `rpcBaseUrl`, which
 * axios sends as Basic auth (the JS client adds nothing else to RPC calls).
 */
export function clientBinding(baseUrl: string, hub: string, systemKey: string): Record<string, unknown> {
  const base = `${baseUrl}/runtime/webhooks/durabletask`;
  const qs = urlQuery(hub, systemKey);
  const m = managementPayload(baseUrl, hub, 'INSTANCEID', systemKey);
  const rpc = new URL(`${base}/`);
  rpc.username = DURABLE_SYSTEM_KEY_NAME;
  rpc.password = systemKey;
  return {
    taskHubName: hub,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${qs}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${qs}`,
    },
    managementUrls: { ...m, id: 'INSTANCEID' },
    baseUrl: base,
    requiredQueryStringParameters: qs,
    rpcBaseUrl: rpc.href,
    httpBaseUrl: base,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  };
}

export function createApiHandler(
  d: ApiDeps,
): (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void> {
  return async (req, res, body) => {
    try {
      guard(d, req, body);
      await route(d, req, res, body);
    } catch (e) {
      if (e instanceof HttpProblem) problem(res, e);
      else if (e instanceof DurableConflictError) {
        if (d.parity) {
          // The extension's HTTP API lets OrchestrationAlreadyExistsException reach its catch-all: HTTP 500.
          send(res, 500, {
            Message: 'Something went wrong while processing your request',
            ExceptionMessage: e.message,
            ExceptionType: 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException',
          });
        } else problem(res, new HttpProblem(409, 'DURABLE_INSTANCE_EXISTS', e.message));
      } else throw e;
    }
  };
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isJsonType(contentType: string | undefined): boolean {
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  return media === 'application/json' || (media !== undefined && /^application\/[a-z0-9.+-]+\+json$/.test(media));
}

/** Origin (403), key (401) and content type (400/415), in that order, before any routing. */
function guard(d: ApiDeps, req: IncomingMessage, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const crossOrigin = crossOriginReason(req, d.ownOrigins());
  if (crossOrigin) {
    d.logger?.log('warning', 'Durable API request refused: cross-origin browser request', {
      method,
      path: url.pathname,
      reason: crossOrigin,
    });
    throw new HttpProblem(
      403,
      'DURABLE_CROSS_ORIGIN',
      `The Durable HTTP API refuses browser requests from other origins (${crossOrigin}); call it from a script or the devhost CLI with the master key`,
    );
  }
  if (!isAdminKey(d.keys, presentedKey(req, url), DURABLE_SYSTEM_KEY_NAME)) {
    d.logger?.log('warning', 'Durable API request refused: missing or wrong key', { method, path: url.pathname });
    throw new HttpProblem(
      401,
      'DURABLE_KEY_REQUIRED',
      `The Durable HTTP API needs the host's master key or the ${DURABLE_SYSTEM_KEY_NAME} system key (x-functions-key header or code query parameter); the host prints the master key at start-up`,
    );
  }
  if (MUTATING.has(method) && body.length > 0 && !isJsonType(req.headers['content-type'])) {
    const got = req.headers['content-type'] ? JSON.stringify(req.headers['content-type']) : 'none';
    // The extension answers a non-JSON raiseEvent with 400; other bodies are refused as an unsupported media type.
    if (/\/raiseevent\//i.test(url.pathname))
      throw new HttpProblem(
        400,
        'DURABLE_CONTENT_TYPE',
        `Only application/json request content is supported (Content-Type: ${got})`,
      );
    throw new HttpProblem(
      415,
      'DURABLE_CONTENT_TYPE',
      `The request body must be JSON with Content-Type: application/json (got ${got})`,
    );
  }
}

function systemKey(d: ApiDeps): string | undefined {
  return d.keys.systemKeys[DURABLE_SYSTEM_KEY_NAME];
}

async function route(d: ApiDeps, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const rest = url.pathname.slice(API_PREFIX.length - 1).replace(/^\/+/, '');
  const parts =
    rest === ''
      ? []
      : rest.split('/').map((p) => {
          try {
            return decodeURIComponent(p);
          } catch {
            throw new HttpProblem(
              400,
              'DURABLE_INVALID_PATH',
              `Path segment ${JSON.stringify(p)} is not valid percent-encoding`,
            );
          }
        });
  const method = (req.method ?? 'GET').toUpperCase();
  const q = url.searchParams;
  const head = parts[0]?.toLowerCase();

  if (head === 'orchestrators' && parts.length >= 2 && parts.length <= 3 && method === 'POST')
    return startInstance(d, res, parts[1]!, parts[2], q, body);
  if (head === 'instances') {
    const id = parts[1];
    if (id === undefined || id === '') {
      if (method === 'GET') return listInstances(d, req, res, q);
      if (method === 'DELETE') return purgeBy(d, res, q);
    } else if (parts.length === 2) {
      if (method === 'GET') return getStatus(d, res, id, q);
      if (method === 'DELETE') return purgeOne(d, res, id);
    } else {
      const op = parts[2]!.toLowerCase();
      if (op === 'raiseevent' && parts.length === 4 && method === 'POST') return raise(d, res, id, parts[3]!, body);
      if (parts.length === 3 && method === 'POST') {
        const reason = q.get('reason') ?? '';
        if (op === 'terminate' || op === 'suspend' || op === 'resume') return control(d, res, id, op, reason);
        if (op === 'rewind') return rewind(d, res, id, reason);
        if (op === 'restart') return restart(d, res, id, q);
      }
    }
  }
  if (head === 'entities' && parts.length <= 2 && method === 'GET') return listEntities(d, req, res, parts[1], q);
  if (head === 'entities' && parts.length === 3) {
    const name = parts[1]!;
    const key = parts[2] === '$' ? '' : parts[2]!;
    if (!d.resolveEntity(name))
      throw new HttpProblem(404, 'DURABLE_ENTITY_NOT_FOUND', `No entity function named '${name}' is registered`);
    const entityId = entitySchedulerId(name, key);
    if (method === 'GET') {
      const row = d.store.getEntity(entityId);
      if (!row || !row.exists)
        throw new HttpProblem(404, 'DURABLE_ENTITY_NOT_FOUND', `Entity ${entityId} does not exist`);
      return send(res, 200, row.state === null ? null : JSON.parse(row.state));
    }
    if (method === 'POST' || method === 'DELETE') {
      const op = method === 'DELETE' ? 'delete' : (q.get('op') ?? '');
      const input = method === 'DELETE' ? null : parseBodyJson(body, 'operation input');
      await d.engine.entities.signal(entityId, { name: op, input, isSignal: true });
      return send(res, 202, undefined);
    }
  }
  throw new HttpProblem(404, 'DURABLE_ROUTE_NOT_FOUND', `No durable API serves ${method} ${url.pathname}`);
}

async function startInstance(
  d: ApiDeps,
  res: ServerResponse,
  fnName: string,
  instanceId: string | undefined,
  q: URLSearchParams,
  body: Buffer,
): Promise<void> {
  const name = d.resolveOrchestrator(fnName);
  if (!name)
    throw new HttpProblem(
      400,
      'DURABLE_UNKNOWN_ORCHESTRATOR',
      `The function '${fnName}' doesn't exist, is disabled, or is not an orchestrator function`,
    );
  if (instanceId !== undefined) {
    const check = instanceIdSchema.safeParse(instanceId);
    if (!check.success)
      throw new HttpProblem(
        400,
        'DURABLE_INVALID_INSTANCE_ID',
        `Instance ID ${JSON.stringify(instanceId)} ${check.error.issues[0]?.message ?? 'is invalid'}`,
      );
  }
  const input = parseBodyJson(body, 'orchestration input');
  const id = await d.engine.startNew(name, instanceId, input, q.get('version') ?? '');
  const timeout = q.get('timeout');
  if (timeout !== null) {
    const secs = Number(timeout);
    if (!Number.isFinite(secs) || secs < 0)
      throw new HttpProblem(400, 'DURABLE_INVALID_QUERY', 'Query parameter timeout must be a number of seconds');
    await d.engine.waitForCompletion(id, secs * 1000);
    const row = d.store.getInstance(id);
    if (row && isTerminal(row.status)) {
      send(
        res,
        row.status === 'Completed' ? 200 : row.status === 'Failed' ? 500 : 200,
        row.status === 'Completed' ? JSON.parse(row.output ?? 'null') : statusJson(row),
      );
      return;
    }
  }
  const payload = managementPayload(d.baseUrl(), d.hubName, id, systemKey(d));
  send(res, 202, payload, { location: payload['statusQueryGetUri']!, 'retry-after': '10' });
}

async function getStatus(d: ApiDeps, res: ServerResponse, id: string, q: URLSearchParams): Promise<void> {
  const row = d.store.getInstance(id);
  if (!row) throw new HttpProblem(404, 'DURABLE_INSTANCE_NOT_FOUND', `No instance with ID '${id}' found`);
  const showHistory = parseBool(q.get('showHistory')) === true;
  const showInput = parseBool(q.get('showInput')) ?? true;
  const body = statusJson(row, {
    showInput,
    showHistoryOutput: parseBool(q.get('showHistoryOutput')) === true,
    ...(showHistory ? { history: await d.engine.historyOf(id) } : {}),
  });
  if (!isTerminal(row.status)) {
    send(res, 202, body, {
      location: managementPayload(d.baseUrl(), d.hubName, id, systemKey(d))['statusQueryGetUri']!,
      'retry-after': '5',
    });
    return;
  }
  const fail500 = row.status === 'Failed' && parseBool(q.get('returnInternalServerErrorOnFailure')) === true;
  send(res, fail500 ? 500 : 200, body);
}

function listQuery(q: URLSearchParams): InstanceQuery {
  const query: InstanceQuery = {};
  const from = parseDate(q.get('createdTimeFrom'), 'createdTimeFrom');
  const to = parseDate(q.get('createdTimeTo'), 'createdTimeTo');
  const statuses = parseStatuses(q.get('runtimeStatus'));
  if (from !== undefined) query.createdFrom = from;
  if (to !== undefined) query.createdTo = to;
  if (statuses) query.statuses = statuses;
  const prefix = q.get('instanceIdPrefix');
  if (prefix) query.instanceIdPrefix = prefix;
  return query;
}

async function listInstances(d: ApiDeps, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
  const query = listQuery(q);
  const topRaw = q.get('top');
  const top = topRaw === null ? DEFAULT_PAGE : Number(topRaw);
  if (!Number.isInteger(top) || top < 1)
    throw new HttpProblem(400, 'DURABLE_INVALID_QUERY', 'Query parameter top must be a positive whole number');
  const token = req.headers['x-ms-continuation-token'];
  const tokenText = Array.isArray(token) ? token[0] : token;
  if (tokenText) {
    try {
      const parsed = JSON.parse(Buffer.from(tokenText, 'base64url').toString('utf8')) as { c: number; i: string };
      if (typeof parsed.c !== 'number' || typeof parsed.i !== 'string') throw new Error('bad token');
      query.after = { createdAt: parsed.c, instanceId: parsed.i };
    } catch {
      throw new HttpProblem(
        400,
        'DURABLE_INVALID_CONTINUATION',
        'Header x-ms-continuation-token is not a token this host issued',
      );
    }
  }
  query.limit = top + 1;
  const rows = d.store.queryInstances(query);
  const page = rows.slice(0, top);
  const showInput = parseBool(q.get('showInput')) ?? false;
  const headers: Record<string, string> = {};
  const last = page[page.length - 1];
  if (rows.length > top && last)
    headers['x-ms-continuation-token'] = Buffer.from(
      JSON.stringify({ c: last.createdAt, i: last.instanceId }),
    ).toString('base64url');
  send(
    res,
    200,
    page.map((r) => statusJson(r, { showInput })),
    headers,
  );
}

async function raise(d: ApiDeps, res: ServerResponse, id: string, eventName: string, body: Buffer): Promise<void> {
  const input = parseBodyJson(body, 'event data');
  if (await d.engine.raiseEvent(id, eventName, input)) return send(res, 202, undefined);
  return notActive(d, res, id);
}

function notActive(d: ApiDeps, res: ServerResponse, id: string): void {
  const row = d.store.getInstance(id);
  if (!row) throw new HttpProblem(404, 'DURABLE_INSTANCE_NOT_FOUND', `No instance with ID '${id}' found`);
  throw new HttpProblem(
    410,
    'DURABLE_INSTANCE_COMPLETED',
    `The instance '${id}' is ${row.status} and accepts no more events or control operations`,
  );
}

async function control(
  d: ApiDeps,
  res: ServerResponse,
  id: string,
  op: 'terminate' | 'suspend' | 'resume',
  reason: string,
): Promise<void> {
  if (await d.engine.send(id, { kind: op, reason })) return send(res, 202, undefined);
  return notActive(d, res, id);
}

async function rewind(d: ApiDeps, res: ServerResponse, id: string, reason: string): Promise<void> {
  const outcome = await d.engine.rewind(id, reason);
  if (outcome === 'ok') return send(res, 202, undefined);
  // The SDK throws Error(response.data): plain text keeps the message readable.
  const row = d.store.getInstance(id);
  res.writeHead(outcome === 'notFound' ? 404 : 412, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(
    outcome === 'notFound'
      ? `No instance with ID '${id}' found.`
      : `The instance '${id}' is ${row?.status ?? 'not failed'}; only Failed instances can be rewound.`,
  );
}

/** List entities (`GET entities[/{name}]`): `fetchState`, `lastOperationTimeFrom/To`, `top` and the continuation header. */
async function listEntities(
  d: ApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  name: string | undefined,
  q: URLSearchParams,
): Promise<void> {
  const topRaw = q.get('top');
  const top = topRaw === null ? DEFAULT_PAGE : Number(topRaw);
  if (!Number.isInteger(top) || top < 1)
    throw new HttpProblem(400, 'DURABLE_INVALID_QUERY', 'Query parameter top must be a positive whole number');
  const query: EntityQuery = { limit: top + 1 };
  if (name) query.name = name;
  const from = parseDate(q.get('lastOperationTimeFrom'), 'lastOperationTimeFrom');
  const to = parseDate(q.get('lastOperationTimeTo'), 'lastOperationTimeTo');
  if (from !== undefined) query.lastOperationFrom = from;
  if (to !== undefined) query.lastOperationTo = to;
  const token = req.headers['x-ms-continuation-token'];
  const tokenText = Array.isArray(token) ? token[0] : token;
  if (tokenText) {
    const after = Buffer.from(tokenText, 'base64url').toString('utf8');
    if (!after.startsWith('@'))
      throw new HttpProblem(
        400,
        'DURABLE_INVALID_CONTINUATION',
        'Header x-ms-continuation-token is not a token this host issued',
      );
    query.afterEntityId = after;
  }
  const fetchState = parseBool(q.get('fetchState')) === true;
  const rows = d.store.queryEntities(query);
  const page = rows.slice(0, top);
  const headers: Record<string, string> = {};
  const last = page[page.length - 1];
  if (rows.length > top && last) headers['x-ms-continuation-token'] = Buffer.from(last.entityId).toString('base64url');
  const body = page.map((r) => ({
    entityId: { name: r.name, key: r.key },
    lastOperationTime: new Date(r.updatedAt).toISOString(),
    ...(fetchState ? { state: r.state === null ? null : (JSON.parse(r.state) as unknown) } : {}),
  }));
  send(res, 200, body, headers);
}

async function restart(d: ApiDeps, res: ServerResponse, id: string, q: URLSearchParams): Promise<void> {
  const row = d.store.getInstance(id);
  if (!row) throw new HttpProblem(404, 'DURABLE_INSTANCE_NOT_FOUND', `No instance with ID '${id}' found`);
  const newInstance = parseBool(q.get('restartWithNewInstanceId')) ?? true;
  if (!newInstance && !isTerminal(row.status))
    throw new HttpProblem(
      409,
      'DURABLE_INSTANCE_EXISTS',
      `The instance '${id}' is ${row.status}; restart it with the same ID only after it finished`,
    );
  const newId = await d.engine.startNew(row.name, newInstance ? undefined : id, row.input, row.version);
  const payload = managementPayload(d.baseUrl(), d.hubName, newId, systemKey(d));
  send(res, 202, payload, { location: payload['statusQueryGetUri']! });
}

async function purgeOne(d: ApiDeps, res: ServerResponse, id: string): Promise<void> {
  const row = d.store.getInstance(id);
  if (!row) throw new HttpProblem(404, 'DURABLE_INSTANCE_NOT_FOUND', `No instance with ID '${id}' found`);
  if (!isTerminal(row.status) || d.engine.isActive(id))
    throw new HttpProblem(
      409,
      'DURABLE_INSTANCE_RUNNING',
      `The instance '${id}' is ${row.status}; only finished instances can be purged (terminate it first)`,
    );
  await d.engine.commits.run(() => d.store.deleteInstance(id));
  send(res, 200, { instancesDeleted: 1 });
}

async function purgeBy(d: ApiDeps, res: ServerResponse, q: URLSearchParams): Promise<void> {
  const query = listQuery(q);
  if (query.createdFrom === undefined)
    throw new HttpProblem(
      400,
      'DURABLE_INVALID_QUERY',
      'Query parameter createdTimeFrom is required to purge instances',
    );
  const statuses = (query.statuses ?? ALL_STATUSES).filter((s) => isTerminal(s));
  query.statuses = statuses;
  if (!statuses.length) return send(res, 404, { instancesDeleted: 0 });
  const rows = d.store.queryInstances(query).filter((r) => !d.engine.isActive(r.instanceId));
  if (!rows.length) return send(res, 404, { instancesDeleted: 0 });
  await d.engine.commits.run(() => {
    for (const r of rows) d.store.deleteInstance(r.instanceId);
  });
  send(res, 200, { instancesDeleted: rows.length });
}
