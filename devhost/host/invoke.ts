/**
 * Calls a registered function the way the worker does (path A of durable-protocol.md §1.5): a fresh
 * InvocationContext from the app's own `@azure/functions`, pre/post invocation hooks, extra inputs filled before
 * the call and extra outputs read after it.
 */
import { randomUUID } from 'node:crypto';
import type { CoreRegistry } from './core-module';
import type { BindingInfo, HostLogger, HostLogLevel, InvokeOptions, InvokeResult, RegisteredFunction } from './types';

type FunctionsLib = typeof import('@azure/functions');

const LOG_LEVELS: Record<string, HostLogLevel> = {
  trace: 'trace', debug: 'debug', information: 'information', warning: 'warning', error: 'error', critical: 'critical',
};

export interface Invoker {
  invoke(fn: RegisteredFunction, triggerInput: unknown, inputs: Record<string, unknown>, options: InvokeOptions): Promise<InvokeResult>;
}

function asOptionBinding(b: BindingInfo): Record<string, unknown> {
  return { ...b };
}

export function createInvoker(lib: FunctionsLib, registry: CoreRegistry, logger: HostLogger): Invoker {
  const appHookData: Record<string, unknown> = {};
  return {
    async invoke(fn, triggerInput, inputs, options) {
      const invocationId = options.invocationId ?? randomUUID();
      const log = logger.child({ function: fn.name, invocationId, ...options.logFields });
      const context = new lib.InvocationContext({
        invocationId,
        functionName: fn.name,
        logHandler: (level, ...args) => {
          const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? a.message) : safeInspect(a))).join(' ');
          if (level === 'none') return;
          log.log(LOG_LEVELS[level] ?? 'information', text);
        },
        ...(options.triggerMetadata ? { triggerMetadata: options.triggerMetadata } : {}),
        ...(options.retryContext ? { retryContext: options.retryContext } : {}),
        options: {
          trigger: asOptionBinding(fn.trigger) as never,
          ...(fn.returnBinding ? { return: asOptionBinding(fn.returnBinding) as never } : {}),
          extraInputs: fn.inputs.map(asOptionBinding) as never,
          extraOutputs: fn.outputs.map(asOptionBinding) as never,
        },
      });
      for (const [name, value] of Object.entries(inputs)) context.extraInputs.set(name, value);

      let args: unknown[] = [triggerInput, context];
      let callback = fn.callback;
      const hookData: Record<string, unknown> = {};
      for (const hook of registry.hooks.get('preInvocation') ?? []) {
        const hookCtx: Record<string, unknown> = { hookData, appHookData, invocationContext: context, inputs: args, functionCallback: callback };
        await hook(hookCtx);
        args = (hookCtx['inputs'] as unknown[]) ?? args;
        callback = (hookCtx['functionCallback'] as typeof callback) ?? callback;
      }
      let result: unknown;
      let error: unknown;
      try {
        result = await callback(...args);
      } catch (e) {
        error = e;
      }
      for (const hook of registry.hooks.get('postInvocation') ?? []) {
        const hookCtx: Record<string, unknown> = { hookData, appHookData, invocationContext: context, inputs: args, result, error };
        await hook(hookCtx);
        result = hookCtx['result'];
        error = hookCtx['error'];
      }
      if (error !== undefined) throw error;

      const extraOutputs: Record<string, unknown> = {};
      for (const b of fn.outputs) {
        const v = context.extraOutputs.get(b.name);
        if (v !== undefined && v !== null) extraOutputs[b.name] = v;
      }
      return { returnValue: result, extraOutputs, invocationId };
    },
  };
}

function safeInspect(v: unknown): string {
  try {
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}
