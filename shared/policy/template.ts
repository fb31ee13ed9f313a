import { ValidationError } from '../errors';

/**
 * `{{name}}` placeholders in job parameters, args and env values. Names are dotted identifiers, e.g.
 * model.name, model.version, model.runId, trigger.kind, trigger.id, repo, commit, branch, drift.windowStart.
 * An unknown placeholder is an error naming it (never rendered as an empty string).
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function renderTemplate(text: string, vars: Readonly<Record<string, string>>, field = 'value'): string {
  const missing = placeholders(text).filter((p) => !Object.prototype.hasOwnProperty.call(vars, p));
  if (missing.length) {
    throw new ValidationError(
      'TEMPLATE_UNKNOWN_PLACEHOLDER',
      `${field}: unknown placeholder(s) ${missing.map((m) => `{{${m}}}`).join(', ')}`,
      {
        details: { field, missing, known: Object.keys(vars).sort() },
      },
    );
  }
  return text.replace(PLACEHOLDER, (_m, name: string) => vars[name]!);
}

export function renderRecord(
  values: Readonly<Record<string, string>>,
  vars: Readonly<Record<string, string>>,
  field: string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, renderTemplate(v, vars, `${field}.${k}`)]));
}

/** Shells whose `-c` argument is a script: placeholders in it are rendered quoted for where they stand. */
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh']);

export function isShell(command: string): boolean {
  const base = command.split(/[\\/]/).pop() ?? command;
  return SHELLS.has(base.replace(/\.exe$/i, '').toLowerCase());
}

/** Index in `args` of the script a shell runs with `-c` (also combined flags such as `-ec`), or -1. */
export function shellScriptIndex(command: string, args: readonly string[]): number {
  if (!isShell(command)) return -1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || !a.startsWith('-')) return -1;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) return i + 1 < args.length ? i + 1 : -1;
  }
  return -1;
}

export type QuoteContext = 'bare' | 'single' | 'double';

/** The quoting context of each placeholder of a shell script, in order (a small POSIX sh scanner). */
export function placeholderContexts(script: string): Array<{ name: string; context: QuoteContext; index: number }> {
  const out: Array<{ name: string; context: QuoteContext; index: number }> = [];
  let state: QuoteContext = 'bare';
  const stack: QuoteContext[] = [];
  for (let i = 0; i < script.length; i++) {
    PLACEHOLDER.lastIndex = i;
    const m = script[i] === '{' ? PLACEHOLDER.exec(script) : null;
    if (m && m.index === i) {
      out.push({ name: m[1]!, context: state, index: i });
      i += m[0].length - 1;
      continue;
    }
    const c = script[i];
    if (state === 'single') {
      if (c === "'") state = 'bare';
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    // $( ... ) starts a new bare context, also inside "..."; ( ... ) nests in a bare one.
    if (c === '$' && script[i + 1] === '(') {
      stack.push(state);
      state = 'bare';
      i++;
      continue;
    }
    if (state === 'double') {
      if (c === '"') state = 'bare';
      continue;
    }
    if (c === '(') stack.push('bare');
    else if (c === ')' && stack.length) state = stack.pop()!;
    else if (c === "'") state = 'single';
    else if (c === '"') state = 'double';
  }
  PLACEHOLDER.lastIndex = 0;
  return out;
}

/** Prefix of the variables that carry placeholder values into a shell script (see renderShellScript). */
export const SHELL_VAR_PREFIX = 'STAGECRAFT_TPL_';

function referenceFor(variable: string, context: QuoteContext): string {
  if (context === 'single') return `'"\${${variable}}"'`;
  if (context === 'double') return `\${${variable}}`;
  return `"\${${variable}}"`;
}

/**
 * Renders a shell script (`sh -c SCRIPT`) without ever putting a value into the script text: each placeholder
 * becomes a quoted reference to an environment variable that holds the value (bare → "${V}", inside "..." → ${V},
 * inside '...' → '"${V}"'). The shell never parses an expansion result as code, so no value can become shell
 * syntax, whatever it holds and wherever the placeholder stands (also inside $(...) or a here-document).
 */
export function renderShellScript(
  script: string,
  vars: Readonly<Record<string, string>>,
  field = 'value',
): { script: string; env: Record<string, string> } {
  renderTemplate(script, vars, field); // reports unknown placeholders the same way
  const env: Record<string, string> = {};
  const names = new Map<string, string>();
  let out = '';
  let last = 0;
  for (const p of placeholderContexts(script)) {
    const m = new RegExp(PLACEHOLDER.source, 'y');
    m.lastIndex = p.index;
    const hit = m.exec(script)!;
    let variable = names.get(p.name);
    if (variable === undefined) {
      variable = `${SHELL_VAR_PREFIX}${names.size + 1}`;
      names.set(p.name, variable);
      env[variable] = vars[p.name]!;
    }
    out += script.slice(last, p.index) + referenceFor(variable, p.context);
    last = p.index + hit[0].length;
  }
  return { script: out + script.slice(last), env };
}
