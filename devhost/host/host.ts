/**
 * The local Functions host: loads an unmodified v4 app, hands each trigger type to the extension that claims it,
 * serves HTTP (app routes and extension system routes) on one port, and shuts down gracefully.
 *
 * Start-up order (each step fails loudly, naming the function or setting at fault):
 *   settings → extension preload (e.g. Azurite, so app module code sees its settings) → core module → app entry
 *   files → validation → HTTP listener (503 until ready) → extension init → appStart hooks → extension start
 *   (triggers flow) → ready → function listing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { resolve, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { installCoreModule, type CoreRegistry } from './core-module';
import { createInvoker, wasLogged, type Invoker } from './invoke';
import { defaultExtensions } from './extensions-registry';
import { loadAppFunctionsLibrary, loadEntryFiles, resolveEntryFiles } from './loader';
import { createLogger, levelsFromHostJson, parseLevel } from './logger';
import { applySettings, getHostSetting, parseTimeSpan, readHostJson, readLocalSettings, resolveSettingTokens, type LocalSettings } from './settings';
import { HostError, type HostContext, type HostExtension, type HostLogger, type InvokeOptions, type InvokeResult, type PreloadContext, type RegisteredFunction, type SystemRoute } from './types';

export interface HostOptions {
  appDir: string;
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  listenHost?: string;
  stateDir?: string;
  /** Start Azurite when settings point at development storage (default true). */
  azurite?: boolean;
  logger?: HostLogger;
  /** Build the extension list (default: the built-in set from extensions-registry). */
  extensions?: (options: HostOptions) => HostExtension[];
}

const MAX_BODY_BYTES = 100 * 1024 * 1024; // Azure's HTTP request limit

export class LocalHost {
  readonly appDir: string;
  readonly stateDir: string;
  private server: Server | undefined;
  private registry: CoreRegistry | undefined;
  private invoker: Invoker | undefined;
  private extensions: HostExtension[] = [];
  private readonly routes: SystemRoute[] = [];
  private ready = false;
  private stopping: Promise<void> | undefined;
  private inFlightHttp = 0;
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private logger: HostLogger;
  context: HostContext | undefined;
  localSettings: LocalSettings | undefined;

  constructor(private readonly options: HostOptions) {
    this.appDir = resolve(options.appDir);
    this.stateDir = resolve(options.stateDir ?? join(this.appDir, '.stagecraft'));
    this.logger = options.logger ?? createLogger();
  }

  get baseUrl(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new HostError('HOST_NOT_LISTENING', 'The host is not listening yet');
    const host = this.options.listenHost && this.options.listenHost !== '0.0.0.0' && this.options.listenHost !== '::' ? this.options.listenHost : '127.0.0.1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  }

  get functions(): readonly RegisteredFunction[] {
    return [...(this.registry?.functions.values() ?? [])];
  }

  async start(): Promise<void> {
    const started = Date.now();
    mkdirSync(this.stateDir, { recursive: true });
    this.localSettings = readLocalSettings(this.appDir);
    applySettings(this.localSettings.Values);
    // The app's local state (job runner, job definitions) goes under this host's state dir, so two hosts started
    // from one checkout (`npm start`, the demo, tests) never share it. Apps read it like a platform setting.
    process.env['STAGECRAFT_HOST_STATE_DIR'] = this.stateDir;
    const hostJson = readHostJson(this.appDir);
    if (!this.options.logger) {
      this.logger = createLogger({ levelFor: levelsFromHostJson(getHostSetting(hostJson, 'logging.logLevel'), process.env['STAGECRAFT_LOG_LEVEL']) });
    }
    const logger = this.logger;
    const functionTimeoutMs = readFunctionTimeout(hostJson);

    const factory = this.options.extensions ?? defaultExtensions;
    this.extensions = factory(this.options);
    const preload: PreloadContext = {
      appDir: this.appDir,
      stateDir: this.stateDir,
      hostJson,
      appSettingNames: Object.keys(this.localSettings.Values),
      settings: process.env,
      logger,
    };
    for (const ext of this.extensions) await ext.preload?.(preload);

    this.registry = installCoreModule((level, category, message) => {
      if (category === 'system' && /^(trace|debug)$/i.test(level)) return;
      logger.log(parseLevel(level), message, { category: category === 'user' ? 'Function' : 'Host.Worker' });
    });
    const lib = loadAppFunctionsLibrary(this.appDir);
    await loadEntryFiles(this.appDir, resolveEntryFiles(this.appDir));
    if (this.registry.errors.length) {
      throw new HostError('HOST_FUNCTION_INVALID', `The app registered invalid functions:\n  - ${this.registry.errors.join('\n  - ')}`);
    }
    if (this.registry.functions.size === 0) {
      logger.log('warning', 'No functions registered: check package.json "main" and that entry files call app.*()', { appDir: this.appDir });
    }
    this.invoker = createInvoker(lib, this.registry, logger, functionTimeoutMs === undefined ? {} : { functionTimeoutMs });

    const context = this.makeContext(hostJson);
    this.context = context;
    this.validate(context);
    await this.listen();

    for (const ext of this.extensions) await ext.init?.(context);
    // As in the worker, appStart hooks finish before any trigger is delivered.
    for (const hook of this.registry.hooks.get('appStart') ?? []) {
      try {
        await hook({ hookData: this.registry.appLevelOnlyHookData, appHookData: this.registry.appHookData, functionAppDirectory: this.appDir });
      } catch (e) {
        throw new HostError('HOST_APP_START_FAILED', `An appStart hook failed: ${(e as Error).message}`, { stack: (e as Error).stack });
      }
    }
    for (const ext of this.extensions) await ext.start?.(context);
    this.ready = true;

    this.printListing(context);
    logger.log('information', `Host started (${Date.now() - started} ms)`, { url: this.baseUrl, stateDir: this.stateDir });
  }

  private makeContext(hostJson: Record<string, unknown>): HostContext {
    const baseUrl = () => this.baseUrl;
    const ctx: HostContext = {
      appDir: this.appDir,
      stateDir: this.stateDir,
      hostJson,
      localHost: this.localSettings?.Host ?? {},
      settings: process.env,
      resolveSetting: (value) => resolveSettingTokens(value, process.env, 'A binding'),
      logger: this.logger,
      functions: this.functions,
      get baseUrl() {
        return baseUrl();
      },
      invoke: (fn, input, options) => this.invoke(fn, input, options),
      addSystemRoute: (route) => {
        this.routes.push(route);
        this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
      },
      getExtension: <T extends HostExtension>(name: string) => this.extensions.find((e) => e.name === name) as T | undefined,
    };
    return ctx;
  }

  private owner(kind: 'trigger' | 'input' | 'output', type: string): HostExtension | undefined {
    const t = type.toLowerCase();
    return this.extensions.find((e) => {
      const list = kind === 'trigger' ? e.triggerTypes : kind === 'input' ? e.inputTypes : e.outputTypes;
      return (list ?? []).some((x) => x.toLowerCase() === t);
    });
  }

  private validate(context: HostContext): void {
    const problems: string[] = [];
    for (const fn of this.functions) {
      const ext = this.owner('trigger', fn.trigger.type);
      if (!ext) {
        problems.push(`Function "${fn.name}": trigger type "${fn.trigger.type}" is not supported by the local host (supported: ${this.extensions.flatMap((e) => e.triggerTypes).join(', ')})`);
        continue;
      }
      for (const b of fn.inputs) if (!this.owner('input', b.type)) problems.push(`Function "${fn.name}": input binding "${b.name}" of type "${b.type}" is not supported by the local host`);
      for (const b of fn.outputs) if (!this.owner('output', b.type)) problems.push(`Function "${fn.name}": output binding "${b.name}" of type "${b.type}" is not supported by the local host`);
      if (fn.returnBinding && fn.returnBinding.type.toLowerCase() !== 'http' && !this.owner('output', fn.returnBinding.type)) {
        problems.push(`Function "${fn.name}": return binding of type "${fn.returnBinding.type}" is not supported by the local host`);
      }
      const claimed = new Set([ext, ...fn.inputs.map((b) => this.owner('input', b.type)), ...fn.outputs.map((b) => this.owner('output', b.type))]);
      for (const e of claimed) {
        const msg = e?.validate?.(fn, context);
        if (msg) problems.push(`Function "${fn.name}": ${msg}`);
      }
    }
    if (problems.length) throw new HostError('HOST_FUNCTION_INVALID', `Start-up stopped: ${problems.length} function registration problem(s):\n  - ${problems.join('\n  - ')}`);
  }

  async invoke(fn: RegisteredFunction, triggerInput: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (!this.invoker || !this.context) throw new HostError('HOST_NOT_STARTED', 'The host has not started');
    const context = this.context;
    this.inFlight++;
    try {
      const inputs: Record<string, unknown> = { ...options.extraInputs };
      for (const b of fn.inputs) {
        if (b.name in inputs) continue;
        const ext = this.owner('input', b.type);
        if (ext?.resolveInput) inputs[b.name] = await ext.resolveInput(b, fn, context);
      }
      const result = await this.invoker.invoke(fn, triggerInput, inputs, options);
      for (const b of fn.outputs) {
        const value = result.extraOutputs[b.name];
        if (value === undefined) continue;
        await this.owner('output', b.type)?.handleOutput?.(b, value, fn, context);
      }
      const rb = fn.returnBinding;
      if (rb && rb.type.toLowerCase() !== 'http' && result.returnValue !== undefined && result.returnValue !== null) {
        await this.owner('output', rb.type)?.handleOutput?.(rb, result.returnValue, fn, context);
      }
      return result;
    } catch (e) {
      if (!wasLogged(e)) {
        this.logger.log('error', `Function "${fn.name}" failed in a binding: ${(e as Error).message}`, { function: fn.name, stack: (e as Error).stack });
      }
      throw e;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private listen(): Promise<void> {
    const port = this.options.port ?? this.localSettings?.Host.LocalHttpPort ?? 7071;
    const server = createServer((req, res) => this.onRequest(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolvePromise, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        reject(e.code === 'EADDRINUSE' ? new HostError('HOST_PORT_IN_USE', `Port ${port} is already in use; stop the other process or pass --port N`) : e);
      });
      server.listen(port, this.options.listenHost ?? '127.0.0.1', () => resolvePromise());
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.ready || this.stopping) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
      res.end(JSON.stringify({ error: this.stopping ? 'The host is shutting down' : 'The host is starting' }));
      return;
    }
    this.inFlightHttp++;
    const done = () => {
      this.inFlightHttp--;
    };
    res.once('close', done);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `Request body exceeds ${MAX_BODY_BYTES} bytes` }));
        return;
      }
      const path = (req.url ?? '/').split('?')[0]!.toLowerCase();
      const route = this.routes.find((r) => path.startsWith(r.prefix.toLowerCase()) || path + '/' === r.prefix.toLowerCase());
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'Not found' }));
        return;
      }
      route.handle(req, res, Buffer.concat(chunks)).catch((e: unknown) => {
        this.logger.log('error', 'Unhandled error serving a request', { path, error: (e as Error).stack ?? String(e) });
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'Internal host error; see the host log' }));
        } else res.destroy();
      });
    });
  }

  private printListing(context: HostContext): void {
    const lines: string[] = [];
    for (const fn of this.functions) {
      const ext = this.owner('trigger', fn.trigger.type);
      lines.push(`  ${ext?.describe?.(fn, context) ?? `${fn.name}: ${fn.trigger.type}`}`);
    }
    process.stdout.write(`\nFunctions:\n\n${lines.join('\n')}\n\n`);
    // The app's operator console (functions/console-assets.ts), when it has one.
    const consoleUrl = /(http\S+\/console\/)\{\*path\}/.exec(lines.join('\n'))?.[1];
    if (consoleUrl) process.stdout.write(`Console: ${consoleUrl}\n\n`);
  }

  /**
   * Stop accepting (new requests get 503, the listener closes), let running work finish, stop extensions in reverse
   * order, run appTerminate hooks. Everything is bounded by deadlineMs; never throws.
   */
  stop(deadlineMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      const deadline = Date.now() + deadlineMs;
      const left = () => Math.max(0, deadline - Date.now());
      this.logger.log('information', 'Host stopping: draining in-flight work', { inFlightHttp: this.inFlightHttp, inFlightInvocations: this.inFlight });
      const closed = new Promise<void>((r) => (this.server?.listening ? this.server.close(() => r()) : r()));
      this.server?.closeIdleConnections();
      for (const ext of [...this.extensions].reverse()) {
        try {
          await ext.stop?.(left());
        } catch (e) {
          this.logger.log('error', `Extension ${ext.name} failed to stop cleanly`, { error: (e as Error).message });
        }
      }
      if (this.inFlight > 0) {
        await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), sleep(left())]);
        if (this.inFlight > 0) this.logger.log('warning', 'Shutdown deadline passed with invocations still running', { inFlightInvocations: this.inFlight });
      }
      for (const hook of this.registry?.hooks.get('appTerminate') ?? []) {
        try {
          await hook({ hookData: this.registry?.appLevelOnlyHookData ?? {}, appHookData: this.registry?.appHookData ?? {} });
        } catch (e) {
          this.logger.log('error', 'appTerminate hook failed', { error: (e as Error).message });
        }
      }
      this.server?.closeIdleConnections();
      await Promise.race([closed, sleep(left())]);
      this.server?.closeAllConnections();
      this.logger.log('information', 'Host stopped');
    })();
    return this.stopping;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** host.json `functionTimeout`: a TimeSpan; "-1" or absent means unbounded (as `func start` runs by default). */
function readFunctionTimeout(hostJson: Record<string, unknown>): number | undefined {
  const raw = getHostSetting(hostJson, 'functionTimeout');
  if (raw === undefined || raw === null || raw === '-1' || raw === -1) return undefined;
  const ms = parseTimeSpan(raw);
  if (ms === undefined || ms <= 0) throw new HostError('HOST_CONFIG_INVALID', `host.json "functionTimeout" must be a TimeSpan such as "00:05:00" or -1 (found ${JSON.stringify(raw)})`);
  return ms;
}
