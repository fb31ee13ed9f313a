/**
 * A recording relay between MLflow and Stagecraft's host for the lifecycle e2e test: MLflow's webhooks point at the
 * relay, which forwards each delivery byte for byte (headers and raw body) to the current `target` and answers
 * MLflow with the host's status and body. The test can then replay exactly what the host received, see what the
 * host answered to each delivery, and keep one webhook URL while the host restarts. While the host is down (or the
 * test says it is unreachable: `reachable = false`) the relay answers 503 with `Retry-After: 1`, as a front end does
 * for a stopped app. MLflow retries a 503 like any 5xx, and its
 * urllib3 `Retry` (mlflow/webhooks/delivery.py: `respect_retry_after_header=True`) then waits the 1 s asked for instead
 * of its exponential backoff (0, 2, 4 s plus up to 1 s of jitter): the same retries, about 4 s sooner.
 * Built on the capture server (scripts/mlflow/capture.ts): a relayed delivery is a captured one whose answer is the host's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { startCaptureServer, type CaptureServer, type Delivery } from '../../scripts/mlflow';

export type RelayedDelivery = Delivery;

/** Sent with the relay's 503. urllib3 reads whole seconds only, and `0` means "no value" (it falls back to backoff). */
export const RETRY_AFTER_SECONDS = 1;

export interface Relay extends CaptureServer {
  /** Base URL deliveries are forwarded to (the host's). */
  target: string;
  /** false: nothing is forwarded and every delivery gets the 503, whether or not the host is up (default true). */
  reachable: boolean;
}

/** Hop-by-hop and length headers are the relay's own business; everything else (x-mlflow-*) passes unchanged. */
const NOT_FORWARDED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (NOT_FORWARDED.has(k) || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export async function startRelay(target: string): Promise<Relay> {
  const state = { target, reachable: true };
  const unreachable = (error: string) => ({
    status: 503,
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    body: JSON.stringify({ relay: 'host unreachable', error }),
  });
  const capture = await startCaptureServer({
    respond: async (d, body) => {
      if (!state.reachable) return unreachable('the test made the host unreachable');
      try {
        const r = await fetch(`${state.target}${d.path || '/'}`, {
          method: d.method || 'POST',
          headers: forwardableHeaders(d.headers),
          body,
          signal: AbortSignal.timeout(30_000),
        });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        return unreachable((e as Error).message);
      }
    },
  });
  // Accessors, not Object.assign: that would copy the getters' current values, and setting them would change nothing.
  return Object.defineProperties(capture, {
    target: {
      get: () => state.target,
      set: (v: string) => {
        state.target = v;
      },
      enumerable: true,
    },
    reachable: {
      get: () => state.reachable,
      set: (v: boolean) => {
        state.reachable = v;
      },
      enumerable: true,
    },
  }) as Relay;
}
