/**
 * A recording relay between MLflow and Stagecraft's host for the lifecycle e2e test: MLflow's webhooks point at the
 * relay, which forwards each delivery byte for byte (headers and raw body) to the current `target` and answers
 * MLflow with the host's status and body. The test can then replay exactly what the host received, see what the
 * host answered to each delivery, and keep one webhook URL while the host restarts. While the host is down the relay
 * answers 502 (a gateway that cannot reach its backend), which MLflow retries like any 5xx.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RelayedDelivery {
  receivedAt: string;
  path: string;
  /** Request headers as MLflow sent them (lower-case names). */
  headers: IncomingHttpHeaders;
  rawBody: string;
  json: unknown;
  /** What the host answered (502 when it could not be reached). */
  status: number;
  response: string;
}

export interface Relay {
  url: string;
  /** Base URL deliveries are forwarded to (the host's). */
  target: string;
  deliveries: RelayedDelivery[];
  /** The first delivery (past or future) matching `predicate`, once the host's answer is known. */
  waitFor(predicate: (d: RelayedDelivery) => boolean, timeoutMs?: number): Promise<RelayedDelivery>;
  stop(): Promise<void>;
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
  const deliveries: RelayedDelivery[] = [];
  const waiters: { predicate: (d: RelayedDelivery) => boolean; resolve: (d: RelayedDelivery) => void }[] = [];
  const relay: Relay = {
    url: '',
    target,
    deliveries,
    waitFor(predicate, timeoutMs = 60_000) {
      const found = deliveries.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (d: RelayedDelivery) => { clearTimeout(timer); resolve(d); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching relayed delivery within ${timeoutMs} ms (${deliveries.length} relayed)`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    stop: () => new Promise<void>((res) => {
      server.closeAllConnections();
      server.close(() => res());
    }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = async (): Promise<{ status: number; response: string }> => {
        try {
          const r = await fetch(`${relay.target}${req.url ?? '/'}`, {
            method: req.method ?? 'POST',
            headers: forwardableHeaders(req.headers),
            body,
            signal: AbortSignal.timeout(30_000),
          });
          return { status: r.status, response: await r.text() };
        } catch (e) {
          return { status: 502, response: JSON.stringify({ relay: 'host unreachable', error: (e as Error).message }) };
        }
      };
      void forward().then(({ status, response }) => {
        const rawBody = body.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(rawBody);
        } catch {
          json = undefined;
        }
        const d: RelayedDelivery = { receivedAt: new Date().toISOString(), path: req.url ?? '', headers: req.headers, rawBody, json, status, response };
        deliveries.push(d);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(response);
        for (const w of [...waiters]) {
          if (w.predicate(d)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(d);
          }
        }
      });
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return relay;
}
