/**
 * The SQL filter subset of Service Bus subscription rules: tokenizer, recursive-descent parser, evaluator.
 *
 * Supported: `=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`; `AND`, `OR`, `NOT`; `[NOT] IN (...)`; `[NOT] LIKE 'p' [ESCAPE 'c']`;
 * `IS [NOT] NULL`; `EXISTS(prop)`; `+ - * / %`; parentheses; string ('' escapes), integer, decimal, exponent,
 * TRUE/FALSE/NULL literals; `sys.<Name>` system properties, `user.<name>`/bare names for application properties,
 * `[bracketed names]`; the functions Azure documents, `newid()` and `property(name)`. Rule actions (`SET p = expr`,
 * `REMOVE p`, separated by `;` or `,`) use the same expressions. Anything else (other functions, `sys.` names that
 * do not exist or cannot be set) is refused at compile time with a SqlFilterError, so a rule is never silently
 * matched or skipped.
 *
 * Semantics (SQL-92 three-valued logic as Service Bus documents it): a comparison with a missing property or NULL
 * is UNKNOWN; `NOT UNKNOWN` is UNKNOWN; a rule matches only when the expression is TRUE. Strings compare
 * case-sensitively; a number compared with a string is UNKNOWN.
 */
import { randomUUID } from 'node:crypto';
import { SETTABLE_SYS, userProperty, type FilterMessage } from './filter-message';

export type CompiledFilter = (m: FilterMessage) => boolean;
/** Applies a rule action to a view of the message (mutates `sys` / `user`). */
export type CompiledAction = (m: FilterMessage) => void;

export class SqlFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlFilterError';
  }
}

type Tok =
  | { t: 'num'; v: number; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'id'; v: string; bracketed: boolean; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'eof'; at: number };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ESCAPE', 'IS', 'NULL', 'TRUE', 'FALSE', 'EXISTS']);

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new SqlFilterError(`unterminated string starting at position ${at}`);
        const ch = src[i] as string;
        if (ch === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += ch;
        i++;
      }
      out.push({ t: 'str', v: s, at });
      continue;
    }
    if (c === '[') {
      const end = src.indexOf(']', i);
      if (end < 0) throw new SqlFilterError(`unterminated [name] at position ${at}`);
      out.push({ t: 'id', v: src.slice(i + 1, end), bracketed: true, at });
      i = end + 1;
      continue;
    }
    const num = /^(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num && /[0-9.]/.test(c)) {
      out.push({ t: 'num', v: Number(num[1]), at });
      i += (num[1] as string).length;
      continue;
    }
    const id = /^[A-Za-z_@$][A-Za-z0-9_@$]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], bracketed: false, at });
      i += id[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '<>' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ t: 'op', v: two, at });
      i += 2;
      continue;
    }
    if ('=<>()+-*/%,.;'.includes(c)) {
      out.push({ t: 'op', v: c, at });
      i++;
      continue;
    }
    throw new SqlFilterError(`unexpected character '${c}' at position ${at}`);
  }
  out.push({ t: 'eof', at: src.length });
  return out;
}

/** AST */
type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'prop'; scope: 'sys' | 'user'; name: string }
  | { k: 'and' | 'or'; a: Node; b: Node }
  | { k: 'not'; a: Node }
  | { k: 'cmp'; op: string; a: Node; b: Node }
  | { k: 'arith'; op: string; a: Node; b: Node }
  | { k: 'neg'; a: Node }
  | { k: 'isnull'; a: Node; negate: boolean }
  | { k: 'in'; a: Node; list: Node[]; negate: boolean }
  | { k: 'like'; a: Node; re: RegExp; negate: boolean }
  | { k: 'exists'; p: Node & { k: 'prop' } }
  | { k: 'newid' }
  | { k: 'property'; name: Node };

type Statement = { k: 'set'; p: Node & { k: 'prop' }; e: Node } | { k: 'remove'; p: Node & { k: 'prop' } };

const SYS_PROPS = new Set([
  'messageid',
  'correlationid',
  'label',
  'subject',
  'to',
  'replyto',
  'contenttype',
  'sessionid',
  'replytosessionid',
  'timetolive',
  'deliverycount',
  'sequencenumber',
  'enqueuedtimeutc',
  'scheduledenqueuetimeutc',
  'partitionkey',
]);

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos] as Tok;
  }
  private next(): Tok {
    return this.toks[this.pos++] as Tok;
  }
  private isKw(kw: string, tok: Tok = this.peek()): boolean {
    return tok.t === 'id' && !tok.bracketed && tok.v.toUpperCase() === kw;
  }
  private isOp(op: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === op;
  }
  private expectOp(op: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== op) throw new SqlFilterError(`expected '${op}' at position ${t.at}`);
  }
  private expectKw(kw: string): void {
    const t = this.next();
    if (!this.isKw(kw, t)) throw new SqlFilterError(`expected ${kw} at position ${t.at}`);
  }

  /** Rule action: SET / REMOVE statements separated by ';' or ','. */
  actions(): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      while (this.isOp(';') || this.isOp(',')) this.next();
      const t = this.peek();
      if (t.t === 'eof') break;
      if (this.isKw('SET')) {
        this.next();
        const p = this.target();
        this.expectOp('=');
        out.push({ k: 'set', p, e: this.additive() });
      } else if (this.isKw('REMOVE')) {
        this.next();
        out.push({ k: 'remove', p: this.target() });
      } else {
        throw new SqlFilterError(`expected SET or REMOVE at position ${t.at}`);
      }
      const after = this.peek();
      if (after.t !== 'eof' && !this.isOp(';') && !this.isOp(','))
        throw new SqlFilterError(`unexpected ${describe(after)} at position ${after.at}`);
    }
    if (out.length === 0) throw new SqlFilterError('action is empty');
    if (out.length > 32) throw new SqlFilterError('an action may have at most 32 statements');
    return out;
  }

  private target(): Node & { k: 'prop' } {
    const at = this.peek().at;
    const p = this.primary();
    if (p.k !== 'prop') throw new SqlFilterError(`SET and REMOVE need a property name (position ${at})`);
    if (p.scope === 'sys' && !SETTABLE_SYS.has(p.name))
      throw new SqlFilterError(`system property sys.${p.name} cannot be changed by an action (position ${at})`);
    return p;
  }

  parse(): Node {
    const n = this.or();
    const t = this.peek();
    if (t.t !== 'eof') throw new SqlFilterError(`unexpected ${describe(t)} at position ${t.at}`);
    return n;
  }
  private or(): Node {
    let a = this.and();
    while (this.isKw('OR')) {
      this.next();
      a = { k: 'or', a, b: this.and() };
    }
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.isKw('AND')) {
      this.next();
      a = { k: 'and', a, b: this.not() };
    }
    return a;
  }
  private not(): Node {
    if (this.isKw('NOT')) {
      this.next();
      return { k: 'not', a: this.not() };
    }
    return this.predicate();
  }
  private predicate(): Node {
    if (this.isKw('EXISTS')) {
      this.next();
      this.expectOp('(');
      const p = this.primary();
      if (p.k !== 'prop') throw new SqlFilterError('EXISTS takes a property name');
      this.expectOp(')');
      return { k: 'exists', p };
    }
    const a = this.additive();
    const t = this.peek();
    if (t.t === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      return { k: 'cmp', op: t.v === '!=' ? '<>' : t.v, a, b: this.additive() };
    }
    if (this.isKw('IS')) {
      this.next();
      let negate = false;
      if (this.isKw('NOT')) {
        this.next();
        negate = true;
      }
      this.expectKw('NULL');
      return { k: 'isnull', a, negate };
    }
    let negate = false;
    if (this.isKw('NOT')) {
      this.next();
      negate = true;
      if (!this.isKw('IN') && !this.isKw('LIKE'))
        throw new SqlFilterError(`expected IN or LIKE after NOT at position ${this.peek().at}`);
    }
    if (this.isKw('IN')) {
      this.next();
      this.expectOp('(');
      const list: Node[] = [this.additive()];
      while (this.isOp(',')) {
        this.next();
        list.push(this.additive());
      }
      this.expectOp(')');
      return { k: 'in', a, list, negate };
    }
    if (this.isKw('LIKE')) {
      this.next();
      const p = this.next();
      if (p.t !== 'str') throw new SqlFilterError(`LIKE needs a string pattern at position ${p.at}`);
      let escape: string | undefined;
      if (this.isKw('ESCAPE')) {
        this.next();
        const e = this.next();
        if (e.t !== 'str' || e.v.length !== 1)
          throw new SqlFilterError(`ESCAPE needs a one-character string at position ${e.at}`);
        escape = e.v;
      }
      return { k: 'like', a, re: likeToRegExp(p.v, escape), negate };
    }
    return a;
  }
  private additive(): Node {
    let a = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.next() as { v: string }).v;
      a = { k: 'arith', op, a, b: this.multiplicative() };
    }
    return a;
  }
  private multiplicative(): Node {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = (this.next() as { v: string }).v;
      a = { k: 'arith', op, a, b: this.unary() };
    }
    return a;
  }
  private unary(): Node {
    if (this.isOp('-')) {
      this.next();
      return { k: 'neg', a: this.unary() };
    }
    if (this.isOp('+')) {
      this.next();
      return this.unary();
    }
    return this.primary();
  }
  private primary(): Node {
    const t = this.next();
    if (t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const n = this.or();
      this.expectOp(')');
      return n;
    }
    if (t.t === 'id') {
      if (!t.bracketed) {
        const up = t.v.toUpperCase();
        if (up === 'TRUE') return { k: 'lit', v: true };
        if (up === 'FALSE') return { k: 'lit', v: false };
        if (up === 'NULL') return { k: 'lit', v: null };
        if (KEYWORDS.has(up)) throw new SqlFilterError(`unexpected keyword ${up} at position ${t.at}`);
      }
      if (this.isOp('(') && !t.bracketed) {
        const fn = t.v.toLowerCase();
        this.next();
        if (fn === 'newid') {
          this.expectOp(')');
          return { k: 'newid' };
        }
        if (fn === 'property') {
          const name = this.additive();
          this.expectOp(')');
          return { k: 'property', name };
        }
        throw new SqlFilterError(
          `function ${t.v}() is not supported; Service Bus SQL has newid() and property(name) (position ${t.at})`,
        );
      }
      if (this.isOp('.')) {
        this.next();
        const n = this.next();
        if (n.t !== 'id') throw new SqlFilterError(`expected a property name after '${t.v}.' at position ${n.at}`);
        const scope = t.v.toLowerCase();
        if (scope === 'sys') {
          const name = n.v.toLowerCase();
          if (!SYS_PROPS.has(name)) throw new SqlFilterError(`unknown system property sys.${n.v} (position ${n.at})`);
          return { k: 'prop', scope: 'sys', name };
        }
        if (scope === 'user') return { k: 'prop', scope: 'user', name: n.v };
        throw new SqlFilterError(`unknown scope '${t.v}' at position ${t.at} (use sys. or user.)`);
      }
      return { k: 'prop', scope: 'user', name: t.v };
    }
    throw new SqlFilterError(`unexpected ${describe(t)} at position ${t.at}`);
  }
}

function describe(t: Tok): string {
  return t.t === 'eof' ? 'end of expression' : `'${String(t.v)}'`;
}

function likeToRegExp(pattern: string, escape: string | undefined): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (escape !== undefined && c === escape) {
      const n = pattern[i + 1];
      if (n === undefined) throw new SqlFilterError(`LIKE pattern '${pattern}' ends with the escape character`);
      re += n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** null/undefined = UNKNOWN in three-valued logic. */
type Tri = boolean | null;

function normalize(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return v;
}

function value(n: Node, m: FilterMessage): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'prop':
      return normalize(n.scope === 'sys' ? m.sys[n.name] : userProperty(m.user, n.name).value);
    case 'newid':
      return randomUUID();
    case 'property': {
      // property('sys.Label'), property('user.x') or property('x'); a non-string or unknown name is NULL.
      const name = value(n.name, m);
      if (typeof name !== 'string') return null;
      const dot = name.indexOf('.');
      const scope = dot > 0 ? name.slice(0, dot).toLowerCase() : '';
      if (scope === 'sys') return normalize(m.sys[name.slice(dot + 1).toLowerCase()]);
      return normalize(userProperty(m.user, scope === 'user' ? name.slice(dot + 1) : name).value);
    }
    case 'neg': {
      const v = value(n.a, m);
      return typeof v === 'number' ? -v : null;
    }
    case 'arith': {
      const a = value(n.a, m);
      const b = value(n.b, m);
      if (n.op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
      if (typeof a !== 'number' || typeof b !== 'number') return null;
      switch (n.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b === 0 ? null : a / b;
        default:
          return b === 0 ? null : a % b;
      }
    }
    default:
      return truth(n, m);
  }
}

function compare(op: string, a: unknown, b: unknown): Tri {
  if (a === null || b === null) return null;
  const bothNum = typeof a === 'number' && typeof b === 'number';
  const bothStr = typeof a === 'string' && typeof b === 'string';
  const bothBool = typeof a === 'boolean' && typeof b === 'boolean';
  if (!bothNum && !bothStr && !bothBool) return null;
  if (bothBool && op !== '=' && op !== '<>') return null;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '=':
      return x === y;
    case '<>':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function truth(n: Node, m: FilterMessage): Tri {
  switch (n.k) {
    case 'and': {
      const a = truth(n.a, m);
      if (a === false) return false;
      const b = truth(n.b, m);
      if (b === false) return false;
      return a === true && b === true ? true : null;
    }
    case 'or': {
      const a = truth(n.a, m);
      if (a === true) return true;
      const b = truth(n.b, m);
      if (b === true) return true;
      return a === false && b === false ? false : null;
    }
    case 'not': {
      const a = truth(n.a, m);
      return a === null ? null : !a;
    }
    case 'cmp':
      return compare(n.op, value(n.a, m), value(n.b, m));
    case 'isnull': {
      const isNull = value(n.a, m) === null;
      return n.negate ? !isNull : isNull;
    }
    case 'in': {
      const a = value(n.a, m);
      if (a === null) return null;
      let unknown = false;
      for (const item of n.list) {
        const r = compare('=', a, value(item, m));
        if (r === true) return !n.negate;
        if (r === null) unknown = true;
      }
      return unknown ? null : n.negate;
    }
    case 'like': {
      const a = value(n.a, m);
      if (typeof a !== 'string') return null;
      const r = n.re.test(a);
      return n.negate ? !r : r;
    }
    case 'exists':
      return n.p.scope === 'sys'
        ? m.sys[n.p.name] !== undefined && m.sys[n.p.name] !== null
        : userProperty(m.user, n.p.name).found;
    default: {
      const v = value(n, m);
      return typeof v === 'boolean' ? v : null;
    }
  }
}

/** Compile a rule action (`SET p = expr; REMOVE q`); throws SqlFilterError naming the unsupported construct. */
export function compileSqlAction(text: string): CompiledAction {
  if (text.length > 1024) throw new SqlFilterError('action is longer than 1024 characters');
  const statements = new Parser(tokenize(text)).actions();
  return (m) => {
    for (const st of statements) {
      const v = st.k === 'set' ? value(st.e, m) : undefined;
      if (st.p.scope === 'sys') {
        const keys = st.p.name === 'label' || st.p.name === 'subject' ? ['label', 'subject'] : [st.p.name];
        for (const k of keys) m.sys[k] = st.k === 'set' ? v : undefined;
        continue;
      }
      // User properties are matched case-insensitively, as in filters: SET updates the existing key.
      const existing = Object.keys(m.user).find((k) => k.toLowerCase() === st.p.name.toLowerCase());
      if (st.k === 'remove') {
        if (existing !== undefined) delete m.user[existing];
      } else {
        m.user[existing ?? st.p.name] = v;
      }
    }
  };
}

/** Compile a SQL filter expression; throws SqlFilterError naming the unsupported construct. */
export function compileSqlFilter(text: string): CompiledFilter {
  if (text.length > 1024) throw new SqlFilterError('filter is longer than 1024 characters');
  if (text.trim() === '') throw new SqlFilterError('filter is empty');
  const ast = new Parser(tokenize(text)).parse();
  return (m) => truth(ast, m) === true;
}
