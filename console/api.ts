/**
 * The console's HTTP client: same-origin JSON calls to the app's API. Identity: App Service authentication cookies
 * in Azure, or locally the identity key the user pasted (kept in sessionStorage, sent as `x-stagecraft-key`, never
 * in a URL). State changes are JSON POSTs from this origin (the route layer refuses other origins).
 */
const KEY = 'stagecraft-identity-key';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}
export function setKey(k: string | null): void {
  if (k) sessionStorage.setItem(KEY, k);
  else sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Base of the app's API: the page is served at `<base>/console/`. */
export const API_BASE = location.pathname.replace(/\/console\/.*$/, '');

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = storedKey();
  if (key) headers['x-stagecraft-key'] = key;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${API_BASE}${path}`, {
    method: init.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (!res.ok || (json as { accepted?: boolean } | undefined)?.accepted === false) {
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? `${res.status} ${res.statusText}`,
    );
  }
  return json as T;
}

export function qs(params: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
