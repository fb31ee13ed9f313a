/**
 * CloudEvents 1.0 over HTTP for any other producer (a Databricks job posting completion, a manual retrain or
 * promote request). Modes, by Content-Type:
 * - `application/cloudevents+json`: structured, one event;
 * - `application/cloudevents-batch+json`: structured batch (JSON array);
 * - anything else: binary mode, attributes in `ce-*` headers, body = data (JSON).
 * Only Stagecraft types (`io.stagecraft.*`) are accepted; their `data` is validated by the type's schema and the id
 * is re-derived from the business key (the producer's source+id is the fallback identity for requests).
 * Authentication: the Functions key (authLevel function), plus CLOUDEVENTS_KEYS when set.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../../errors';
import {
  CloudEventSchema,
  isEventType,
  stagecraftEventFromCloudEvent,
  validationErrorFrom,
  type AnyStagecraftEvent,
  type CloudEvent,
} from '../../events';
import { OK, SharedSecretVerifier, type Verifier } from '../verifiers';
import type { DeliveryRequest } from '../request';
import { eventKeyStep } from './cloudevents-keys';
import { list } from '../../setting-values';
import { defineSource, type ParseContext, type ParseOutcome } from './types';
import { ignored, invalid } from './util';

const SOURCE = '/stagecraft/intake/cloudevents';
const BINARY_HEADERS = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'dataschema'];

type Mode = 'structured' | 'batch' | 'binary';

function modeOf(request: DeliveryRequest): Mode {
  const ct = (request.headers.get('content-type') ?? '').toLowerCase();
  if (ct.startsWith('application/cloudevents-batch+json')) return 'batch';
  if (ct.startsWith('application/cloudevents+json')) return 'structured';
  return 'binary';
}

/**
 * A `ce-*` header value as the attribute value: the HTTP binding (3.1.3.2) says receivers MUST percent-decode
 * (UTF-8), so binary and structured copies of one event carry the same id and source. A malformed escape is kept
 * verbatim (a stray % is not worth a rejection).
 */
function ceHeader(request: DeliveryRequest, name: string): string | undefined {
  const value = request.headers.get(name);
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Binary mode: `ce-<attr>` headers (values percent-decoded), body is `data`. */
function binaryEvent(request: DeliveryRequest, body: unknown): Record<string, unknown> {
  const ce: Record<string, unknown> = { data: body };
  for (const name of request.headers.keys()) {
    if (!name.startsWith('ce-')) continue;
    const attr = name.slice(3);
    if (BINARY_HEADERS.includes(attr) || /^[a-z0-9]{1,20}$/.test(attr)) ce[attr] = ceHeader(request, name);
  }
  const ct = request.headers.get('content-type');
  if (ct !== undefined) ce.datacontenttype = ct;
  return ce;
}

function toStagecraft(list: CloudEvent[], ctx: ParseContext): ParseOutcome {
  const events: AnyStagecraftEvent[] = [];
  const skipped: string[] = [];
  for (const [i, ce] of list.entries()) {
    if (!isEventType(ce.type)) {
      skipped.push(ce.type);
      continue;
    }
    if (ce.data_base64 !== undefined || (ce.datacontenttype !== undefined && !/json/i.test(ce.datacontenttype))) {
      return invalid(
        new ValidationError('INTAKE_PAYLOAD_INVALID', `event ${i}: ${ce.type} needs JSON data`, {
          details: { fields: [{ path: list.length > 1 ? `[${i}].data` : 'data', message: 'must be JSON' }] },
        }),
      );
    }
    try {
      events.push(stagecraftEventFromCloudEvent(ce, ctx.now, ctx.deliveryId)!);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      if (list.length === 1) return invalid(e);
      const fields = ((e.details?.fields ?? []) as Array<{ path: string; message: string }>).map((f) => ({
        ...f,
        path: `[${i}].${f.path}`,
      }));
      return invalid(new ValidationError(e.code, `event ${i}: ${e.message}`, { details: { fields } }));
    }
  }
  if (events.length === 0)
    return ignored(`no Stagecraft event types (got ${[...new Set(skipped)].join(', ') || 'an empty batch'})`);
  return { kind: 'events', events };
}

/** Endpoints behind a function key (authLevel function) that may also require keys of their own. */
export function optionalKeyVerifier(keys: readonly string[]): Verifier {
  // Without extra keys the platform's function key is the gate (authLevel function on the route).
  if (keys.length === 0) return { scheme: 'function-key', verify: () => OK };
  return new SharedSecretVerifier({ secrets: keys, queryParams: ['key'], headers: ['X-Stagecraft-Key'] });
}

export const cloudEventsSource = defineSource({
  name: 'cloudevents',
  eventSource: SOURCE,
  http: {
    route: 'events',
    methods: ['POST'],
    auth: 'function-key',
    note: 'function key; promote/retrain requests also need an event key scoped to them (x-stagecraft-event-key), requestedBy = key name',
    security:
      "function key (+ `CLOUDEVENTS_KEYS`); privileged types (`promote.requested`, `retrain.requested`) also need an event key scoped to them in `x-stagecraft-event-key` (403 `EVENT_TYPE_NOT_PERMITTED` otherwise, audited); `requestedBy` = the key's name",
    step: eventKeyStep,
  },
  settings: {
    key: 'cloudEvents',
    env: {
      CLOUDEVENTS_KEYS: {
        schema: list,
        secret: true,
        description:
          'Optional extra keys for the CloudEvents endpoint (`key` query or `X-Stagecraft-Key` header) on top of the function key. Unset: the function key (authLevel function) is the only gate.',
      },
    },
    toConfig: (v) => ({ keys: v.CLOUDEVENTS_KEYS }),
  },
  verifier: (settings) => optionalKeyVerifier(settings.keys),
  deliveryId(request, body) {
    const mode = modeOf(request);
    if (mode === 'binary') {
      const id = ceHeader(request, 'ce-id');
      const source = ceHeader(request, 'ce-source');
      return id !== undefined && source !== undefined ? `${source}#${id}` : undefined;
    }
    if (mode === 'structured') {
      const b = body as { id?: unknown; source?: unknown } | null;
      return typeof b?.id === 'string' && typeof b.source === 'string' ? `${b.source}#${b.id}` : undefined;
    }
    if (!Array.isArray(body)) return undefined;
    const ids = body.map(
      (e: unknown) => `${String((e as { source?: unknown })?.source)}#${String((e as { id?: unknown })?.id)}`,
    );
    return `batch:sha256:${createHash('sha256').update(ids.join('\n')).digest('base64url')}`;
  },
  parse(body, ctx): ParseOutcome {
    const mode = modeOf(ctx.request);
    if (mode === 'batch') {
      // An empty batch is valid (the JSON batch format allows it): 202 with nothing published.
      const r = z.array(CloudEventSchema).safeParse(body);
      if (!r.success)
        return invalid(validationErrorFrom('INTAKE_PAYLOAD_INVALID', 'CloudEvents batch', r.error.issues));
      return toStagecraft(r.data, ctx);
    }
    const candidate = mode === 'binary' ? binaryEvent(ctx.request, body) : body;
    const r = CloudEventSchema.safeParse(candidate);
    if (!r.success) {
      const prefix = mode === 'binary' ? '' : '';
      const err = validationErrorFrom(
        'INTAKE_PAYLOAD_INVALID',
        mode === 'binary' ? 'CloudEvent (binary mode; attributes in ce-* headers)' : 'CloudEvent',
        r.error.issues,
        prefix,
      );
      return invalid(err);
    }
    return toStagecraft([r.data], ctx);
  },
});

export { SOURCE as CLOUDEVENTS_SOURCE };
