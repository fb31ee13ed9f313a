import { createHmac, randomUUID } from 'node:crypto';

/**
 * Webhook delivery as OSS MLflow >= 3.3 does it (webhooks/delivery.py, as documented): POST of
 * `{"entity", "action", "timestamp", "data"}` serialised like Python's json.dumps (separators ", " and
 * ": ", ensure_ascii), headers X-MLflow-Delivery-Id (UUIDv4), X-MLflow-Timestamp (unix seconds) and,
 * when the webhook has a secret, X-MLflow-Signature = "v1," + base64(HMAC-SHA256(secret,
 * "<delivery id>.<timestamp>.<body>")). Retries on 429/5xx and connection errors resend the SAME
 * request (same delivery id, timestamp and signature).
 */
export interface WebhookDelivery {
  webhookId: string;
  event: string;
  deliveryId: string;
  body: string;
  attempts: number;
  status?: number;
  error?: string;
}

/** Python `json.dumps(value)` with default separators and ensure_ascii=True. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`)
    .join(', ')}}`;
}

/** Python `datetime.now(timezone.utc).isoformat()`: microseconds and +00:00. */
export function pythonIsoTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000+00:00`;
}

export function mlflowSignature(secret: string, deliveryId: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${deliveryId}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}

/** One signed MLflow delivery, exactly as MLflow sends it (a retry resends these same bytes and headers). */
export interface SignedMlflowDelivery {
  deliveryId: string;
  timestamp: string;
  body: string;
  headers: Record<string, string>;
}

/** Builds a signed delivery of `<entity>.<action>` with `data`, stamped `now` (default: the current time). */
export function signedMlflowDelivery(
  secret: string,
  entity: string,
  action: string,
  data: Record<string, unknown>,
  o: { now?: number; deliveryId?: string } = {},
): SignedMlflowDelivery {
  const now = o.now ?? Date.now();
  const deliveryId = o.deliveryId ?? randomUUID();
  const timestamp = String(Math.floor(now / 1000));
  const body = pythonJson({ entity, action, timestamp: pythonIsoTimestamp(now), data });
  const headers = {
    'content-type': 'application/json',
    'x-mlflow-delivery-id': deliveryId,
    'x-mlflow-timestamp': timestamp,
    'x-mlflow-signature': mlflowSignature(secret, deliveryId, timestamp, body),
  };
  return { deliveryId, timestamp, body, headers };
}

/** A signed `model_version.created` for a version of a run (the payload the promotion tests start from). */
export function signedVersionCreated(
  secret: string,
  v: { name: string; version: string; runId: string; source?: string; tags?: Record<string, string> },
  o: { now?: number; deliveryId?: string } = {},
): SignedMlflowDelivery {
  return signedMlflowDelivery(
    secret,
    'model_version',
    'created',
    {
      name: v.name,
      version: v.version,
      source: v.source ?? `runs:/${v.runId}/model`,
      run_id: v.runId,
      tags: v.tags ?? {},
      description: null,
    },
    o,
  );
}

/** POSTs a signed delivery to a host's MLflow webhook route. */
export function postMlflowDelivery(baseUrl: string, d: SignedMlflowDelivery): Promise<Response> {
  return fetch(`${baseUrl}/api/webhooks/mlflow`, { method: 'POST', headers: d.headers, body: d.body });
}

export async function deliver(
  target: { webhookId: string; url: string; secret?: string },
  entity: string,
  action: string,
  data: Record<string, unknown>,
  o: { maxRetries: number; backoffMs: number; now: number },
): Promise<WebhookDelivery> {
  const body = pythonJson({ entity, action, timestamp: pythonIsoTimestamp(o.now), data });
  const deliveryId = randomUUID();
  const timestamp = String(Math.floor(o.now / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-mlflow-delivery-id': deliveryId,
    'x-mlflow-timestamp': timestamp,
    'user-agent': 'python-requests/2.32.3',
  };
  if (target.secret) headers['x-mlflow-signature'] = mlflowSignature(target.secret, deliveryId, timestamp, body);
  const d: WebhookDelivery = {
    webhookId: target.webhookId,
    event: `${entity}.${action}`,
    deliveryId,
    body,
    attempts: 0,
  };
  for (let attempt = 0; attempt <= o.maxRetries; attempt++) {
    d.attempts++;
    try {
      const res = await fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      d.status = res.status;
      delete d.error;
      if (!(res.status === 429 || res.status >= 500)) return d;
    } catch (e) {
      d.error = (e as Error).message;
    }
    if (attempt < o.maxRetries) await new Promise((r) => setTimeout(r, o.backoffMs * 2 ** attempt));
  }
  return d;
}
