/**
 * What an identifier from outside (model name, version, alias, commit, run id...) may be. Checked when an event is
 * built (`makeEvent`), so every producer (webhooks, CloudEvents, the reconciler) is held to the same rules and
 * nothing downstream (table keys, instance ids, URLs, MLflow calls) meets an identifier it cannot carry.
 *
 * Invariants:
 * - Every string in an event is well-formed Unicode: a lone UTF-16 surrogate (`"\ud800"` is valid JSON) cannot be
 *   URI-encoded or UTF-8 encoded, so it is refused up front with a 400 naming the field.
 * - Identifiers are non-empty, have no control characters and are bounded (bounds below fit what the source
 *   systems allow; every key derived from an accepted identifier fits, see shared/records/keys.ts).
 */
import { z } from 'zod';

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** `String.prototype.isWellFormed` (ES2024), usable with the project's ES2023 lib. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Lone surrogates replaced by U+FFFD: for text that is only displayed or logged, never for identity. */
export function toWellFormed(s: string): string {
  return s.replace(LONE_SURROGATES, '\uFFFD');
}

/**
 * The path (`a.b[0]`, `prefix.…`) of the first string in `value` — a value or an object key — that is not
 * well-formed, or undefined. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function findIllFormedString(value: unknown, prefix = ''): string | undefined {
  const stack: Array<[unknown, string]> = [[value, prefix]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isWellFormed(v)) return path === '' ? '(root)' : path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        const childPath = path === '' ? k : `${path}.${k}`;
        if (!isWellFormed(k)) return `${path === '' ? '' : `${path}.`}${toWellFormed(k)} (key)`;
        stack.push([child, childPath]);
      }
    }
  }
  return undefined;
}

/**
 * Bounds per kind of identifier, in UTF-16 code units.
 * - modelName: Unity Catalog `catalog.schema.model` (255 per part) — MLflow's own limit is 256.
 * - alias, tagKey, stage: MLflow limits aliases to 255 and tag keys to 250.
 * - version: MLflow and Databricks versions are integers as strings.
 * - commit: a SHA-1 or SHA-256 hex digest (or a short form).
 */
export const IDENTIFIER_LIMITS = {
  modelName: 767,
  version: 128,
  alias: 255,
  tagKey: 255,
  stage: 255,
  commit: 64,
  repository: 512,
  branch: 512,
  runId: 256,
  name: 512,
  id: 1024,
} as const;

export type IdentifierKind = keyof typeof IDENTIFIER_LIMITS;

/** A non-empty, bounded identifier without control characters, well-formed. */
export function identifier(kind: IdentifierKind): z.ZodString {
  const max = IDENTIFIER_LIMITS[kind];
  return z
    .string()
    .min(1)
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters')
    .refine(isWellFormed, 'must be well-formed Unicode (no lone surrogate)');
}

export function hasControlCharacter(s: string): boolean {
  return CONTROL.test(s);
}
