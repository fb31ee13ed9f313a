/**
 * Redacts secrets from values shown in the console (run inputs, outputs, custom status, message bodies).
 * Invariant: a value under a secret-looking key, or a string that looks like a credential, never leaves the server.
 */
const SECRET_KEY =
  /(secret|token|password|passwd|pwd|api[-_]?key|access[-_]?key|private[-_]?key|authorization|credential|signature|connection[-_]?string|sas|cookie|^key$|[-_]key$)/i;
const SECRET_TEXT = [
  /(AccountKey|SharedAccessKey|SharedAccessSignature|sig)=[^;&\s]+/gi,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\b(dapi|ghp|gho|ghs|github_pat|xox[bap])_?[A-Za-z0-9_]{16,}/g,
];
export const REDACTED = '[redacted]';
const MAX_DEPTH = 20;

export function redactText(s: string): string {
  let out = s;
  for (const re of SECRET_TEXT)
    out = out.replace(re, (m) => (m.includes('=') ? `${m.slice(0, m.indexOf('=') + 1)}${REDACTED}` : REDACTED));
  return out;
}

export function redact(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[too deep]';
  if (typeof v === 'string') return redactText(v);
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] =
        SECRET_KEY.test(k) && x !== null && x !== undefined && x !== '' && typeof x !== 'boolean'
          ? REDACTED
          : redact(x, depth + 1);
    return out;
  }
  return v;
}
