/** Minimal HTTP client for the CLI modules: function key in `x-functions-key`, JSON both ways. */
export interface CliOptions {
  url: string;
  key?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
  fetch?: typeof fetch;
}

export async function callApi(
  o: CliOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.key) headers['x-functions-key'] = o.key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await (o.fetch ?? fetch)(`${o.url.replace(/\/+$/, '')}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    /* keep text */
  }
  return { status: res.status, json };
}

export function errorLine(json: unknown, status: number): string {
  const top = json as { code?: unknown; message?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  const j = top?.error && typeof top.error === 'object' ? top.error : top;
  return `error ${status}${typeof j?.code === 'string' ? ` ${j.code}` : ''}: ${typeof j?.message === 'string' ? j.message : JSON.stringify(json)}`;
}
