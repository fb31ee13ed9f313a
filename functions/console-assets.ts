/**
 * `GET /api/console/{*path}`: the operator console's static files (built by scripts/build-console.mjs into
 * dist/console). Anonymous: the files hold no data (every datum comes from identity-checked API routes). Only the
 * files the build listed in its manifest are served — never a path from the request joined onto the disk.
 * Hashed assets are immutable (one-year cache); the index is no-store and carries the Content-Security-Policy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { rawRoute } from './lib/route';

const DIST = join(__dirname, '..', 'console');
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  map: 'application/json',
};
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

interface Manifest {
  index: string;
  files: string[];
}
let cache: { manifest: Manifest; files: Map<string, Buffer> } | undefined;

function load(): { manifest: Manifest; files: Map<string, Buffer> } | undefined {
  if (cache) return cache;
  try {
    const manifest = JSON.parse(readFileSync(join(DIST, 'manifest.json'), 'utf8')) as Manifest;
    const files = new Map<string, Buffer>();
    for (const f of [manifest.index, ...manifest.files]) {
      if (!/^[A-Za-z0-9._/-]+$/.test(f) || f.includes('..')) continue;
      files.set(f, readFileSync(join(DIST, f)));
    }
    cache = { manifest, files };
    return cache;
  } catch {
    return undefined;
  }
}

export async function serveConsole(request: HttpRequest): Promise<HttpResponseInit> {
  const built = load();
  if (!built)
    return {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      body: 'The console is not built: run `npm run build`.\n',
    };
  const path = (request.params['path'] ?? '').replace(/^\/+/, '');
  if (path === '' || path === 'index.html') {
    return {
      status: 200,
      body: built.files.get(built.manifest.index),
      headers: {
        'content-type': TYPES['html']!,
        'cache-control': 'no-store',
        'content-security-policy': CONSOLE_CSP,
        ...SECURITY_HEADERS,
      },
    };
  }
  const body = built.manifest.files.includes(path) ? built.files.get(path) : undefined;
  if (!body)
    return {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS },
      body: 'not found\n',
    };
  const ext = path.slice(path.lastIndexOf('.') + 1);
  return {
    status: 200,
    body,
    headers: {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': 'public, max-age=31536000, immutable',
      'content-security-policy': CONSOLE_CSP,
      ...SECURITY_HEADERS,
    },
  };
}

rawRoute('consoleAssets', {
  methods: ['GET'],
  route: 'console/{*path}',
  auth: 'anonymous',
  note: 'the built console files only (no data); hashed names immutable, index no-store with a strict CSP',
  raw: serveConsole,
});
