import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeServing, type FakeServing } from './databricks-serving';
import { startFakeSql, type FakeSql } from './databricks-sql';
import { startFakeDatabricksUc, type FakeDatabricksUc } from './databricks-uc';

/**
 * One workspace URL in front of the serving and SQL fakes, and with `uc` the Unity Catalog registry fake (the app has
 * one DATABRICKS_HOST): forwards by path — `/api/2.0/sql/` to SQL, `/api/2.0/serving-endpoints` to serving, anything
 * else to the UC fake when there is one.
 */
export interface FakeWorkspace {
  url: string;
  serving: FakeServing;
  sql: FakeSql;
  uc?: FakeDatabricksUc;
  close(): Promise<void>;
}

export async function startFakeWorkspace(o: { updateMs?: number; uc?: boolean } = {}): Promise<FakeWorkspace> {
  const serving = await startFakeServing(o);
  const sql = await startFakeSql();
  const uc = o.uc ? await startFakeDatabricksUc() : undefined;
  const targetOf = (url: string): string => {
    if (url.startsWith('/api/2.0/sql/')) return sql.url;
    if (url.startsWith('/api/2.0/serving-endpoints') || !uc) return serving.url;
    return uc.url;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = targetOf(req.url ?? '/');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      void fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) })
        .then(async (r) => {
          const text = await r.text();
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch((e: unknown) => {
          res.writeHead(502);
          res.end(String(e));
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serving,
    sql,
    ...(uc ? { uc } : {}),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await serving.close();
      await sql.close();
      await uc?.close();
    },
  };
}
