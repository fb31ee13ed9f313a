/**
 * Our stand-in for the Node worker's built-in `@azure/functions-core` module.
 *
 * Invariants:
 * - Installed before the app's entry files (and so `@azure/functions`) are first required: the library caches the
 *   lookup forever, and without the module it silently enters "test mode" and registers nothing.
 * - A function id (functionId || name) registers once; a second registration is an error naming it, as in the worker.
 */
import Module from 'node:module';
import { HostError, type BindingInfo, type RegisteredFunction } from './types';

export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate' | 'log';
type HookCallback = (context: Record<string, unknown>) => unknown;

class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  #cb: (() => unknown) | undefined;
  constructor(cb: () => unknown) {
    this.#cb = cb;
  }
  dispose(): void {
    const cb = this.#cb;
    this.#cb = undefined;
    cb?.();
  }
}

export interface CoreRegistry {
  functions: Map<string, RegisteredFunction>;
  hooks: Map<HookName, Set<HookCallback>>;
  /** Shared by every hook for the app's lifetime (`appHookData` in the worker). */
  appHookData: Record<string, unknown>;
  /** `hookData` of appStart and appTerminate hooks: shared between the two only, as in the worker. */
  appLevelOnlyHookData: Record<string, unknown>;
  /** Registration errors collected while loading (reported all at once). */
  errors: string[];
  /** Log callback for system/user logs coming through `log()`. */
  onLog: (level: string, category: string, message: string) => void;
  /**
   * The app called `app.setup({ enableHttpStream: true })`. The library keeps that flag private and tells the
   * worker only by starting its HTTP proxy; what it does tell the core API is this system log line.
   */
  httpStream: boolean;
}

const HTTP_STREAM_ENABLED = 'HTTP streaming enabled.';

export const HOST_VERSION = '4.1040.0';

/**
 * `log` hooks (`app.hook.log`), run synchronously for every user and system log before it is written, as the worker
 * does: a hook may change `level` and `message`; `category` and `invocationContext` are read-only. A hook that throws
 * does not lose the log line (it is reported on the host log instead).
 */
export function runLogHooks(
  registry: CoreRegistry,
  level: string,
  category: string,
  message: string,
  invocationContext?: unknown,
): { level: string; message: string } {
  const hooks = registry.hooks.get('log');
  if (!hooks?.size) return { level, message };
  const ctx: Record<string, unknown> = {
    hookData: {},
    appHookData: registry.appHookData,
    level,
    category,
    message,
    invocationContext,
  };
  for (const hook of hooks) {
    try {
      hook(ctx);
    } catch (e) {
      registry.onLog('error', 'system', `A log hook failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }
  return {
    level: typeof ctx['level'] === 'string' ? ctx['level'] : level,
    message: typeof ctx['message'] === 'string' ? ctx['message'] : message,
  };
}

function toRegistered(
  metadata: RegisteredFunction['metadata'],
  callback: (...a: unknown[]) => unknown,
): RegisteredFunction {
  const bindings: Record<string, BindingInfo> = {};
  let trigger: BindingInfo | undefined;
  let returnBinding: BindingInfo | undefined;
  const inputs: BindingInfo[] = [];
  const outputs: BindingInfo[] = [];
  for (const [key, raw] of Object.entries(metadata.bindings ?? {})) {
    // The worker overwrites the inner name with the map key (`$return` keeps `$return`).
    const b: BindingInfo = { ...raw, name: key };
    bindings[key] = b;
    if (key === '$return') returnBinding = b;
    else if (/trigger$/i.test(b.type)) {
      if (trigger)
        throw new HostError(
          'HOST_FUNCTION_INVALID',
          `Function "${metadata.name}" has two triggers ("${trigger.name}" and "${key}"); a function has exactly one`,
        );
      trigger = b;
    } else if (b.direction === 'out') outputs.push(b);
    else inputs.push(b);
  }
  if (!trigger) throw new HostError('HOST_FUNCTION_INVALID', `Function "${metadata.name}" has no trigger binding`);
  return {
    name: metadata.name,
    trigger,
    inputs,
    outputs,
    ...(returnBinding ? { returnBinding } : {}),
    metadata: { ...metadata, bindings },
    callback,
  };
}

export function createCoreModule(registry: CoreRegistry): Record<string, unknown> {
  let programmingModel: unknown;
  return {
    version: HOST_VERSION,
    get hostVersion() {
      return HOST_VERSION;
    },
    Disposable,
    setProgrammingModel(pm: unknown) {
      programmingModel = pm;
    },
    getProgrammingModel() {
      return programmingModel;
    },
    registerFunction(metadata: RegisteredFunction['metadata'], callback: (...a: unknown[]) => unknown) {
      const id = metadata.functionId || metadata.name;
      if (typeof metadata.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,127}$/.test(metadata.name)) {
        registry.errors.push(
          `Function name ${JSON.stringify(metadata.name)} is invalid: use letters, digits, '-' and '_', starting with a letter`,
        );
        return new Disposable(() => undefined);
      }
      if (registry.functions.has(id)) {
        registry.errors.push(`Function "${metadata.name}" is registered twice; function names must be unique`);
        return new Disposable(() => undefined);
      }
      try {
        registry.functions.set(id, toRegistered(metadata, callback));
      } catch (e) {
        registry.errors.push((e as Error).message);
      }
      return new Disposable(() => registry.functions.delete(id));
    },
    registerHook(name: HookName, cb: HookCallback) {
      let set = registry.hooks.get(name);
      if (!set) registry.hooks.set(name, (set = new Set()));
      set.add(cb);
      return new Disposable(() => set.delete(cb));
    },
    log(level: string, category: string, message: string) {
      if (category === 'system' && message === HTTP_STREAM_ENABLED) registry.httpStream = true;
      const out = runLogHooks(registry, level, category, message);
      registry.onLog(out.level, category, out.message);
    },
  };
}

let installed: CoreRegistry | undefined;

/** Make `require('@azure/functions-core')` return our module, the way the real worker does. Once per process. */
export function installCoreModule(onLog: CoreRegistry['onLog']): CoreRegistry {
  if (installed) return installed;
  const registry: CoreRegistry = {
    functions: new Map(),
    hooks: new Map(),
    appHookData: {},
    appLevelOnlyHookData: {},
    errors: [],
    onLog,
    httpStream: false,
  };
  const core = createCoreModule(registry);
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  const original = proto.require;
  proto.require = new Proxy(original, {
    apply(target, thisArg: unknown, args: [string]) {
      if (args[0] === '@azure/functions-core') return core;
      return Reflect.apply(target, thisArg, args);
    },
  });
  installed = registry;
  return registry;
}
