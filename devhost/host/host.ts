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
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { hostSetting, LEGACY_STATE_DIR_SETTING, STATE_DIR_SETTING } from './setting-names';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { adminKeys, assertKeysForListenHost, ownOrigins } from './admin-guard';
import { clockFromSettings, clockRoute } from './clock-route';
import { TestClock, type Clock } from '../lib/clock';
import { buildPackage, makeReadOnly } from './package';
import { installReadOnlyGuard } from './readonly-guard';
import { answerTooLarge, bodyLimitFrom, declaredLength, readBody } from '../http/body';
import { installCoreModule, type CoreRegistry } from './core-module';
import { createInvoker, wasLogged, type Invoker } from './invoke';
import { defaultExtensions } from './extensions-registry';
import { loadAppFunctionsLibrary, loadEntryFiles, resolveEntryFiles } from './loader';
import { createLogger, levelsFromHostJson, parseLevel } from './logger';
import { parseRetryPolicy } from './retry';
import {
  applySettings,
  getHostSetting,
  parseTimeSpan,
  readHostJson,
  readLocalSettings,
  resolveSettingTokens,
  type LocalSettings,
} from './settings';
import {
  HostError,
  type HostContext,
  type HostExtension,
  type HostLogger,
  type InvokeOptions,
  type InvokeResult,
  type PreloadContext,
  type RegisteredFunction,
  type SystemRoute,
} from './types';

export interface HostOptions {
  appDir: string;
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  listenHost?: string;
  stateDir?: string;
  /** Start Azurite when settings point at development storage (default true). */
  azurite?: boolean;
  /** App settings (besides AzureWebJobsStorage and local.settings.json Values) that may name development storage. */
  storageSettings?: readonly string[];
  logger?: HostLogger;
  /** Build the extension list (default: the built-in set from extensions-registry). */
  extensions?: (options: HostOptions) => HostExtension[];
  /**
   * Azure production parity (`start --azure-parity`): run from a read-only copy of the deployment package (built as
   * `func azure functionapp publish` selects files), working directory at its root, WEBSITE_* set as on Flex
   * Consumption, and the durable API answering as the extension does. (In every mode `%Setting%` binding expressions
   * resolve from app settings only and an unresolved one disables the function with the real host's message.)
   */
  parity?: boolean;
}

/** App settings Flex Consumption refuses; parity mode removes them (with a warning) instead of honouring them. */
const FLEX_FORBIDDEN_SETTINGS = ['WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_TIME_ZONE'];
/** Binding options that are not `%Setting%`-resolved by the host. */
const NOT_RESOLVED_OPTIONS = new Set(['name', 'type', 'direction', 'route', 'properties']);

export class LocalHost {
  /** The folder the app runs from: the app folder, or in parity mode the read-only package copy. */
  appDir: string;
  /** The app folder as given (the project); differs from appDir in parity mode. */
  readonly sourceDir: string;
  /** Functions the host could not index (unresolved `%Setting%`), with the real host's message; they do not run. */
  readonly functionErrors: Array<{ name: string; message: string }> = [];
  /** Functions disabled by an `AzureWebJobs.<name>.Disabled` app setting; they do not run (HTTP answers 404). */
  readonly disabledFunctions: RegisteredFunction[] = [];
  /** True once every appStart hook ran: only then do appTerminate hooks run at stop, as in the worker. */
  private appStarted = false;
  private appSettings: NodeJS.ProcessEnv | undefined;
  readonly stateDir: string;
  private server: Server | undefined;
  private registry: CoreRegistry | undefined;
  private invoker: Invoker | undefined;
  private extensions: HostExtension[] = [];
  private readonly routes: SystemRoute[] = [];
  private ready = false;
  private stopping: Promise<void> | undefined;
  private inFlightHttp = 0;
  /** FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, read once the app's settings are applied. */
  private bodyLimit = bodyLimitFrom({}).limit;
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private logger: HostLogger;
  context: HostContext | undefined;
  localSettings: LocalSettings | undefined;

  constructor(private readonly options: HostOptions) {
    this.appDir = resolve(options.appDir);
    this.sourceDir = this.appDir;
    this.stateDir = resolve(options.stateDir ?? join(this.appDir, '.devhost'));
    this.logger = options.logger ?? createLogger();
  }

  get baseUrl(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new HostError('HOST_NOT_LISTENING', 'The host is not listening yet');
    const host =
      this.options.listenHost && this.options.listenHost !== '0.0.0.0' && this.options.listenHost !== '::'
        ? this.options.listenHost
        : '127.0.0.1';
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
    // Beyond loopback the APIs face the network: refuse to start without keys the user chose.
    assertKeysForListenHost(this.options.listenHost, process.env);
    if (this.options.parity) this.prepareParity();
    // The app's local state (job runner, job definitions) goes under this host's state dir, so two hosts started
    // from one checkout (`npm start`, the demo, tests) never share it. Apps read it like a platform setting.
    process.env[STATE_DIR_SETTING] = this.stateDir;
    process.env[LEGACY_STATE_DIR_SETTING] = this.stateDir;
    const hostJson = readHostJson(this.appDir);
    if (!this.options.logger) {
      this.logger = createLogger({
        levelFor: levelsFromHostJson(
          getHostSetting(hostJson, 'logging.logLevel'),
          hostSetting(process.env, 'LOG_LEVEL'),
        ),
      });
    }
    const logger = this.logger;
    const bodyLimit = bodyLimitFrom(process.env);
    this.bodyLimit = bodyLimit.limit;
    if (bodyLimit.problem !== undefined) logger.log('warning', bodyLimit.problem, {});
    const functionTimeoutMs = readFunctionTimeout(hostJson);

    const factory = this.options.extensions ?? defaultExtensions;
    this.extensions = factory({ ...this.options, appDir: this.appDir });
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
    // App settings as the platform sees them, before app code runs (code setting process.env is not an app setting).
    const appSettings = { ...process.env };
    this.appSettings = appSettings;
    const lib = loadAppFunctionsLibrary(this.appDir);
    await loadEntryFiles(this.appDir, resolveEntryFiles(this.appDir));
    if (this.registry.errors.length) {
      throw new HostError(
        'HOST_FUNCTION_INVALID',
        `The app registered invalid functions:\n  - ${this.registry.errors.join('\n  - ')}`,
      );
    }
    this.disableUnresolvedFunctions(appSettings);
    this.removeDisabledFunctions(appSettings);
    if (this.registry.functions.size === 0) {
      logger.log('warning', 'No functions registered: check package.json "main" and that entry files call app.*()', {
        appDir: this.appDir,
      });
    }
    this.invoker = createInvoker(
      lib,
      this.registry,
      logger,
      functionTimeoutMs === undefined ? {} : { functionTimeoutMs },
    );

    const context = this.makeContext(hostJson, clockFromSettings(process.env));
    this.context = context;
    this.validate(context);
    if (context.clock instanceof TestClock) {
      const origins = () => ownOrigins(Number(new URL(this.baseUrl).port), this.options.listenHost, process.env);
      context.addSystemRoute(clockRoute(context.clock, () => adminKeys(this.stateDir, process.env), origins));
      logger.log(
        'warning',
        "Test clock on (DEVHOST_TEST_CLOCK): POST /admin/host/clock moves the engines' time forward",
        { now: new Date(context.clock.now()).toISOString() },
      );
    }
    await this.listen();

    for (const ext of this.extensions) await ext.init?.(context);
    // As in the worker, appStart hooks finish before any trigger is delivered.
    for (const hook of this.registry.hooks.get('appStart') ?? []) {
      try {
        await hook({
          hookData: this.registry.appLevelOnlyHookData,
          appHookData: this.registry.appHookData,
          functionAppDirectory: this.appDir,
        });
      } catch (e) {
        throw new HostError('HOST_APP_START_FAILED', `An appStart hook failed: ${(e as Error).message}`, {
          stack: (e as Error).stack,
        });
      }
    }
    this.appStarted = true;
    for (const ext of this.extensions) await ext.start?.(context);
    this.ready = true;

    this.printListing(context);
    logger.log('information', `Host started (${Date.now() - started} ms)`, {
      url: this.baseUrl,
      stateDir: this.stateDir,
    });
  }

  private makeContext(hostJson: Record<string, unknown>, clock: Clock): HostContext {
    const baseUrl = () => this.baseUrl;
    const ctx: HostContext = {
      appDir: this.appDir,
      stateDir: this.stateDir,
      hostJson,
      localHost: this.localSettings?.Host ?? {},
      settings: process.env,
      resolveSetting: (value) => resolveSettingTokens(value, this.appSettings ?? process.env, 'A binding'),
      parity: this.options.parity === true,
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
      getExtension: <T extends HostExtension>(name: string) =>
        this.extensions.find((e) => e.name === name) as T | undefined,
      requestBodyLimit: this.bodyLimit,
      clock,
      httpStreamEnabled: () => this.registry?.httpStream === true,
    };
    return ctx;
  }

  /**
   * Parity mode: build the package, make it read-only, run from it, and set the platform's WEBSITE_* variables
   * (real environment variables win for WEBSITE_SITE_NAME only, as it names the app).
   */
  private prepareParity(): void {
    for (const name of FLEX_FORBIDDEN_SETTINGS) {
      if (process.env[name] === undefined) continue;
      this.logger.log(
        'warning',
        `${name} is not supported on Flex Consumption; parity mode ignores it${name === 'WEBSITE_TIME_ZONE' ? ' (timers run in UTC)' : ''}`,
        { setting: name },
      );
      delete process.env[name];
    }
    const runDir = join(this.stateDir, 'parity', 'wwwroot');
    const started = Date.now();
    // The host's own state (durable DBs, Azurite data) is never part of the app, even when it lives in the app folder.
    const pkg = buildPackage(this.sourceDir, runDir, [this.stateDir]);
    makeReadOnly(runDir);
    installReadOnlyGuard(runDir);
    this.appDir = runDir;
    process.chdir(runDir);
    let siteName = process.env['WEBSITE_SITE_NAME'];
    if (!siteName) {
      try {
        siteName = (JSON.parse(readFileSync(join(runDir, 'package.json'), 'utf8')) as { name?: string }).name;
      } catch {
        siteName = undefined;
      }
    }
    const port = this.options.port ?? this.localSettings?.Host.LocalHttpPort ?? 7071;
    const platform: Record<string, string> = {
      WEBSITE_SITE_NAME: siteName || 'devhost-local',
      WEBSITE_INSTANCE_ID: randomBytes(32).toString('hex'),
      WEBSITE_SKU: 'FlexConsumption',
      FUNCTIONS_EXTENSION_VERSION: '~4',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsScriptRoot: runDir,
    };
    // The durable client needs the address it can reach; with port 0 the durable extension sets it once listening.
    if (port !== 0) platform['WEBSITE_HOSTNAME'] = `127.0.0.1:${port}`;
    else delete process.env['WEBSITE_HOSTNAME'];
    Object.assign(process.env, platform);
    this.logger.log('information', 'Azure parity mode: running from a read-only copy of the deployment package', {
      packageDir: runDir,
      appFiles: pkg.appFiles.length,
      productionPackages: pkg.packages.length,
      ms: Date.now() - started,
      sku: platform['WEBSITE_SKU'],
      instanceId: platform['WEBSITE_INSTANCE_ID'],
    });
  }

  /** Like the Functions host: a binding whose `%Setting%` does not resolve disables that function, the host starts. */
  private disableUnresolvedFunctions(settings: NodeJS.ProcessEnv): void {
    if (!this.registry) return;
    for (const [id, fn] of [...this.registry.functions]) {
      const bindings = [fn.trigger, ...fn.inputs, ...fn.outputs, ...(fn.returnBinding ? [fn.returnBinding] : [])];
      let missing: string | undefined;
      for (const b of bindings) {
        for (const [k, v] of Object.entries(b)) {
          if (NOT_RESOLVED_OPTIONS.has(k) || typeof v !== 'string') continue;
          for (const m of v.matchAll(/%([^%]+)%/g)) if (settings[m[1]!] === undefined) missing ??= m[0];
        }
      }
      if (!missing) continue;
      const message = `Error indexing method 'Functions.${fn.name}'. Microsoft.Azure.WebJobs.Host: '${missing}' does not resolve to a value.`;
      this.functionErrors.push({ name: fn.name, message });
      this.registry.functions.delete(id);
      this.logger.log('error', `Microsoft.Azure.WebJobs.Host: ${message}`, { function: fn.name });
      this.logger.log('error', `Function '${fn.name}' failed indexing and will be disabled.`, { function: fn.name });
    }
  }

  /**
   * `AzureWebJobs.<function>.Disabled` = true/1 (app setting, name matched case-insensitively as the host's
   * configuration does): the function is not started — no trigger listener, HTTP route answers 404.
   */
  private removeDisabledFunctions(settings: NodeJS.ProcessEnv): void {
    if (!this.registry) return;
    const byName = new Map(Object.entries(settings).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [id, fn] of [...this.registry.functions]) {
      const value = byName.get(`azurewebjobs.${fn.name.toLowerCase()}.disabled`)?.trim().toLowerCase();
      if (value !== 'true' && value !== '1') continue;
      this.registry.functions.delete(id);
      this.disabledFunctions.push(fn);
      this.logger.log(
        'information',
        `Function '${fn.name}' is disabled (app setting AzureWebJobs.${fn.name}.Disabled)`,
        { function: fn.name },
      );
    }
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
        problems.push(
          `Function "${fn.name}": trigger type "${fn.trigger.type}" is not supported by the local host (supported: ${this.extensions.flatMap((e) => e.triggerTypes).join(', ')})`,
        );
        continue;
      }
      for (const b of fn.inputs)
        if (!this.owner('input', b.type))
          problems.push(
            `Function "${fn.name}": input binding "${b.name}" of type "${b.type}" is not supported by the local host`,
          );
      for (const b of fn.outputs)
        if (!this.owner('output', b.type))
          problems.push(
            `Function "${fn.name}": output binding "${b.name}" of type "${b.type}" is not supported by the local host`,
          );
      if (
        fn.returnBinding &&
        fn.returnBinding.type.toLowerCase() !== 'http' &&
        !this.owner('output', fn.returnBinding.type)
      ) {
        problems.push(
          `Function "${fn.name}": return binding of type "${fn.returnBinding.type}" is not supported by the local host`,
        );
      }
      const retryProblem = this.checkRetry(fn, ext);
      if (retryProblem) problems.push(`Function "${fn.name}": ${retryProblem}`);
      const claimed = new Set([
        ext,
        ...fn.inputs.map((b) => this.owner('input', b.type)),
        ...fn.outputs.map((b) => this.owner('output', b.type)),
      ]);
      for (const e of claimed) {
        const msg = e?.validate?.(fn, context);
        if (msg) problems.push(`Function "${fn.name}": ${msg}`);
      }
    }
    if (problems.length)
      throw new HostError(
        'HOST_FUNCTION_INVALID',
        `Start-up stopped: ${problems.length} function registration problem(s):\n  - ${problems.join('\n  - ')}`,
      );
  }

  /**
   * A `retry` policy is valid and its trigger runs policies in Azure (Timer here; Cosmos DB, Event Hubs and Kafka have
   * no local extension). Triggers that retry through their own delivery count (Service Bus, Storage queues and
   * blobs) ignore it in Azure: a warning. Any other trigger (HTTP, durable) has no retry support: a problem.
   */
  private checkRetry(fn: RegisteredFunction, ext: HostExtension): string | undefined {
    let policy;
    try {
      policy = parseRetryPolicy(fn.metadata.retryOptions);
    } catch (e) {
      return `invalid retry policy: ${(e as Error).message}`;
    }
    if (!policy || ext.retryPolicies === 'supported') return undefined;
    if (ext.retryPolicies === 'ignored') {
      this.logger.log(
        'warning',
        `Function "${fn.name}": Azure ignores function-level retry policies for ${fn.trigger.type} (retries come from the trigger's delivery count); the local host ignores it too`,
        { function: fn.name },
      );
      return undefined;
    }
    return `retry policies are not supported for ${fn.trigger.type} functions in Azure (only Timer, Cosmos DB, Event Hubs and Kafka triggers run them); remove the "retry" option`;
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
        this.logger.log('error', `Function "${fn.name}" failed in a binding: ${(e as Error).message}`, {
          function: fn.name,
          stack: (e as Error).stack,
        });
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
        reject(
          e.code === 'EADDRINUSE'
            ? new HostError(
                'HOST_PORT_IN_USE',
                `Port ${port} is already in use; stop the other process or pass --port N`,
              )
            : e,
        );
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
    const path = (req.url ?? '/').split('?')[0]!.toLowerCase();
    const route = this.routes.find(
      (r) => path.startsWith(r.prefix.toLowerCase()) || path + '/' === r.prefix.toLowerCase(),
    );
    if (!route) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    const fail = (e: unknown): void => {
      this.logger.log('error', 'Unhandled error serving a request', { path, error: (e as Error).stack ?? String(e) });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'Internal host error; see the host log' }));
      } else res.destroy();
    };
    // The size limit applies before anything is read: an announced length over it is refused at once.
    const declared = declaredLength(req);
    if (declared !== undefined && declared > this.bodyLimit) {
      answerTooLarge(req, res);
      return;
    }
    if (route.streamBody?.(req) === true) {
      route.handle(req, res, Buffer.alloc(0)).catch(fail);
      return;
    }
    req.on('error', () => res.destroy());
    readBody(req, this.bodyLimit).then(
      (body) => {
        if (body === undefined) answerTooLarge(req, res);
        else route.handle(req, res, body).catch(fail);
      },
      () => res.destroy(),
    );
  }

  private printListing(context: HostContext): void {
    const lines: string[] = [];
    for (const fn of this.functions) {
      const ext = this.owner('trigger', fn.trigger.type);
      lines.push(`  ${ext?.describe?.(fn, context) ?? `${fn.name}: ${fn.trigger.type}`}`);
    }
    for (const fn of this.disabledFunctions)
      lines.push(`  ${fn.name}: ${fn.trigger.type} (disabled by app setting AzureWebJobs.${fn.name}.Disabled)`);
    process.stdout.write(`\nFunctions:\n\n${lines.join('\n')}\n\n`);
    if (this.functionErrors.length) {
      process.stdout.write(
        `Functions in error (not running):\n\n${this.functionErrors.map((f) => `  ${f.name}: ${f.message}`).join('\n')}\n\n`,
      );
    }
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
      this.logger.log('information', 'Host stopping: draining in-flight work', {
        inFlightHttp: this.inFlightHttp,
        inFlightInvocations: this.inFlight,
      });
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
        if (this.inFlight > 0)
          this.logger.log('warning', 'Shutdown deadline passed with invocations still running', {
            inFlightInvocations: this.inFlight,
          });
      }
      // appTerminate pairs with appStart: after a start-up that failed before (or in) the appStart hooks it does not run.
      for (const hook of this.appStarted ? (this.registry?.hooks.get('appTerminate') ?? []) : []) {
        try {
          await hook({
            hookData: this.registry?.appLevelOnlyHookData ?? {},
            appHookData: this.registry?.appHookData ?? {},
          });
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
  if (ms === undefined || ms <= 0)
    throw new HostError(
      'HOST_CONFIG_INVALID',
      `host.json "functionTimeout" must be a TimeSpan such as "00:05:00" or -1 (found ${JSON.stringify(raw)})`,
    );
  return ms;
}
