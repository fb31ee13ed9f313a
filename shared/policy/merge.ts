/**
 * Layering of raw policy settings (defaults, then matching entries from least to most specific):
 * - plain objects merge key by key, recursively;
 * - arrays and scalars replace (a model's `escalation` list replaces the default one whole);
 * - `null` removes the key (e.g. `validations: { signature: null }` drops an inherited check).
 * Inputs are never mutated.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = deepMerge(out[key], value);
    } else if (isPlainObject(value)) {
      out[key] = deepMerge({}, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Whether `path` exists in `obj` (used to say which layer an error came from). */
export function hasPath(obj: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = obj;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') {
      if (seg >= cur.length) return false;
      cur = cur[seg];
    } else if (isPlainObject(cur) && typeof seg === 'string' && Object.prototype.hasOwnProperty.call(cur, seg)) {
      cur = cur[seg];
    } else {
      return false;
    }
  }
  return true;
}
