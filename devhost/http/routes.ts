/**
 * Azure Functions route templates: `products/{category:alpha}/{id:int?}`, `files/{*path}`, literal segments.
 * Matching is case-insensitive on literals; parameters keep the request's text (URL-decoded).
 * Invariant: a template that cannot be compiled is a start-up error naming the function.
 */
export interface CompiledRoute {
  template: string;
  regex: RegExp;
  params: { name: string; optional: boolean; catchAll: boolean; constraints: ((v: string) => boolean)[] }[];
  /** Literal segments first, then constrained, then free parameters: more specific routes win. */
  specificity: number[];
}

const CONSTRAINTS: Record<string, (arg: string | undefined) => (v: string) => boolean> = {
  int: () => (v) => /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) && Math.abs(Number(v)) <= 2147483647,
  long: () => (v) => /^-?\d+$/.test(v),
  float: () => (v) => v.trim() !== '' && !Number.isNaN(Number(v)),
  double: () => (v) => v.trim() !== '' && !Number.isNaN(Number(v)),
  decimal: () => (v) => /^-?\d+(\.\d+)?$/.test(v),
  bool: () => (v) => /^(true|false)$/i.test(v),
  alpha: () => (v) => /^[a-z]+$/i.test(v),
  guid: () => (v) =>
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v) || /^[{(][0-9a-f-]{36}[})]$/i.test(v),
  datetime: () => (v) => !Number.isNaN(Date.parse(v)),
  minlength: (a) => (v) => v.length >= Number(a),
  maxlength: (a) => (v) => v.length <= Number(a),
  length: (a) => {
    const [min, max] = (a ?? '').split(',').map(Number);
    return (v) => (max === undefined ? v.length === min : v.length >= (min ?? 0) && v.length <= max);
  },
  min: (a) => (v) => /^-?\d+$/.test(v) && Number(v) >= Number(a),
  max: (a) => (v) => /^-?\d+$/.test(v) && Number(v) <= Number(a),
  range: (a) => {
    const [min, max] = (a ?? '').split(',').map(Number);
    return (v) => /^-?\d+$/.test(v) && Number(v) >= (min ?? -Infinity) && Number(v) <= (max ?? Infinity);
  },
  regex: (a) => {
    const re = new RegExp(a ?? '', 'i');
    return (v) => re.test(v);
  },
};

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function parseParam(inner: string, template: string): CompiledRoute['params'][number] {
  let body = inner;
  let catchAll = false;
  if (body.startsWith('*')) {
    catchAll = true;
    body = body.replace(/^\*\*?/, '');
  }
  let optional = false;
  if (body.endsWith('?')) {
    optional = true;
    body = body.slice(0, -1);
  }
  // Default values `{x=1}` are accepted and treated as optional.
  const eq = body.indexOf('=');
  if (eq >= 0) {
    optional = true;
    body = body.slice(0, eq);
  }
  const [name, ...rest] = splitConstraints(body);
  if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new Error(`route "${template}" has an invalid parameter "{${inner}}"`);
  const constraints = rest.map((c) => {
    const m = /^([a-z]+)(?:\((.*)\))?$/i.exec(c);
    const make = m ? CONSTRAINTS[m[1]!.toLowerCase()] : undefined;
    if (!m || !make) throw new Error(`route "${template}" uses unknown constraint "${c}" on {${name}}`);
    return make(m[2]);
  });
  return { name, optional, catchAll, constraints };
}

/** Split `id:int:min(1):regex(a:b)` on colons outside parentheses. */
function splitConstraints(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function compileRoute(prefix: string, route: string): CompiledRoute {
  const template = [prefix, route]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  const segments = template ? template.split('/') : [];
  const params: CompiledRoute['params'] = [];
  const specificity: number[] = [];
  let re = '^';
  segments.forEach((seg, i) => {
    const whole = /^\{([^{}]+)\}$/.exec(seg);
    if (whole) {
      const p = parseParam(whole[1]!, template);
      if (p.catchAll && i !== segments.length - 1)
        throw new Error(`route "${template}": a catch-all parameter must be the last segment`);
      params.push(p);
      specificity.push(p.catchAll ? 0 : p.constraints.length ? 2 : 1);
      const group = p.catchAll ? '(.*)' : '([^/]+)';
      re += p.optional || p.catchAll ? `(?:/${group})?` : `/${group}`;
      return;
    }
    if (/[{}]/.test(seg)) {
      // Mixed literal and parameter in one segment, e.g. `file.{ext}`.
      let segRe = '';
      let rest = seg;
      while (rest.length) {
        const m = /\{([^{}]+)\}/.exec(rest);
        if (!m) {
          segRe += escapeRe(rest);
          break;
        }
        segRe += escapeRe(rest.slice(0, m.index));
        const p = parseParam(m[1]!, template);
        if (p.catchAll || p.optional)
          throw new Error(`route "${template}": optional or catch-all parameters must be a whole segment`);
        params.push(p);
        segRe += '([^/]+?)';
        rest = rest.slice(m.index + m[0].length);
      }
      specificity.push(2);
      re += `/${segRe}`;
      return;
    }
    specificity.push(3);
    re += `/${escapeRe(seg)}`;
  });
  re += '/?$';
  return { template, regex: new RegExp(re, 'i'), params, specificity };
}

/** Returns route values, or undefined when the path does not match (including failed constraints). */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const m = route.regex.exec(path === '/' ? '' : path.replace(/\/+$/, ''));
  if (!m) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < route.params.length; i++) {
    const p = route.params[i]!;
    const raw = m[i + 1];
    if (raw === undefined || raw === '') continue;
    let v: string;
    try {
      v = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!p.constraints.every((c) => c(v))) return undefined;
    values[p.name] = v;
  }
  return values;
}

export function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.specificity.length, b.specificity.length);
  for (let i = 0; i < n; i++) {
    const d = (b.specificity[i] ?? -1) - (a.specificity[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
