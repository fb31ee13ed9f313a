/**
 * Binding expressions in storage binding options (`path`, `queueName`, `tableName`, `partitionKey`, `rowKey`,
 * `filter`), as the Functions host resolves them: `%Setting%` first (done by the caller), then `{name}` from the
 * trigger's binding data (trigger metadata, blob path pattern names, top-level properties of a JSON queue message;
 * dotted paths reach into objects) and the system values `{rand-guid}`, `{sys.randguid}`, `{DateTime}`,
 * `{sys.utcnow}`, `{sys.methodname}`. `{{` and `}}` are literal braces.
 *
 * Invariant: an expression with no value is an error naming it, never an empty string in a path.
 */
import { randomUUID } from 'node:crypto';
import { HostError } from '../host/types';

export type BindingData = Record<string, unknown>;

const SYSTEM = new Set(['rand-guid', 'sys.randguid', 'datetime', 'sys.utcnow', 'sys.methodname']);

/** The `{…}` names a template uses (escaped braces skipped). */
export function expressionNames(template: string): string[] {
  const out: string[] = [];
  for (const m of template.replace(/\{\{|\}\}/g, '').matchAll(/\{([^{}]+)\}/g)) out.push((m[1] ?? '').trim());
  return out;
}

export function isSystemExpression(name: string): boolean {
  return SYSTEM.has(name.toLowerCase()) || /^datetime:/i.test(name);
}

function lookup(data: BindingData, path: string): unknown {
  let cur: unknown = data;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    const entry = Object.entries(cur as Record<string, unknown>).find(([k]) => k.toLowerCase() === part.toLowerCase());
    cur = entry?.[1];
  }
  return cur;
}

function formatValue(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

export function resolveExpressions(template: string, data: BindingData, where: string, methodName = ''): string {
  const now = new Date();
  const parts = template.split(/(\{\{|\}\})/);
  return parts
    .map((part) => {
      if (part === '{{') return '{';
      if (part === '}}') return '}';
      return part.replace(/\{([^{}]+)\}/g, (_m, raw: string) => {
        const name = raw.trim();
        const lower = name.toLowerCase();
        if (lower === 'rand-guid' || lower === 'sys.randguid') return randomUUID();
        if (lower === 'datetime' || lower === 'sys.utcnow') return now.toISOString();
        if (lower === 'sys.methodname') return methodName;
        const v = lookup(data, name);
        if (v === undefined || v === null) {
          throw new HostError(
            'BINDING_EXPRESSION_UNRESOLVED',
            `${where}: binding expression '{${name}}' has no value (binding data available: ${Object.keys(data).join(', ') || 'none'})`,
          );
        }
        return formatValue(v);
      });
    })
    .join('');
}

export interface BlobPathPattern {
  container: string;
  /** Literal blob-name prefix before the first expression (for listing). */
  prefix: string;
  /** Matches a blob name; returns the named values or undefined. */
  match(blobName: string): Record<string, string> | undefined;
  names: string[];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A blob trigger `path` (`container/dir/{name}.txt`); the container part must be a literal name. */
export function parseBlobPathPattern(path: string): BlobPathPattern {
  const clean = path.replace(/^\/+/, '');
  const slash = clean.indexOf('/');
  const container = slash < 0 ? clean : clean.slice(0, slash);
  const rest = slash < 0 ? '' : clean.slice(slash + 1);
  if (!container || /[{}]/.test(container))
    throw new Error(
      `blob trigger path '${path}' must start with a literal container name (for example 'samples/{name}')`,
    );
  const names: string[] = [];
  let regex = '^';
  let prefix = '';
  let seenExpr = false;
  for (const token of rest.split(/(\{\{|\}\}|\{[^{}]+\})/).filter((t) => t !== '')) {
    if (token === '{{' || token === '}}') {
      regex += escapeRegex(token[0]!);
      if (!seenExpr) prefix += token[0]!;
    } else if (token.startsWith('{')) {
      const name = token.slice(1, -1).trim();
      if (!/^[A-Za-z_][\w-]*$/.test(name))
        throw new Error(`blob trigger path '${path}' has an invalid expression '{${name}}'`);
      names.push(name);
      regex += '(.+?)';
      seenExpr = true;
    } else {
      regex += escapeRegex(token);
      if (!seenExpr) prefix += token;
    }
  }
  // A bare container ('samples' or 'samples/') matches every blob in it.
  if (rest === '') regex += '.+';
  const re = new RegExp(regex + '$', 's');
  return {
    container,
    prefix,
    names,
    match(blobName) {
      const m = re.exec(blobName);
      if (!m) return undefined;
      const out: Record<string, string> = {};
      names.forEach((n, i) => (out[n] = m[i + 1] ?? ''));
      return out;
    },
  };
}

/** Queue message text parsed as the worker does (JSON when it parses, else the string). */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
