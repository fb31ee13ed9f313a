/**
 * Function-level retry policies (`retry` in `app.timer(...)` options), as the Functions host runs them
 * (WebJobs `FunctionExecutorExtensions.TryExecuteAsync` with `FixedDelayRetry` / `ExponentialBackoffRetry`).
 *
 * Invariants:
 * - The first attempt has no `retryContext`; retry n (1-based) gets `{ retryCount: n, maxRetryCount, exception }`
 *   with the previous attempt's error. `maxRetryCount: -1` retries until success (or shutdown).
 * - fixedDelay waits `delayInterval` before every retry; exponentialBackoff waits
 *   clamp(round((2^n - 1) / 2) × minimumInterval, minimumInterval, maximumInterval) before retry n.
 * - Only triggers whose extension declares `retryPolicies: 'supported'` run policies; the host checks that at start-up.
 * - A shutdown (the signal) ends the waiting: the last error stands.
 */
import type { HostLogger, InvokeOptions } from './types';

export interface RetryPolicy {
  strategy: 'fixedDelay' | 'exponentialBackoff';
  /** -1 = unbounded. */
  maxRetryCount: number;
  delayMs: number;
  minimumMs: number;
  maximumMs: number;
}

type RetryContext = NonNullable<InvokeOptions['retryContext']>;

/** RpcDuration ({ seconds, nanos }) or a number of ms, as `@azure/functions` may register it. */
function durationMs(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'object') {
    const d = v as { seconds?: unknown; nanos?: unknown };
    const s = Number(d.seconds ?? 0);
    const n = Number(d.nanos ?? 0);
    if (Number.isFinite(s) && Number.isFinite(n)) return s * 1000 + n / 1e6;
  }
  return Number.NaN;
}

/**
 * The function's retry policy from its registered `retryOptions`, undefined when it has none.
 * Throws an Error whose message says what is wrong (the host prefixes the function name).
 */
export function parseRetryPolicy(raw: unknown): RetryPolicy | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') throw new Error('retry options must be an object');
  const o = raw as Record<string, unknown>;
  const strategy = o['strategy'] ?? o['retryStrategy'];
  const maxRetryCount = o['maxRetryCount'];
  if (typeof maxRetryCount !== 'number' || !Number.isInteger(maxRetryCount) || maxRetryCount < -1) {
    throw new Error(
      `retry.maxRetryCount must be an integer ≥ -1 (-1 = retry until success); found ${JSON.stringify(maxRetryCount)}`,
    );
  }
  if (strategy === 'fixedDelay') {
    const delayMs = durationMs(o['delayInterval']);
    if (delayMs === undefined || !Number.isFinite(delayMs) || delayMs < 0)
      throw new Error('retry strategy "fixedDelay" needs retry.delayInterval (a non-negative duration)');
    return { strategy, maxRetryCount, delayMs, minimumMs: delayMs, maximumMs: delayMs };
  }
  if (strategy === 'exponentialBackoff') {
    const minimumMs = durationMs(o['minimumInterval']);
    const maximumMs = durationMs(o['maximumInterval']);
    if (
      minimumMs === undefined ||
      maximumMs === undefined ||
      !Number.isFinite(minimumMs) ||
      !Number.isFinite(maximumMs) ||
      minimumMs < 0
    ) {
      throw new Error(
        'retry strategy "exponentialBackoff" needs retry.minimumInterval and retry.maximumInterval (non-negative durations)',
      );
    }
    if (maximumMs < minimumMs) throw new Error('retry.maximumInterval must not be less than retry.minimumInterval');
    return { strategy, maxRetryCount, delayMs: minimumMs, minimumMs, maximumMs };
  }
  throw new Error(`retry.strategy must be "fixedDelay" or "exponentialBackoff"; found ${JSON.stringify(strategy)}`);
}

/** .NET Convert.ToInt64: round half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Delay before retry `retryCount` (1-based). */
export function retryDelayMs(policy: RetryPolicy, retryCount: number): number {
  if (policy.strategy === 'fixedDelay') return policy.delayMs;
  const factor = roundHalfEven((2 ** retryCount - 1) / 2);
  return Math.min(policy.maximumMs, Math.max(policy.minimumMs, factor * policy.minimumMs));
}

function formatTimeSpan(ms: number): string {
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  const frac = ms % 1000 ? `.${String(Math.round(ms % 1000)).padStart(3, '0')}` : '';
  return `${pad(ms / 3_600_000)}:${pad((ms % 3_600_000) / 60_000)}:${pad((ms % 60_000) / 1000)}${frac}`;
}

function wait(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` under `policy` (once when there is none): retries after failures until one succeeds, the retries
 * are exhausted (the last error is thrown) or `signal` aborts.
 */
export async function runWithRetry(
  policy: RetryPolicy | undefined,
  attempt: (retryContext: RetryContext | undefined) => Promise<void>,
  log: HostLogger,
  signal?: AbortSignal,
): Promise<void> {
  let retryContext: RetryContext | undefined;
  for (let retry = 0; ;) {
    try {
      await attempt(retryContext);
      return;
    } catch (e) {
      if (!policy) throw e;
      retry++;
      if (policy.maxRetryCount !== -1 && retry > policy.maxRetryCount) {
        log.log('warning', 'All retries have been exhausted', { maxRetryCount: policy.maxRetryCount });
        throw e;
      }
      const err = e instanceof Error ? e : new Error(String(e));
      retryContext = {
        retryCount: retry,
        maxRetryCount: policy.maxRetryCount,
        exception: { message: err.message, ...(err.stack ? { stackTrace: err.stack } : {}) },
      };
      const delay = retryDelayMs(policy, retry);
      log.log(
        'information',
        `Waiting for \`${formatTimeSpan(delay)}\` before retrying function execution. Next attempt: '${retry}'. Max retry count: '${policy.maxRetryCount}'`,
      );
      if (!(await wait(delay, signal))) throw e;
    }
  }
}
