/**
 * MLflow's webhook REST API (OSS 3.x, `/api/2.0/mlflow/webhooks`), checked against mlflow 3.17.2.
 *
 * Surprises:
 * - On the wire `events` are objects with upper-case proto enum names ({"entity":"MODEL_VERSION","action":"CREATED"}).
 *   The dotted lower-case strings of the Python client ("model_version.created"), plain strings, or lower-case
 *   enum names make the server answer 500 with an HTML page, so we convert and validate before sending.
 * - `webhook_id` is a dashed UUID; the secret is write-only and never returned.
 * - The returned `events` come back sorted, not in the order sent.
 */
import { z } from 'zod';
import { StagecraftError, TransientError, ValidationError } from '../../shared/errors';

export const WEBHOOK_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
  'prompt.created',
  'prompt_version.created',
  'prompt_tag.set',
  'prompt_tag.deleted',
  'prompt_version_tag.set',
  'prompt_version_tag.deleted',
  'prompt_alias.created',
  'prompt_alias.deleted',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** The model-registry events Stagecraft consumes. */
export const STAGECRAFT_EVENTS: readonly WebhookEventName[] = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
];

const WireEvent = z.object({ entity: z.string(), action: z.string() });

export const Webhook = z.looseObject({
  webhook_id: z.string().min(1),
  name: z.string(),
  url: z.string(),
  description: z.string().optional(),
  events: z.array(WireEvent),
  status: z.string(),
  creation_timestamp: z.number(),
  last_updated_timestamp: z.number(),
});
export type Webhook = z.output<typeof Webhook>;

export interface RegisterWebhookOptions {
  name: string;
  targetUrl: string;
  /** HMAC-SHA256 key for X-MLflow-Signature; omit for an unsigned webhook. */
  secret?: string;
  events?: readonly WebhookEventName[];
  description?: string;
  status?: 'ACTIVE' | 'DISABLED';
}

export function toWireEvent(event: string): { entity: string; action: string } {
  if (!(WEBHOOK_EVENTS as readonly string[]).includes(event)) {
    throw new ValidationError(
      'MLFLOW_WEBHOOK_EVENT_INVALID',
      `events: unknown MLflow webhook event "${event}" (known: ${WEBHOOK_EVENTS.join(', ')})`,
    );
  }
  const [entity = '', action = ''] = event.split('.');
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
}

export function fromWireEvent(e: { entity: string; action: string }): string {
  return `${e.entity.toLowerCase()}.${e.action.toLowerCase()}`;
}

async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/2.0/mlflow/${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new TransientError('MLFLOW_UNREACHABLE', `${method} ${url}: ${(e as Error).message}`, { cause: e });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = json as { error_code?: string; message?: string } | undefined;
    const message = err?.message ?? text.slice(0, 300);
    const details = { status: res.status, mlflowErrorCode: err?.error_code, method, path };
    if (res.status >= 500 || res.status === 429)
      throw new TransientError('MLFLOW_SERVER_ERROR', `${method} ${path}: ${res.status} ${message}`, { details });
    throw new StagecraftError(
      'MLFLOW_REQUEST_REJECTED',
      `${method} ${path}: ${res.status} ${err?.error_code ?? ''} ${message}`.trim(),
      { status: res.status, details },
    );
  }
  return json;
}

export async function registerWebhook(mlflowUrl: string, options: RegisterWebhookOptions): Promise<Webhook> {
  const events = (options.events ?? STAGECRAFT_EVENTS).map(toWireEvent);
  if (events.length === 0)
    throw new ValidationError('MLFLOW_WEBHOOK_EVENT_INVALID', 'events: at least one event is required');
  const body: Record<string, unknown> = {
    name: options.name,
    url: options.targetUrl,
    events,
    status: options.status ?? 'ACTIVE',
  };
  if (options.secret !== undefined) body['secret'] = options.secret;
  if (options.description !== undefined) body['description'] = options.description;
  const res = z.object({ webhook: Webhook }).parse(await call(mlflowUrl, 'POST', 'webhooks', body));
  return res.webhook;
}

export async function listWebhooks(mlflowUrl: string): Promise<Webhook[]> {
  const out: Webhook[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ max_results: '100', ...(token ? { page_token: token } : {}) });
    const page = z
      .object({ webhooks: z.array(Webhook).default([]), next_page_token: z.string().optional() })
      .parse(await call(mlflowUrl, 'GET', `webhooks?${q.toString()}`));
    out.push(...page.webhooks);
    token = page.next_page_token || undefined;
  } while (token);
  return out;
}

export async function deleteWebhook(mlflowUrl: string, webhookId: string): Promise<void> {
  await call(mlflowUrl, 'DELETE', `webhooks/${encodeURIComponent(webhookId)}`);
}

export const WebhookTestResult = z.looseObject({
  success: z.boolean().default(false),
  response_status: z.number().optional(),
  response_body: z.string().optional(),
  error_message: z.string().optional(),
});

/** MLflow's /test endpoint: sends a fixed example payload (model "example_model") with real headers and signature. */
export async function testWebhook(
  mlflowUrl: string,
  webhookId: string,
  event?: WebhookEventName,
): Promise<z.output<typeof WebhookTestResult>> {
  const body = event ? { event: toWireEvent(event) } : {};
  const res = z
    .object({ result: WebhookTestResult })
    .parse(await call(mlflowUrl, 'POST', `webhooks/${encodeURIComponent(webhookId)}/test`, body));
  return res.result;
}

/** Registry writes through the REST API (each of these makes the server emit its webhook). */
export const registry = {
  setAlias: (mlflowUrl: string, name: string, alias: string, version: string) =>
    call(mlflowUrl, 'POST', 'registered-models/alias', { name, alias, version }).then(() => undefined),
  deleteAlias: (mlflowUrl: string, name: string, alias: string) =>
    call(mlflowUrl, 'DELETE', 'registered-models/alias', { name, alias }).then(() => undefined),
  setVersionTag: (mlflowUrl: string, name: string, version: string, key: string, value: string) =>
    call(mlflowUrl, 'POST', 'model-versions/set-tag', { name, version, key, value }).then(() => undefined),
  deleteVersionTag: (mlflowUrl: string, name: string, version: string, key: string) =>
    call(mlflowUrl, 'DELETE', 'model-versions/delete-tag', { name, version, key }).then(() => undefined),
  getVersion: async (mlflowUrl: string, name: string, version: string) => {
    const q = new URLSearchParams({ name, version });
    return z
      .object({
        model_version: z.looseObject({
          name: z.string(),
          version: z.string(),
          tags: z.array(z.object({ key: z.string(), value: z.string() })).default([]),
          aliases: z.array(z.string()).default([]),
          run_id: z.string().optional(),
          source: z.string().optional(),
          status: z.string().optional(),
        }),
      })
      .parse(await call(mlflowUrl, 'GET', `model-versions/get?${q.toString()}`)).model_version;
  },
  getByAlias: async (mlflowUrl: string, name: string, alias: string) => {
    const q = new URLSearchParams({ name, alias });
    return z
      .object({ model_version: z.looseObject({ name: z.string(), version: z.string() }) })
      .parse(await call(mlflowUrl, 'GET', `registered-models/alias?${q.toString()}`)).model_version;
  },
};
