/**
 * The transport-neutral shape of one delivery: what an HTTP trigger (Azure or the local host) or a bench hands to
 * the intake service. Header names are case-insensitive; `normalizeRequest` lower-cases them once.
 */
export type HeaderInput = Headers | Iterable<[string, string]> | Record<string, string | readonly string[] | undefined>;

export interface DeliveryInput {
  headers: HeaderInput;
  rawBody: Buffer | Uint8Array | ArrayBuffer | string;
  /** Query parameters (first value wins). */
  query?: URLSearchParams | Record<string, string | undefined>;
  /**
   * Body size the caller knows without reading it all: the Content-Length of an unread body, or the bytes read
   * before reading stopped at the limit. Checked against the limit.
   */
  declaredBytes?: number;
}

export interface DeliveryRequest {
  /** Lower-cased header name → value (repeated headers joined with ", "). */
  headers: ReadonlyMap<string, string>;
  rawBody: Buffer;
  query: ReadonlyMap<string, string>;
  /** max(actual body length, declared length). */
  bodyBytes: number;
}

function isIterable(value: unknown): value is Iterable<[string, string]> {
  return typeof value === 'object' && value !== null && Symbol.iterator in value;
}

export function normalizeRequest(input: DeliveryInput): DeliveryRequest {
  const headers = new Map<string, string>();
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    const prev = headers.get(key);
    headers.set(key, prev === undefined ? value : `${prev}, ${value}`);
  };
  if (isIterable(input.headers)) {
    for (const [name, value] of input.headers) add(name, value);
  } else {
    const record = input.headers as Record<string, string | readonly string[] | undefined>;
    for (const [name, value] of Object.entries(record)) {
      if (value === undefined) continue;
      if (typeof value === 'string') add(name, value);
      else for (const v of value) add(name, String(v));
    }
  }
  const query = new Map<string, string>();
  if (input.query instanceof URLSearchParams) {
    for (const [k, v] of input.query) if (!query.has(k)) query.set(k, v);
  } else if (input.query) {
    for (const [k, v] of Object.entries(input.query)) if (v !== undefined) query.set(k, v);
  }
  const raw = input.rawBody;
  const rawBody = Buffer.isBuffer(raw)
    ? raw
    : typeof raw === 'string'
      ? Buffer.from(raw, 'utf8')
      : raw instanceof ArrayBuffer
        ? Buffer.from(raw)
        : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return { headers, rawBody, query, bodyBytes: Math.max(rawBody.length, input.declaredBytes ?? 0) };
}
