/**
 * A tiny webhook receiver on 127.0.0.1 that records every delivery byte for byte, used to observe what MLflow
 * really sends (scripts/mlflow/capture-webhooks.ts), by the e2e tests, and (with `respond`) as the e2e relay to the host.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  receivedAt: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Header names as sent (Node lower-cases `headers`). */
  rawHeaderNames: string[];
  /** Exact body bytes as UTF-8 text: what the signature covers. */
  rawBody: string;
  json: unknown;
  /** What the server answered. */
  status: number;
  response: string;
}

export interface CaptureServer {
  url: string;
  deliveries: Delivery[];
  /** Resolves with the first delivery (past or future) matching `predicate`. */
  waitFor(predicate: (d: Delivery) => boolean, timeoutMs?: number): Promise<Delivery>;
  stop(): Promise<void>;
}

/** A delivery as received, before it is answered. */
export type Received = Omit<Delivery, 'status' | 'response'>;

export interface CaptureOptions {
  /** Status to answer with (default 200, body `{"received":true}`). */
  status?: (d: Received) => number;
  /** The whole answer, computed after the body arrived (e.g. forwarded elsewhere); overrides `status`. The delivery
   * is recorded, and waiters resolved, once the answer is known. */
  respond?: (d: Received, body: Buffer) => Promise<CaptureAnswer>;
}

export interface CaptureAnswer {
  status: number;
  body: string;
  /** Sent besides `content-type: application/json`. */
  headers?: Record<string, string>;
}

export async function startCaptureServer(options: CaptureOptions = {}): Promise<CaptureServer> {
  const deliveries: Delivery[] = [];
  const waiters: { predicate: (d: Delivery) => boolean; resolve: (d: Delivery) => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const rawBody = bytes.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        json = undefined;
      }
      const received: Received = {
        receivedAt: new Date().toISOString(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
        rawBody,
        json,
      };
      const answer: Promise<CaptureAnswer> = options.respond
        ? options.respond(received, bytes)
        : Promise.resolve({ status: options.status?.(received) ?? 200, body: JSON.stringify({ received: true }) });
      void answer.then(({ status, body, headers }) => {
        const d: Delivery = { ...received, status, response: body };
        deliveries.push(d);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body);
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
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    waitFor(predicate, timeoutMs = 30_000) {
      const found = deliveries.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (d: Delivery) => {
            clearTimeout(timer);
            resolve(d);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching webhook delivery within ${timeoutMs} ms (${deliveries.length} received)`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    stop: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

/** MLflow's v1 signature, computed independently: base64(HMAC-SHA256(secret, `${id}.${timestamp}.${rawBody}`)). */
export function mlflowSignature(secret: string, deliveryId: string, timestamp: string, rawBody: string): string {
  return `v1,${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${deliveryId}.${timestamp}.${rawBody}`, 'utf8').digest('base64')}`;
}

export function signatureMatches(secret: string, d: Delivery): boolean {
  const id = d.headers['x-mlflow-delivery-id'];
  const ts = d.headers['x-mlflow-timestamp'];
  const sig = d.headers['x-mlflow-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sig !== 'string') return false;
  const expected = Buffer.from(mlflowSignature(secret, id, ts, d.rawBody));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** `entity.action` of a captured MLflow delivery, e.g. "model_version.created". */
export function eventName(d: Delivery): string | undefined {
  const j = d.json as { entity?: unknown; action?: unknown } | undefined;
  return typeof j?.entity === 'string' && typeof j.action === 'string' ? `${j.entity}.${j.action}` : undefined;
}
