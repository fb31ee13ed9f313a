/**
 * `$cbs` claims-based security: the `put-token` request the SDK sends before it attaches a link, with a
 * SharedAccessSignature checked against the namespace's key (as core-amqp's createSasTokenProvider signs it).
 *
 * Invariants:
 * - A token counts only with the configured key name, an unexpired `se`, a signature that matches (compared in
 *   constant time) and a resource `sr` that covers the audience it is put for.
 * - Token expiry is wall-clock time, never a test clock: clients sign tokens with their own clock.
 * - A refusal names the reason and never echoes the key or the signature.
 */
import { createHmac } from 'node:crypto';
import type { Message } from 'rhea';
import { anySecretMatches } from '../lib/constant-time';

export interface SasKey {
  keyName: string;
  key: string;
}

export interface PutTokenResult {
  /** AMQP status-code and status-description of the reply. */
  status: number;
  description: string;
  /** Granted: the audience path (lower case, no host) and when the grant expires (ms). */
  grant?: { path: string; expiresAt: number };
  /** Refused: the audience asked for and why (for the log). */
  refused?: { audience: string; reason: string };
}

/** Entity path of an AMQP address or audience: host and slashes removed, lower case ('' for the namespace). */
export function entityPathOf(address: string | undefined): string {
  let a = (address ?? '').trim();
  const m = /^amqps?:\/\/[^/]+\/(.*)$/i.exec(a) ?? /^sb:\/\/[^/]+\/(.*)$/i.exec(a);
  if (m) a = m[1] as string;
  return a.replace(/^\/+/, '').replace(/\/+$/, '').toLowerCase();
}

/** Answer one `$cbs` request. Only `put-token` is supported (400 otherwise). */
export function putToken(request: Message, sas: SasKey, nowMs = Date.now()): PutTokenResult {
  const ap = (request.application_properties ?? {}) as Record<string, unknown>;
  if (ap.operation !== 'put-token')
    return {
      status: 400,
      description: `unsupported $cbs operation '${typeof ap.operation === 'string' ? ap.operation : '?'}'`,
    };
  const audience = typeof ap.name === 'string' ? ap.name : '';
  const token =
    typeof request.body === 'string'
      ? request.body
      : Buffer.isBuffer(request.body)
        ? request.body.toString('utf8')
        : '';
  const verdict = verifySas(token, audience, sas, nowMs);
  if (!verdict.ok)
    return {
      status: 401,
      description: `InvalidSignature: ${verdict.reason}`,
      refused: { audience, reason: verdict.reason },
    };
  return {
    status: 202,
    description: 'Accepted',
    grant: { path: entityPathOf(audience), expiresAt: verdict.expiresAt },
  };
}

/** SAS: sig = base64(HMAC-SHA256(key, urlencoded(sr) + "\n" + se)), as core-amqp's createSasTokenProvider signs. */
export function verifySas(
  token: string,
  audience: string,
  sas: SasKey,
  nowMs: number,
): { ok: true; expiresAt: number } | { ok: false; reason: string } {
  if (!token.startsWith('SharedAccessSignature '))
    return { ok: false, reason: 'The token is not a SharedAccessSignature.' };
  const fields = new Map<string, string>();
  for (const part of token.slice('SharedAccessSignature '.length).split('&')) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i), part.slice(i + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  const skn = fields.get('skn');
  if (!sr || !sig || !se || !skn) return { ok: false, reason: 'The token is missing sr, sig, se or skn.' };
  if (decodeURIComponent(skn) !== sas.keyName)
    return { ok: false, reason: `Unknown SharedAccessKeyName '${decodeURIComponent(skn)}'.` };
  const expiry = Number(se);
  if (!Number.isFinite(expiry) || expiry * 1000 < nowMs) return { ok: false, reason: 'The token has expired.' };
  const expected = createHmac('sha256', sas.key).update(`${sr}\n${se}`).digest();
  let given: Buffer;
  try {
    given = Buffer.from(decodeURIComponent(sig), 'base64');
  } catch {
    return { ok: false, reason: 'The token signature is malformed.' };
  }
  if (!anySecretMatches(given, [expected])) return { ok: false, reason: 'The token has an invalid signature.' };
  const resource = entityPathOf(decodeURIComponent(sr));
  const aud = entityPathOf(audience);
  if (!(resource === '' || aud === resource || aud.startsWith(resource + '/')))
    return { ok: false, reason: `The token audience '${decodeURIComponent(sr)}' does not cover '${audience}'.` };
  return { ok: true, expiresAt: expiry * 1000 };
}
