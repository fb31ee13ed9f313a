/**
 * Privileged CloudEvents: event types that start work on someone's behalf (`promote.requested`,
 * `retrain.requested`) are refused on the CloudEvents endpoint unless the delivery carries an event key scoped to
 * them (`x-stagecraft-event-key` header, on top of the function key the host checks). On that path the event's
 * `requestedBy` is the key's name, never what the body says (otherwise `excludeTrigger` is a field anyone fills in).
 *
 * STAGECRAFT_EVENT_KEYS: `name=key:type1|type2,...`; types in full (`io.stagecraft.promote.requested`) or short
 * (`promote.requested`) form; keys at least 16 characters.
 */
import { firstMatchingSecret } from '../crypto/constant-time';
import { EVENT_TYPE_PREFIX, EVENT_TYPES, isEventType } from '../events/types';
import { MIN_KEY_LENGTH, pairs, settingProblem } from '../setting-values';
import { Forbidden } from './policy';

export const EVENT_KEY_HEADER = 'x-stagecraft-event-key';
export const PRIVILEGED_EVENT_TYPES: readonly string[] = [EVENT_TYPES.promoteRequested, EVENT_TYPES.retrainRequested];

export interface EventKey {
  name: string;
  key: string;
  types: readonly string[];
}

/**
 * The schema of STAGECRAFT_EVENT_KEYS (the `eventKeys` section, shared/auth/event-key-settings.ts). Here, not there:
 * this module is loaded by the intake sources, which load no config module.
 */
export const eventKeysSetting = pairs.transform((entries, ctx): EventKey[] => {
  const out: EventKey[] = [];
  for (const [name, value] of entries) {
    const colon = value.lastIndexOf(':');
    const key = colon > 0 ? value.slice(0, colon) : '';
    const types = (colon > 0 ? value.slice(colon + 1) : '')
      .split('|')
      .map((t) => t.trim())
      .filter(Boolean)
      .map((t) => (t.startsWith(EVENT_TYPE_PREFIX) ? t : `${EVENT_TYPE_PREFIX}${t}`));
    const unknown = types.filter((t) => !isEventType(t));
    const problem =
      key.length < MIN_KEY_LENGTH || types.length === 0
        ? `entry ${name} must be name=key:type1|type2 with a key of at least ${MIN_KEY_LENGTH} characters`
        : unknown.length
          ? `entry ${name} names unknown event types: ${unknown.join(', ')}`
          : undefined;
    if (problem !== undefined) return settingProblem(ctx, problem);
    out.push({ name, key, types });
  }
  return out;
});

function matchKey(keys: readonly EventKey[], presented: string): EventKey | undefined {
  return firstMatchingSecret(presented, keys, (k) => k.key);
}

/** The event types a CloudEvents delivery carries (structured, batch, or binary `ce-type`); undefined when unparseable. */
export function deliveredTypes(headers: ReadonlyMap<string, string>, body: unknown): string[] {
  const ct = (headers.get('content-type') ?? '').toLowerCase();
  const typeOf = (e: unknown) =>
    typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string'
      ? (e as { type: string }).type
      : '';
  if (ct.startsWith('application/cloudevents-batch+json')) return Array.isArray(body) ? body.map(typeOf) : [];
  if (ct.startsWith('application/cloudevents+json')) return [typeOf(body)];
  return [headers.get('ce-type') ?? ''];
}

export type ScopeDecision = { kind: 'plain' } | { kind: 'scoped'; keyName: string; types: string[] };

/**
 * @throws Forbidden EVENT_TYPE_NOT_PERMITTED (privileged types without a key scoped to them), AuthError
 * EVENT_KEY_INVALID (an event key that matches none).
 */
export function checkEventScope(
  headers: ReadonlyMap<string, string>,
  types: readonly string[],
  keys: readonly EventKey[],
): ScopeDecision {
  const privileged = [...new Set(types.filter((t) => PRIVILEGED_EVENT_TYPES.includes(t)))];
  const presented = headers.get(EVENT_KEY_HEADER);
  const key = presented ? matchKey(keys, presented) : undefined;
  if (presented && !key) throw new Forbidden('EVENT_KEY_INVALID', `the key in ${EVENT_KEY_HEADER} is not an event key`);
  if (privileged.length === 0) return { kind: 'plain' };
  if (!key) {
    throw new Forbidden(
      'EVENT_TYPE_NOT_PERMITTED',
      `${privileged.join(', ')} need an event key scoped to them (${EVENT_KEY_HEADER}); a plain function key may send only non-privileged types`,
      { privileged, scope: 'STAGECRAFT_EVENT_KEYS' },
    );
  }
  const missing = privileged.filter((t) => !key.types.includes(t));
  if (missing.length)
    throw new Forbidden('EVENT_TYPE_NOT_PERMITTED', `event key ${key.name} is not scoped to ${missing.join(', ')}`, {
      privileged: missing,
      key: key.name,
    });
  return { kind: 'scoped', keyName: key.name, types: privileged };
}

/** Sets `requestedBy` of every privileged event to the key's name (the body's value is a claim, not an identity). */
export function stampRequestedBy(headers: ReadonlyMap<string, string>, body: unknown, keyName: string): unknown {
  const ct = (headers.get('content-type') ?? '').toLowerCase();
  const stampData = (data: unknown) =>
    typeof data === 'object' && data !== null && !Array.isArray(data) ? { ...data, requestedBy: keyName } : data;
  const stampEvent = (e: unknown) => {
    if (typeof e !== 'object' || e === null) return e;
    const ev = e as { type?: unknown; data?: unknown };
    return typeof ev.type === 'string' && PRIVILEGED_EVENT_TYPES.includes(ev.type)
      ? { ...ev, data: stampData(ev.data) }
      : e;
  };
  if (ct.startsWith('application/cloudevents-batch+json')) return Array.isArray(body) ? body.map(stampEvent) : body;
  if (ct.startsWith('application/cloudevents+json')) return stampEvent(body);
  return PRIVILEGED_EVENT_TYPES.includes(headers.get('ce-type') ?? '') ? stampData(body) : body;
}
