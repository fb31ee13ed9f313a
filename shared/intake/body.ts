/**
 * From verified raw bytes to the JSON value a source parses: media type (415), form wrapping (GitHub's default
 * `application/x-www-form-urlencoded` webhooks carry the JSON in `payload`), JSON syntax (400) and well-formed
 * Unicode (400 naming the field: `"\ud800"` is valid JSON but no identifier can hold it).
 *
 * Invariant: runs only after the signature was verified over the raw bytes; nothing here changes what was signed.
 */
import { findIllFormedString } from '../events/identifiers';
import type { DeliveryRequest } from './request';

export const FORM_URLENCODED = 'application/x-www-form-urlencoded';

export type DecodedBody =
  { ok: true; body: unknown } | { ok: false; status: 400 | 415; code: string; reason: string; field?: string };

/** `application/json`, `text/json`, and any `application/*+json` (CloudEvents, problem+json...). */
export function isJsonMediaType(mediaType: string): boolean {
  return (
    mediaType === 'application/json' ||
    mediaType === 'text/json' ||
    /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType)
  );
}

/** The media type of a Content-Type header, lower-cased, without parameters; '' when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export interface BodyOptions {
  /** Also accept `application/x-www-form-urlencoded` with the JSON in the `payload` field (GitHub). */
  formPayload?: boolean;
}

/**
 * Absent Content-Type is read as JSON (some senders omit it); any other non-JSON type is refused with 415 naming
 * what to send instead.
 */
export function decodeJsonBody(request: DeliveryRequest, options: BodyOptions = {}): DecodedBody {
  const mediaType = mediaTypeOf(request.headers.get('content-type'));
  let text: string;
  let where = 'body';
  if (mediaType === '' || isJsonMediaType(mediaType)) {
    text = request.rawBody.toString('utf8');
  } else if (mediaType === FORM_URLENCODED && options.formPayload === true) {
    const payload = new URLSearchParams(request.rawBody.toString('utf8')).get('payload');
    if (payload === null) {
      return {
        ok: false,
        status: 400,
        code: 'INTAKE_PAYLOAD_INVALID',
        reason: 'form body has no "payload" field (expected payload=<JSON>)',
        field: 'payload',
      };
    }
    text = payload;
    where = 'form field "payload"';
  } else {
    const expected =
      options.formPayload === true
        ? `application/json (or ${FORM_URLENCODED} with a payload field)`
        : 'application/json';
    const hint = mediaType === FORM_URLENCODED ? '; set the webhook content type to application/json' : '';
    return {
      ok: false,
      status: 415,
      code: 'INTAKE_UNSUPPORTED_MEDIA_TYPE',
      reason: `Content-Type ${mediaType} is not supported; send ${expected}${hint}`,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      status: 400,
      code: 'INTAKE_BODY_NOT_JSON',
      reason: `${where} is not valid JSON (${(e instanceof Error ? e.message : String(e)).slice(0, 120)})`,
    };
  }
  const illFormed = findIllFormedString(body);
  if (illFormed !== undefined) {
    return {
      ok: false,
      status: 400,
      code: 'INTAKE_PAYLOAD_INVALID',
      reason: `${illFormed}: must be well-formed Unicode (a lone UTF-16 surrogate cannot be stored)`,
      field: illFormed,
    };
  }
  return { ok: true, body };
}
