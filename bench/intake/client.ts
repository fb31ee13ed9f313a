/**
 * A small HTTP load client on node:http with a keep-alive Agent: N workers pull the next request from a shared
 * index, so at most `concurrency` requests are in flight over at most `concurrency` connections. The same client
 * drives both the real host and the trivial ceiling server, so the ratio compares servers, not clients.
 */
import { Agent, request } from 'node:http';

export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  statuses: Map<number, number>;
  errors: number;
  /** Per-request latency (ms) under this load, sorted ascending. */
  latencies: number[];
  /** First few non-202 answers (status and body), for the report. */
  samples: string[];
}

export function postOnce(agent: Agent, port: number, r: PreparedRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: r.path,
        agent,
        headers: { ...r.headers, 'content-length': String(r.body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
    req.end(r.body);
  });
}

export async function runLoad(port: number, requests: PreparedRequest[], concurrency: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  const samples: string[] = [];
  let errors = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const r = requests[i];
      if (r === undefined) return;
      const t = performance.now();
      try {
        const { status, body } = await postOnce(agent, port, r);
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 202 && samples.length < 5) samples.push(`${status} ${body.slice(0, 300)}`);
      } catch (e) {
        errors++;
        if (samples.length < 5) samples.push(`error ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  const t0 = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: requests.length,
    seconds,
    perSecond: (statuses.get(202) ?? 0) / seconds,
    statuses,
    errors,
    latencies,
    samples,
  };
}

export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function statusText(s: Map<number, number>, errors: number): string {
  const parts = [...s.entries()].sort(([a], [b]) => a - b).map(([k, v]) => `${k}x${v}`);
  if (errors) parts.push(`errors x${errors}`);
  return parts.join(', ');
}
