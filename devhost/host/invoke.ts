/**
 * Calls a registered function the way the worker does (path A of durable-protocol.md §1.5): a fresh
 * InvocationContext from the app's own `@azure/functions`, pre/post invocation hooks, extra inputs filled before
 * the call and extra outputs read after it.
 *
 * Invariants:
 * - Every invocation logs one `Executed` line (Succeeded/Failed, id, duration) under category `Function.<name>`;
 *   a failure is logged here once, with the invocation id and stack, so callers only map it to their protocol.
 * - host.json `functionTimeout` bounds every invocation: past it the invocation fails with FUNCTION_TIMEOUT. JavaScript
 *   cannot cancel the handler, so its promise is abandoned (Azure would recycle the worker instead).
 */
import { randomUUID } from 'node:crypto';
import type * as FunctionsLibModule from '@azure/functions';
import { format } from 'node:util';
import { runLogHooks, type CoreRegistry } from './core-module';
import {
  HostError,
  type BindingInfo,
  type HostLogger,
  type HostLogLevel,
  type InvokeOptions,
  type InvokeResult,
  type RegisteredFunction,
} from './types';

type FunctionsLib = typeof FunctionsLibModule;

const LOG_LEVELS: Record<string, HostLogLevel> = {
  trace: 'trace',
  debug: 'debug',
  information: 'information',
  warning: 'warning',
  error: 'error',
  critical: 'critical',
};

export interface Invoker {
  invoke(
    fn: RegisteredFunction,
    triggerInput: unknown,
    inputs: Record<string, unknown>,
    options: InvokeOptions,
  ): Promise<InvokeResult>;
}

export interface InvokerOptions {
  /** host.json functionTimeout in ms; undefined = unbounded. */
  functionTimeoutMs?: number;
}

const logged = new WeakSet<object>();

/** True when the invoker already logged this error (callers then need not log it again). */
export function wasLogged(error: unknown): boolean {
  return typeof error === 'object' && error !== null && logged.has(error);
}

function asOptionBinding(b: BindingInfo): Record<string, unknown> {
  return { ...b };
}

export function formatDuration(ms: number): string {
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  return `${pad(ms / 3_600_000)}:${pad((ms % 3_600_000) / 60_000)}:${pad((ms % 60_000) / 1000)}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number | undefined, onTimeout: () => Error): Promise<T> {
  if (ms === undefined || ms <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createInvoker(
  lib: FunctionsLib,
  registry: CoreRegistry,
  logger: HostLogger,
  invokerOptions: InvokerOptions = {},
): Invoker {
  return {
    async invoke(fn, triggerInput, inputs, options) {
      const invocationId = options.invocationId ?? randomUUID();
      const fields = { function: fn.name, invocationId, ...options.logFields };
      const log = logger.child(fields);
      const userCategory = `Function.${fn.name}.User`;
      const context = new lib.InvocationContext({
        invocationId,
        functionName: fn.name,
        // As the library formats user logs (util.format, so `%s` placeholders work) and the worker runs log hooks.
        logHandler: (level, ...args) => {
          const out = runLogHooks(registry, level, 'user', format(...args), context);
          if (out.level === 'none') return;
          log.log(LOG_LEVELS[out.level] ?? 'information', out.message, { category: userCategory });
        },
        ...(options.triggerMetadata ? { triggerMetadata: options.triggerMetadata } : {}),
        ...(options.retryContext ? { retryContext: options.retryContext } : {}),
        ...(options.traceContext
          ? {
              traceContext: {
                traceParent: options.traceContext.traceParent,
                ...(options.traceContext.traceState ? { traceState: options.traceContext.traceState } : {}),
                attributes: {},
              },
            }
          : {}),
        options: {
          trigger: asOptionBinding(fn.trigger) as never,
          ...(fn.returnBinding ? { return: asOptionBinding(fn.returnBinding) as never } : {}),
          extraInputs: fn.inputs.map(asOptionBinding) as never,
          extraOutputs: fn.outputs.map(asOptionBinding) as never,
        },
      });
      for (const [name, value] of Object.entries(inputs)) context.extraInputs.set(name, value);

      const started = Date.now();
      const category = `Function.${fn.name}`;
      log.log('debug', `Executing 'Functions.${fn.name}'`, { category });
      let result: unknown;
      let error: Error | undefined;
      try {
        result = await withTimeout(
          runWithHooks(registry, fn, triggerInput, context),
          invokerOptions.functionTimeoutMs,
          () =>
            new HostError(
              'FUNCTION_TIMEOUT',
              `Timeout value of ${formatDuration(invokerOptions.functionTimeoutMs ?? 0)} exceeded by function 'Functions.${fn.name}' (Id: '${invocationId}')`,
            ),
        );
      } catch (e) {
        error = asError(e);
      }
      const ms = Date.now() - started;
      if (error !== undefined) {
        log.log(
          'error',
          `Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${ms}ms): ${error.message}`,
          { category, stack: error.stack },
        );
        logged.add(error);
        throw error;
      }
      log.log('information', `Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${ms}ms)`, {
        category,
      });

      const extraOutputs: Record<string, unknown> = {};
      for (const b of fn.outputs) {
        const v = context.extraOutputs.get(b.name);
        if (v !== undefined && v !== null) extraOutputs[b.name] = v;
      }
      return { returnValue: result, extraOutputs, invocationId };
    },
  };
}

/**
 * preInvocation hooks → handler → postInvocation hooks, as the worker runs them. As in the worker, a hook's `inputs`
 * are the trigger input only (extra inputs live on `context.extraInputs`, never the context itself) and the handler
 * is called as `handler(...inputs, context)`, so an input a hook appends lands before the context. Hooks may replace
 * `inputs` and `functionCallback` (pre) and `result`/`error` (post); `invocationContext` is the same object throughout.
 */
async function runWithHooks(
  registry: CoreRegistry,
  fn: RegisteredFunction,
  triggerInput: unknown,
  context: unknown,
): Promise<unknown> {
  let inputs: unknown[] = [triggerInput];
  let callback = fn.callback;
  const hookData: Record<string, unknown> = {};
  const appHookData = registry.appHookData;
  for (const hook of registry.hooks.get('preInvocation') ?? []) {
    const hookCtx: Record<string, unknown> = {
      hookData,
      appHookData,
      invocationContext: context,
      inputs,
      functionCallback: callback,
    };
    await hook(hookCtx);
    inputs = Array.isArray(hookCtx['inputs']) ? (hookCtx['inputs'] as unknown[]) : inputs;
    callback =
      typeof hookCtx['functionCallback'] === 'function' ? (hookCtx['functionCallback'] as typeof callback) : callback;
  }
  let result: unknown;
  let error: unknown;
  try {
    result = await callback(...inputs, context);
  } catch (e) {
    error = e ?? new Error('The function threw a null or undefined value');
  }
  for (const hook of registry.hooks.get('postInvocation') ?? []) {
    const hookCtx: Record<string, unknown> = {
      hookData,
      appHookData,
      invocationContext: context,
      inputs,
      result,
      error,
    };
    await hook(hookCtx);
    result = hookCtx['result'];
    error = hookCtx['error'];
  }
  if (error !== undefined && error !== null) throw asError(error);
  return result;
}

/** What a handler threw, as an Error (the worker wraps non-Error throws the same way). */
function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(e === undefined || e === null ? 'The function threw a null or undefined value' : safeInspect(e));
}

function safeInspect(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return Object.prototype.toString.call(v);
  }
}
