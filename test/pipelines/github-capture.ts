/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * Stands in for GitHub's REST API (commit statuses, check runs, contents) on 127.0.0.1: records every request
 * and answers as GitHub documents (201 with an id for statuses). Stopped by the test in afterAll.
 */
import { createServer, type Server } from 'node:http';

export interface Captured {
  method: string;
  path: string;
  authorization: string | undefined;
  body: any;
}

export interface GitHubCapture {
  url: string;
  requests: Captured[];
  statuses(sha?: string): Captured[];
  close(): Promise<void>;
}

export async function startGitHubCapture(): Promise<GitHubCapture> {
  const requests: Captured[] = [];
  let id = 1000;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      } catch {
        body = null;
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body });
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]+$/.test(req.url ?? '')) {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: id++,
            state: (body as { state?: string } | null)?.state,
            context: (body as { context?: string } | null)?.context,
          }),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Not Found' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    statuses: (sha) =>
      requests.filter(
        (r) =>
          r.method === 'POST' && r.path.includes('/statuses/') && (sha === undefined || r.path.endsWith(`/${sha}`)),
      ),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
