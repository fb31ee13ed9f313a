/**
 * CloudEvents 1.0 envelope (JSON format) and the typed Stagecraft event built on it.
 * Invariant: a StagecraftEvent's `id` is its dedupe key, so `source`+`id` repeats mean the same business event.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import { EVENT_DATA_SCHEMAS, type EventData } from './data';
import { dedupeKey, type DedupeContext } from './dedupe';
import { findIllFormedString, toWellFormed } from './identifiers';
import { isEventType, type EventType } from './types';

const CORE_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
]);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

/** Any CloudEvent 1.0 in JSON format (structured mode), as other producers send it. */
export const CloudEventSchema = z
  .looseObject({
    specversion: z.literal('1.0', { error: 'must be "1.0"' }),
    id: z.string().min(1),
    source: z.string().min(1),
    type: z.string().min(1),
    subject: z.string().min(1).optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    datacontenttype: z.string().min(1).optional(),
    dataschema: z.string().min(1).optional(),
    data: z.unknown().optional(),
    data_base64: z.base64().optional(),
  })
  .superRefine((ce, ctx) => {
    if (ce.data !== undefined && ce.data_base64 !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['data_base64'], message: 'data and data_base64 are mutually exclusive' });
    }
    for (const [name, value] of Object.entries(ce)) {
      if (CORE_ATTRIBUTES.has(name)) continue;
      if (!EXTENSION_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'extension attribute names are 1-20 lower-case letters or digits',
        });
      } else if (!['string', 'number', 'boolean'].includes(typeof value)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'extension attribute values are strings, integers or booleans',
        });
      }
    }
  });

export type CloudEvent = z.output<typeof CloudEventSchema>;

export interface StagecraftEvent<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: EventData<T>;
  /** Extension: the delivery (webhook delivery id, message id) this event came from; absent for polls. */
  deliveryid?: string;
}

export type AnyStagecraftEvent = { [K in EventType]: StagecraftEvent<K> }[EventType];

/** zod issues → `[{ path: 'a.b[0]', message }]` for error details and 400 answers. */
export function issuesToFields(
  issues: readonly z.core.$ZodIssue[],
  prefix = '',
): Array<{ path: string; message: string }> {
  return issues.map((i) => {
    let path = prefix;
    for (const seg of i.path) {
      if (typeof seg === 'number') path += `[${seg}]`;
      else path += path === '' ? String(seg) : `.${String(seg)}`;
    }
    return { path: path === '' ? '(root)' : path, message: i.message };
  });
}

export function validationErrorFrom(
  code: string,
  what: string,
  issues: readonly z.core.$ZodIssue[],
  prefix = '',
): ValidationError {
  const fields = issuesToFields(issues, prefix);
  const summary = fields
    .slice(0, 5)
    .map((f) => `${f.path}: ${f.message}`)
    .join('; ');
  return new ValidationError(
    code,
    `${what} is invalid: ${summary}${fields.length > 5 ? ` (+${fields.length - 5} more)` : ''}`,
    { details: { fields } },
  );
}

function str(value: unknown, ...path: string[]): string | undefined {
  let cur: unknown = value;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === 'string' && cur !== '' ? cur : undefined;
}

/** A readable CloudEvents `subject`: the thing within the source the event is about. */
function subjectOf(type: EventType, data: unknown): string {
  // encodeURIComponent throws on a lone surrogate; makeEvent refuses those, this keeps the subject total anyway.
  const enc = (s: string): string => encodeURIComponent(toWellFormed(s));
  const model = str(data, 'model', 'name');
  const version = str(data, 'model', 'version');
  const alias = str(data, 'alias');
  if (model !== undefined && alias !== undefined) return `models/${enc(model)}/aliases/${enc(alias)}`;
  if (model !== undefined && version !== undefined) return `models/${enc(model)}/versions/${enc(version)}`;
  if (model !== undefined) return `models/${enc(model)}`;
  const repo = str(data, 'repository', 'id');
  if (repo !== undefined) return `repos/${enc(repo)}/commits/${enc(str(data, 'commit') ?? '')}`;
  const runId = str(data, 'runId');
  if (runId !== undefined) return `jobs/${enc(str(data, 'jobId') ?? '')}/runs/${enc(runId)}`;
  const rule = str(data, 'rule');
  if (rule !== undefined) return `alerts/${enc(rule)}`;
  return type;
}

export interface MakeEventContext extends DedupeContext {
  /** CloudEvent `source` URI-reference, e.g. `/stagecraft/intake/mlflow`. */
  source: string;
  /** Event time (RFC 3339); defaults to the business time in data or `now`. */
  time: string;
  deliveryId?: string;
}

/**
 * Validates `data` for `type` and builds the event with its dedupe key as id.
 * @throws ValidationError `EVENT_DATA_INVALID` naming the fields (paths under `data.`).
 */
export function makeEvent<T extends EventType>(type: T, data: unknown, ctx: MakeEventContext): StagecraftEvent<T> {
  const schema = EVENT_DATA_SCHEMAS[type] as unknown as z.ZodType<EventData<T>>;
  const illFormed = findIllFormedString(data, 'data');
  if (illFormed !== undefined) {
    const message = 'must be well-formed Unicode (no lone surrogate)';
    throw new ValidationError('EVENT_DATA_INVALID', `data of ${type} is invalid: ${illFormed}: ${message}`, {
      details: { fields: [{ path: illFormed, message }] },
    });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw validationErrorFrom('EVENT_DATA_INVALID', `data of ${type}`, parsed.error.issues, 'data');
  const event: StagecraftEvent<T> = {
    specversion: '1.0',
    id: dedupeKey(type, parsed.data, ctx),
    source: ctx.source,
    type,
    subject: subjectOf(type, parsed.data),
    time: ctx.time,
    datacontenttype: 'application/json',
    data: parsed.data,
  };
  if (ctx.deliveryId !== undefined) event.deliveryid = ctx.deliveryId;
  return event;
}

/** Validates an incoming CloudEvent claiming a Stagecraft type and re-derives its id from the business key. */
export function stagecraftEventFromCloudEvent(
  ce: CloudEvent,
  now: string,
  deliveryId?: string,
): AnyStagecraftEvent | undefined {
  if (!isEventType(ce.type)) return undefined;
  const ctx: MakeEventContext = {
    source: ce.source,
    time: ce.time ?? now,
    producerSource: ce.source,
    producerId: ce.id,
  };
  if (deliveryId !== undefined) ctx.deliveryId = deliveryId;
  return makeEvent(ce.type, ce.data, ctx) as AnyStagecraftEvent;
}
