/**
 * A recording relay between MLflow and Stagecraft's host for the lifecycle e2e test: MLflow's webhooks point at the
 * relay, which forwards each delivery byte for byte (headers and raw body) to the current `target` and answers
 * MLflow with the host's status and body. The test can then replay exactly what the host received, see what the
 * host answered to each delivery, and keep one webhook URL while the host restarts. While the host is down the relay
 * answers 502 (a gateway that cannot reach its backend), which MLflow retries like any 5xx.
 * Built on the capture server (scripts/mlflow/capture.ts): a relayed delivery is a captured one whose answer is the host's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { startCaptureServer, type CaptureServer, type Delivery } from '../../scripts/mlflow';

export type RelayedDelivery = Delivery;

export interface Relay extends CaptureServer {
  /** Base URL deliveries are forwarded to (the host's). */
  target: string;
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
  const state = { target };
  const capture = await startCaptureServer({
    respond: async (d, body) => {
      try {
        const r = await fetch(`${state.target}${d.path || '/'}`, {
          method: d.method || 'POST',
          headers: forwardableHeaders(d.headers),
          body,
          signal: AbortSignal.timeout(30_000),
        });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        return { status: 502, body: JSON.stringify({ relay: 'host unreachable', error: (e as Error).message }) };
      }
    },
  });
  return Object.assign(capture, {
    get target() {
      return state.target;
    },
    set target(v: string) {
      state.target = v;
    },
  });
}
