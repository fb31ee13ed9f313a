/**
 * Model-name globs for policy entries: `*` matches any run of characters (including none, and including
 * `.` and `/`), `?` matches exactly one character; everything else is literal and case-sensitive
 * (MLflow registry names are case-sensitive).
 *
 * Specificity (the most specific matching entry wins, field by field):
 *   1. an exact name (no wildcard) beats every glob;
 *   2. more literal characters beat fewer (`fraud-detector-*` beats `fraud-*` beats `*`);
 *   3. then fewer `*` beat more; then fewer `?` beat more;
 *   4. a remaining tie is broken by the key's code-point order, the later key winning, so the result
 *      never depends on file order.
 */
export function hasWildcard(glob: string): boolean {
  return /[*?]/.test(glob);
}

export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.+()|{}[\]]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

export function globMatches(glob: string, name: string): boolean {
  return hasWildcard(glob) ? globToRegExp(glob).test(name) : glob === name;
}

/** Negative when `a` is less specific than `b`, so sorting ascending puts the winner last. */
export function compareSpecificity(a: string, b: string): number {
  const score = (g: string) => {
    const stars = [...g].filter((c) => c === '*').length;
    const qs = [...g].filter((c) => c === '?').length;
    return [hasWildcard(g) ? 0 : 1, [...g].length - stars - qs, -stars, -qs] as const;
  };
  const sa = score(a);
  const sb = score(b);
  for (let i = 0; i < sa.length; i++) {
    const d = sa[i]! - sb[i]!;
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keys of `entries` matching `name`, least specific first (the last one wins). */
export function matchingGlobs(keys: Iterable<string>, name: string): string[] {
  return [...keys].filter((k) => globMatches(k, name)).sort(compareSpecificity);
}
