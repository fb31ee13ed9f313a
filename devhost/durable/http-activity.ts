/**
 * The built-in activity behind `context.df.callHttp` (DTFx `BuiltIn::HttpActivity`): sends one HTTP request and
 * answers the `DurableHttpResponse` JSON the SDK expects (`{statusCode, headers, content}`; a header with one value
 * is a string, with several an array, as the extension serialises it). 202 polling is not done here: the SDK
 * schedules a timer and a new request per poll (replay.ts `pollTarget` points it at the Location).
 *
 * Invariants:
 * - Managed identity token sources are refused with a clear error (no Azure AD tokens locally).
 * - Transport errors and timeouts fail the task (TaskFailed), as the extension's activity throws.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';

export const DEFAULT_HTTP_TIMEOUT_MS = 240_000;

const headerValue = z.union([z.string(), z.array(z.string())]);

const durableHttpRequest = z.object({
  method: z.string().min(1, 'method is required'),
  uri: z.string().min(1, 'uri is required'),
  content: z.string().nullish(),
  headers: z.record(z.string(), headerValue).nullish(),
  tokenSource: z.unknown().optional(),
  asynchronousPatternEnabled: z.boolean().optional(),
});

export interface DurableHttpResponseJson {
  statusCode: number;
  headers: Record<string, string | string[]>;
  content: string;
}

function responseHeaders(raw: string[]): Record<string, string | string[]> {
  const grouped = new Map<string, { name: string; values: string[] }>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const key = name.toLowerCase();
    const g = grouped.get(key) ?? { name, values: [] };
    g.values.push(raw[i + 1]!);
    grouped.set(key, g);
  }
  const out: Record<string, string | string[]> = {};
  for (const g of grouped.values()) out[g.name] = g.values.length === 1 ? g.values[0]! : g.values;
  return out;
}

/** Runs one durable HTTP request. Throws (→ TaskFailed) on bad input, token sources, transport errors, timeouts. */
export async function runDurableHttp(
  input: unknown,
  timeoutMs = DEFAULT_HTTP_TIMEOUT_MS,
): Promise<DurableHttpResponseJson> {
  const parsed = durableHttpRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `callHttp request is invalid: ${issue ? `${issue.path.join('.') || 'request'}: ${issue.message}` : 'unknown problem'}`,
    );
  }
  const req = parsed.data;
  if (req.tokenSource !== undefined && req.tokenSource !== null) {
    throw new Error(
      'callHttp with a tokenSource (managed identity) is not supported by the local durable engine: it cannot obtain Azure AD tokens locally. ' +
        'Send an Authorization header yourself (for example from an activity that gets the token), or run this orchestration in Azure.',
    );
  }
  let url: URL;
  try {
    url = new URL(req.uri);
  } catch {
    throw new Error(`callHttp url ${JSON.stringify(req.uri)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`callHttp url must be http or https (got ${url.protocol})`);
  const headers: Record<string, string | string[]> = { ...(req.headers ?? {}) };
  const body = req.content ?? undefined;
  // The extension sends the content as a .NET StringContent, whose default type is text/plain; charset=utf-8.
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
    headers['Content-Type'] = 'text/plain; charset=utf-8';
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DurableHttpResponseJson>((resolve, reject) => {
    const r = send(url, { method: req.method.toUpperCase(), headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: responseHeaders(res.rawHeaders),
          content: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    r.on('timeout', () =>
      r.destroy(
        new Error(`callHttp ${req.method.toUpperCase()} ${url.origin}${url.pathname} timed out after ${timeoutMs} ms`),
      ),
    );
    r.on('error', (e) =>
      reject(new Error(`callHttp ${req.method.toUpperCase()} ${url.origin}${url.pathname} failed: ${e.message}`)),
    );
    if (body !== undefined) r.end(body);
    else r.end();
  });
}
