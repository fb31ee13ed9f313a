/**
 * The contract between the local host core and its binding extensions (HTTP, timer, durable, Service Bus).
 *
 * Invariants:
 * - The host core knows nothing about any trigger type; every trigger, input and output binding type is
 *   claimed by exactly one extension. An unclaimed trigger type stops start-up naming the function.
 * - Every invocation gets a fresh InvocationContext (durable-functions caches `context.df` on it).
 * - Extensions start in registration order and stop in reverse order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../lib/clock';

/** One binding of a registered function, as `@azure/functions` passes it to `registerFunction` (map key applied as `name`). */
export interface BindingInfo {
  name: string;
  type: string;
  direction: 'in' | 'out' | 'inout';
  [option: string]: unknown;
}

/** A function the app registered through `@azure/functions-core`. */
export interface RegisteredFunction {
  name: string;
  /** The trigger binding (type matches /trigger$/i). */
  trigger: BindingInfo;
  /** Extra input bindings (direction 'in', not the trigger). */
  inputs: BindingInfo[];
  /** Extra output bindings (direction 'out', key other than `$return`). */
  outputs: BindingInfo[];
  /** The `$return` binding, if any. */
  returnBinding?: BindingInfo;
  /** Raw metadata as registered. */
  metadata: { name: string; functionId?: string; bindings: Record<string, BindingInfo>; retryOptions?: unknown };
  /** The callback `@azure/functions` registered: (triggerInput, InvocationContext) => unknown. */
  callback: (...args: unknown[]) => unknown;
}

export type HostLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical';

/** Structured host log. Fields are printed as key=value; never pass secrets. */
export interface HostLogger {
  log(level: HostLogLevel, message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): HostLogger;
}

export interface InvokeOptions {
  /** Values for extra input bindings by binding name. Extensions that own an input type fill theirs automatically. */
  extraInputs?: Record<string, unknown>;
  triggerMetadata?: Record<string, unknown>;
  retryContext?: { retryCount: number; maxRetryCount: number; exception?: { message?: string; stackTrace?: string } };
  /** Caller-chosen invocation id (default: random UUID). */
  invocationId?: string;
  /** Extra structured fields for the invocation's log lines (e.g. instanceId). */
  logFields?: Record<string, unknown>;
  /** W3C trace context the host gives the invocation (`context.traceContext`), as the Functions host does. */
  traceContext?: { traceParent: string; traceState?: string };
}

export interface InvokeResult {
  /** The handler's return value (already awaited). */
  returnValue: unknown;
  /** Values the handler set on `context.extraOutputs`, by binding name (undefined/null left out). */
  extraOutputs: Record<string, unknown>;
  invocationId: string;
}

/** A system HTTP route served by an extension on the host's port (e.g. /runtime/webhooks/durabletask/...). */
export interface SystemRoute {
  /** Path prefix, e.g. '/runtime/webhooks/durabletask/'. Matched case-insensitively. */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
  /** True: the host does not read the body (Content-Length is still checked); `handle` gets it unread in `req`. */
  streamBody?(req: IncomingMessage): boolean;
}

/** What the host offers its extensions. */
export interface HostContext {
  appDir: string;
  stateDir: string;
  /** Parsed host.json (object; missing file = {}). */
  hostJson: Record<string, unknown>;
  /** local.settings.json `Host` section (LocalHttpPort, CORS, CORSCredentials). */
  localHost: { LocalHttpPort?: number; CORS?: string; CORSCredentials?: boolean };
  /** Effective settings: process.env after local.settings.json Values were merged (real env wins). */
  settings: NodeJS.ProcessEnv;
  /** Resolve `%Name%` tokens in a binding option against settings; throws a HostConfigError naming the setting when missing. */
  resolveSetting(value: string): string;
  logger: HostLogger;
  functions: readonly RegisteredFunction[];
  /** Base URL of the host's HTTP listener, e.g. http://127.0.0.1:7071 (no trailing slash). */
  baseUrl: string;
  /** Invoke a registered function with a fresh InvocationContext; output bindings are dispatched to their extensions. */
  invoke(fn: RegisteredFunction, triggerInput: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Serve a system route on the host's HTTP port. Must be called during `init` (before listening). */
  addSystemRoute(route: SystemRoute): void;
  /** Azure production-parity mode (`start --azure-parity`): extensions answer as the Azure host would where local defaults differ. */
  parity?: boolean;
  /** Largest request body in bytes (`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`, default 100 MB); larger ones get 413. */
  readonly requestBodyLimit: number;
  /**
   * The host's time source, shared by every engine: the system clock, or with `DEVHOST_TEST_CLOCK=1` one test clock
   * that `POST /admin/host/clock` moves forward (clock-route.ts). Engines read time and arm time-based waits with it.
   */
  readonly clock: Clock;
  /** Whether the app called `app.setup({ enableHttpStream: true })`. */
  httpStreamEnabled(): boolean;
  /** Look up another started extension by name (e.g. the HTTP extension asking the durable one for nothing). */
  getExtension<T extends HostExtension>(name: string): T | undefined;
}

/** What an extension sees before the app's entry files load: settings are applied, no functions exist yet. */
export interface PreloadContext {
  appDir: string;
  stateDir: string;
  hostJson: Record<string, unknown>;
  /** local.settings.json `Values` names (the app's own settings, before merging with the real environment). */
  appSettingNames: readonly string[];
  settings: NodeJS.ProcessEnv;
  logger: HostLogger;
}

export interface HostExtension {
  readonly name: string;
  /** Trigger binding types this extension runs (exact, case-insensitive), e.g. ['httpTrigger']. */
  readonly triggerTypes: readonly string[];
  /** Input binding types it supplies values for, e.g. ['durableClient', 'orchestrationClient']. */
  readonly inputTypes?: readonly string[];
  /** Output binding types it handles, e.g. ['serviceBus']. */
  readonly outputTypes?: readonly string[];
  /**
   * Function-level retry policies (`retry` option) for this extension's triggers, as Azure treats them:
   * 'supported' — the extension runs them (see host/retry.ts); 'ignored' — Azure accepts but ignores them (the
   * trigger retries through its own delivery count), the host warns at start-up. Absent: Azure does not support them
   * for this trigger (e.g. HTTP) and start-up stops naming the function.
   */
  readonly retryPolicies?: 'supported' | 'ignored';
  /** Return an error message if a function using this extension is registered wrongly (host stops start-up with it). */
  validate?(fn: RegisteredFunction, host: HostContext): string | undefined;
  /**
   * Optional, before the app's entry files load (so module-level code in the app sees its effect, e.g. rewritten
   * connection-string settings). Long work may be started here and awaited in `init`.
   */
  preload?(host: PreloadContext): Promise<void>;
  /** Called after validation while the HTTP port still answers 503 (baseUrl is known): open stores, register system routes. */
  init?(host: HostContext): Promise<void>;
  /** Called after every extension's init: begin delivering triggers. */
  start?(host: HostContext): Promise<void>;
  /** Value for an input binding of a claimed type, computed per invocation. */
  /** (May return a promise.) */
  resolveInput?(binding: BindingInfo, fn: RegisteredFunction, host: HostContext): unknown;
  /** Handle a value the function wrote to an output binding of a claimed type. */
  handleOutput?(binding: BindingInfo, value: unknown, fn: RegisteredFunction, host: HostContext): Promise<void>;
  /** Lines for the start-up listing, e.g. 'MyFunc: [POST] http://127.0.0.1:7071/api/x'. Default: '<name>: <triggerType>'. */
  describe?(fn: RegisteredFunction, host: HostContext): string;
  /** Stop delivering, let in-flight work finish (bounded by `deadlineMs`), release resources. */
  stop?(deadlineMs: number): Promise<void>;
}

/** Errors with stable codes, shown to users with what to do next. */
export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HostError';
  }
}
