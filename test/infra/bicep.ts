/**
 * A small, honest reader of the Bicep text in infra/ for offline tests (the Bicep compiler does not run here). It does
 * not compile Bicep: it strips comments, then finds top-level declarations (param / var / resource / module / output)
 * and the balanced `{ ... }` / `[ ... ]` body that follows each, and reads `key: value` lines of object bodies.
 * What it cannot see (expressions evaluated by ARM, type checking) is listed in infra/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/host';

export const INFRA = join(REPO_ROOT, 'infra');

export function bicepFiles(dir = INFRA): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...bicepFiles(p));
    else if (e.name.endsWith('.bicep')) out.push(p);
  }
  return out.sort();
}

/** The text without // and /* *\/ comments, string contents kept (Bicep strings are single-quoted, '' escapes ' ). */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const start = i;
      i++;
      while (i < text.length) {
        if (text[i] === '\\') {
          i += 2;
          continue;
        }
        if (text[i] === "'") {
          i++;
          break;
        }
        i++;
      }
      out += text.slice(start, i);
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** From an opening bracket at `open`, the index just past its matching close (strings skipped). */
export function matchBracket(text: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      i++;
      while (i < text.length && text[i] !== "'") i += text[i] === '\\' ? 2 : 1;
      continue;
    }
    if (pairs[c] !== undefined) stack.push(pairs[c]);
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`unbalanced bracket at ${open}`);
}

export interface Decl {
  kind: 'param' | 'var' | 'resource' | 'module' | 'output';
  name: string;
  /** param/output: the type; resource: 'Type@apiVersion'; module: the path. */
  type: string;
  /** Everything after `=` up to the end of the declaration (balanced), or '' for a param without default. */
  value: string;
  decorators: string[];
}

export interface BicepFile {
  path: string;
  rel: string;
  text: string;
  decls: Decl[];
}

const DECL =
  /^(param|var|resource|module|output)\s+([A-Za-z_][\w]*)\s*(?:'([^']*)'|([A-Za-z_][\w.]*(?:\[\])?))?\s*(?:existing\s*)?(=)?/;

export function parseBicep(path: string): BicepFile {
  const text = stripComments(readFileSync(path, 'utf8'));
  const decls: Decl[] = [];
  const lines = text.split('\n');
  let offset = 0;
  let decorators: string[] = [];
  const lineStarts: number[] = [];
  for (const l of lines) {
    lineStarts.push(offset);
    offset += l.length + 1;
  }
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    if (/^\s/.test(line) || line.trim() === '') continue; // only top-level declarations
    if (line.startsWith('@')) {
      const start = lineStarts[li]!;
      const paren = text.indexOf('(', start);
      const end = paren >= 0 && paren < start + line.length ? matchBracket(text, paren) : start + line.length;
      decorators.push(text.slice(start, end));
      while (li + 1 < lines.length && lineStarts[li + 1]! < end) li++;
      continue;
    }
    const m = DECL.exec(line);
    if (!m) {
      decorators = [];
      continue;
    }
    const [, kind, name, quoted, bare, eq] = m;
    let value = '';
    if (eq) {
      const start = lineStarts[li]! + line.indexOf('=', m[0].length - 1) + 1;
      // The value runs to the end of the line, extended over any bracket opened on it.
      let i = start;
      let end = lineStarts[li]! + line.length;
      while (i < end) {
        const c = text[i]!;
        if (c === "'") {
          i++;
          while (i < text.length && text[i] !== "'") i += text[i] === '\\' ? 2 : 1;
          i++;
          continue;
        }
        if (c === '{' || c === '[' || c === '(') {
          const close = matchBracket(text, i);
          if (close > end) end = text.indexOf('\n', close) < 0 ? text.length : text.indexOf('\n', close);
          i = close;
          continue;
        }
        i++;
      }
      value = text.slice(start, end).trim();
      while (li + 1 < lines.length && lineStarts[li + 1]! < end) li++;
    }
    decls.push({ kind: kind as Decl['kind'], name: name!, type: quoted ?? bare ?? '', value, decorators });
    decorators = [];
  }
  return { path, rel: relative(REPO_ROOT, path), text, decls };
}

export function decl(file: BicepFile, kind: Decl['kind'], name: string): Decl {
  const d = file.decls.find((x) => x.kind === kind && x.name === name);
  if (!d) throw new Error(`${file.rel}: no ${kind} ${name}`);
  return d;
}

/**
 * Entries of the top level of an object literal `{ ... }`: `key: value` separated by new lines (multi-line objects)
 * or commas (single-line objects), brackets and strings kept whole.
 */
export function objectEntries(body: string): Map<string, string> {
  const open = body.indexOf('{');
  if (open < 0) throw new Error(`not an object: ${body.slice(0, 60)}`);
  const close = matchBracket(body, open);
  const inner = body.slice(open + 1, close - 1);
  const parts: string[] = [];
  let start = 0;
  for (let j = 0; j < inner.length; j++) {
    const c = inner[j]!;
    if (c === "'") {
      j++;
      while (j < inner.length && inner[j] !== "'") j += inner[j] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') {
      j = matchBracket(inner, j) - 1;
      continue;
    }
    if (c === '\n' || c === ',') {
      parts.push(inner.slice(start, j));
      start = j + 1;
    }
  }
  parts.push(inner.slice(start));
  const out = new Map<string, string>();
  for (const part of parts) {
    const m = /^\s*(?:'([^']+)'|([A-Za-z_][\w]*))\s*:\s*([\s\S]*)$/.exec(part);
    if (m) out.set(m[1] ?? m[2]!, m[3]!.trim());
  }
  return out;
}

/** Resources declared in a file: symbol → { type, apiVersion, body }. */
export function resources(file: BicepFile): Array<{ name: string; type: string; apiVersion: string; value: string }> {
  return file.decls
    .filter((d) => d.kind === 'resource')
    .map((d) => {
      const [type, apiVersion] = d.type.split('@');
      return { name: d.name, type: type!, apiVersion: apiVersion ?? '', value: d.value };
    });
}

export const loadInfra = (): BicepFile[] => bicepFiles().map(parseBicep);
export const infraFile = (rel: string): BicepFile => parseBicep(join(INFRA, rel));
