/**
 * The local serving runner (`runner: local`, local host only): the counterpart of Model Serving on one machine.
 * Each endpoint is a small reverse proxy on a stable port (`http://127.0.0.1:<port>/invocations`) in front of one
 * model server process per served entity (by default `mlflow models serve -m models:/<name>/<version>`), with the
 * same endpoint shape as Databricks (state.ready / state.config_update, config.served_entities, traffic routes).
 *
 * Invariants (a swap drops no request):
 * - A config update starts the new servers on new ports and waits until each answers `/ping`; only then are the
 *   proxy routes replaced (one assignment); servers no longer routed are stopped after their in-flight requests
 *   finished. A server that does not become healthy in time ends the update UPDATE_FAILED and the old routes
 *   keep serving (its process is stopped).
 * - Only processes this runner started are stopped, by their own handle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, dirname, isAbsolute } from 'node:path';
import type { ConfigInput, ServedEntityInput, ServingEndpoint } from '../../adapters/databricks-serving/types';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';

export interface LocalServingOptions {
  /** argv template: {entity} {version} {port} {name} are replaced per served entity. */
  command: string[];
  /** Stable proxy port per endpoint name (0 or absent: any free port). */
  ports: Record<string, number>;
  healthTimeoutMs: number;
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

interface Upstream {
  entity: ServedEntityInput;
  port: number;
  child: ChildProcess;
  inflight: number;
  exited: boolean;
}
interface LocalEndpoint {
  name: string;
  proxy: Server;
  port: number;
  routes: Array<{ upstream: Upstream; pct: number }>;
  config: ConfigInput | undefined;
  version: number;
  configUpdate: 'NOT_UPDATING' | 'IN_PROGRESS' | 'UPDATE_FAILED' | 'UPDATE_CANCELED';
  pending: ConfigInput | undefined;
  upstreams: Map<string, Upstream>;
  lastError?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export class LocalServingRunner {
  private readonly endpoints = new Map<string, LocalEndpoint>();
  constructor(private readonly o: LocalServingOptions) {}

  async get(name: string): Promise<ServingEndpoint | null> {
    const ep = this.endpoints.get(name);
    return Promise.resolve(ep ? this.view(ep) : null);
  }

  async create(name: string, config: ConfigInput): Promise<ServingEndpoint> {
    if (this.endpoints.has(name)) throw new ConflictError('LOCAL_SERVING_EXISTS', `endpoint ${name} already exists`);
    const proxy = createServer((req, res) => this.forward(name, req, res));
    const want = this.o.ports[name] ?? 0;
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject);
      proxy.listen(want, '127.0.0.1', () => resolve());
    });
    const ep: LocalEndpoint = {
      name,
      proxy,
      port: (proxy.address() as AddressInfo).port,
      routes: [],
      config: undefined,
      version: 0,
      configUpdate: 'NOT_UPDATING',
      pending: undefined,
      upstreams: new Map(),
    };
    this.endpoints.set(name, ep);
    this.o.log?.(`local serving: endpoint ${name} on http://127.0.0.1:${ep.port}/invocations`);
    return this.updateConfig(name, config);
  }

  async updateConfig(name: string, config: ConfigInput): Promise<ServingEndpoint> {
    const ep = this.endpoints.get(name);
    if (!ep) throw new NotFoundError('LOCAL_SERVING_NOT_FOUND', `endpoint ${name} does not exist`);
    if (ep.configUpdate === 'IN_PROGRESS')
      throw new ConflictError('LOCAL_SERVING_UPDATING', `endpoint ${name} is being updated`);
    const sum = config.traffic_config.routes.reduce((a, r) => a + r.traffic_percentage, 0);
    if (
      sum !== 100 ||
      config.traffic_config.routes.some((r) => !config.served_entities.some((e) => e.name === r.served_entity_name))
    ) {
      throw new ValidationError('LOCAL_SERVING_CONFIG_INVALID', 'routes must name served entities and sum to 100');
    }
    ep.configUpdate = 'IN_PROGRESS';
    ep.pending = config;
    void this.apply(ep, config);
    return Promise.resolve(this.view(ep));
  }

  /** Stops every endpoint and model server this runner started. */
  async stopAll(): Promise<void> {
    for (const ep of this.endpoints.values()) {
      ep.proxy.closeAllConnections();
      await new Promise<void>((r) => ep.proxy.close(() => r()));
      for (const u of ep.upstreams.values()) this.kill(u);
    }
    this.endpoints.clear();
  }

  /** Synchronous: kills every model server (for process exit). */
  killAll(): void {
    for (const ep of this.endpoints.values()) for (const u of ep.upstreams.values()) this.kill(u);
  }

  private key(e: ServedEntityInput): string {
    return `${e.name}|${e.entity_name}|${e.entity_version}`;
  }

  private async apply(ep: LocalEndpoint, config: ConfigInput): Promise<void> {
    const started: Upstream[] = [];
    try {
      const byName = new Map<string, Upstream>();
      for (const e of config.served_entities) {
        let u = ep.upstreams.get(this.key(e));
        if (!u || u.exited) {
          u = await this.start(ep.name, e);
          started.push(u);
        }
        byName.set(e.name, u);
      }
      await Promise.all(started.map((u) => this.waitHealthy(u)));
      // The swap: one assignment; requests already forwarded finish on their upstream.
      ep.routes = config.traffic_config.routes
        .filter((r) => r.traffic_percentage > 0)
        .map((r) => ({ upstream: byName.get(r.served_entity_name)!, pct: r.traffic_percentage }));
      const keep = new Set(config.served_entities.map((e) => this.key(e)));
      const retired = [...ep.upstreams.entries()].filter(([k]) => !keep.has(k));
      for (const u of started) ep.upstreams.set(this.key(u.entity), u);
      for (const [k] of retired) ep.upstreams.delete(k);
      ep.config = config;
      ep.version += 1;
      ep.pending = undefined;
      ep.configUpdate = 'NOT_UPDATING';
      this.o.log?.(
        `local serving: ${ep.name} now serves ${config.traffic_config.routes.map((r) => `${r.served_entity_name} ${r.traffic_percentage}%`).join(', ')}`,
      );
      for (const [, u] of retired) void this.drainAndKill(u);
    } catch (e) {
      for (const u of started) this.kill(u);
      ep.pending = undefined;
      ep.lastError = e instanceof Error ? e.message : String(e);
      ep.configUpdate = 'UPDATE_FAILED';
      this.o.log?.(`local serving: update of ${ep.name} failed: ${ep.lastError}`);
    }
  }

  private async start(endpoint: string, e: ServedEntityInput): Promise<Upstream> {
    const port = await freePort();
    const vars: Record<string, string> = {
      entity: e.entity_name,
      version: e.entity_version,
      port: String(port),
      name: e.name,
      endpoint,
    };
    const argv = this.o.command.map((a) =>
      a.replace(/\{(entity|version|port|name|endpoint)\}/g, (_m, k: string) => vars[k] ?? ''),
    );
    const [cmd, ...args] = argv;
    if (!cmd) throw new ValidationError('LOCAL_SERVING_COMMAND_EMPTY', 'the local serving command is empty');
    // A venv's executable finds its siblings (mlflow runs `uvicorn`) through PATH: put its folder first.
    const base = this.o.env ?? process.env;
    const env = isAbsolute(cmd) ? { ...base, PATH: `${dirname(cmd)}${delimiter}${base['PATH'] ?? ''}` } : base;
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    const u: Upstream = { entity: e, port, child, inflight: 0, exited: false };
    let tail = '';
    child.stderr?.on('data', (c: Buffer) => {
      tail = (tail + c.toString('utf8')).slice(-2000);
    });
    child.on('exit', () => {
      u.exited = true;
    });
    child.on('error', (err) => {
      u.exited = true;
      tail += err.message;
    });
    (u as Upstream & { tail: () => string }).tail = () => tail;
    return Promise.resolve(u);
  }

  private async waitHealthy(u: Upstream): Promise<void> {
    const deadline = Date.now() + this.o.healthTimeoutMs;
    while (Date.now() < deadline) {
      if (u.exited)
        throw new Error(
          `model server for ${u.entity.entity_name} v${u.entity.entity_version} exited before it was healthy: ${((u as Upstream & { tail?: () => string }).tail?.() ?? '').split('\n').filter(Boolean).slice(-3).join(' | ')}`,
        );
      const ok = await fetch(`http://127.0.0.1:${u.port}/ping`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(200);
    }
    throw new Error(
      `model server for ${u.entity.entity_name} v${u.entity.entity_version} was not healthy (/ping) within ${this.o.healthTimeoutMs} ms`,
    );
  }

  private async drainAndKill(u: Upstream): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (u.inflight > 0 && Date.now() < deadline) await sleep(50);
    this.kill(u);
  }

  private kill(u: Upstream): void {
    if (!u.exited && u.child.exitCode === null) u.child.kill('SIGTERM');
  }

  private pick(ep: LocalEndpoint): Upstream | undefined {
    const routes = ep.routes;
    if (!routes.length) return undefined;
    let x = Math.random() * 100;
    for (const r of routes) {
      x -= r.pct;
      if (x < 0) return r.upstream;
    }
    return routes[routes.length - 1]!.upstream;
  }

  private forward(name: string, req: IncomingMessage, res: ServerResponse): void {
    const ep = this.endpoints.get(name);
    const u = ep ? this.pick(ep) : undefined;
    if (!u) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'ENDPOINT_NOT_READY', message: `endpoint ${name} serves nothing yet` }));
      return;
    }
    u.inflight++;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        u.inflight--;
      }
    };
    const up = httpRequest(
      {
        host: '127.0.0.1',
        port: u.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-served-entity': u.entity.name },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, {
          ...r.headers,
          'x-served-entity': u.entity.name,
          'x-served-version': u.entity.entity_version,
        });
        r.pipe(res);
        r.on('end', finish);
        r.on('error', finish);
      },
    );
    up.on('error', (err) => {
      finish();
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'UPSTREAM_ERROR', message: err.message }));
    });
    req.pipe(up);
  }

  private view(ep: LocalEndpoint): ServingEndpoint {
    const ready = ep.config ? 'READY' : 'NOT_READY';
    return {
      name: ep.name,
      id: `local-${ep.name}`,
      endpoint_url: `http://127.0.0.1:${ep.port}/invocations`,
      state: { ready, config_update: ep.configUpdate },
      ...(ep.config ? { config: { ...ep.config, config_version: ep.version } } : {}),
      ...(ep.pending ? { pending_config: { ...ep.pending, config_version: ep.version + 1 } } : {}),
      ...(ep.lastError ? { last_error: ep.lastError } : {}),
    };
  }
}
