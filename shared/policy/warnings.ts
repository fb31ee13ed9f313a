import { isPlainObject } from './merge';
import type { Policy } from './parse';
import { formatPath } from './path';
import { isShell, placeholderContexts, placeholders, shellScriptIndex } from './template';

/**
 * Warnings `policy check` prints for a valid policy: things that run, but are risky. Pure: walks the parsed file
 * (defaults and model entries raw, as written), so each warning names where the text is written.
 */
const SHELL_META = /[;&|`$<>\n]/;
/** Interpreters whose flag runs the next argument as code: a placeholder there is code, not data. */
const INLINE_CODE: Record<string, RegExp> = {
  python: /^-c$/,
  python3: /^-c$/,
  node: /^-(e|p|-eval|-print)$/,
  perl: /^-[eE]$/,
  ruby: /^-e$/,
  pwsh: /^-(c|Command)$/i,
  powershell: /^-(c|Command)$/i,
};

function basename(command: string): string {
  return (command.split(/[\\/]/).pop() ?? command).replace(/\.exe$/i, '').toLowerCase();
}

function withoutPlaceholders(text: string): string {
  return text.replace(/\{\{\s*[A-Za-z_][A-Za-z0-9_.-]*\s*\}\}/g, '');
}

function jobWarnings(job: Record<string, unknown>, at: string, out: string[]): void {
  if (job['runner'] !== 'local' || typeof job['command'] !== 'string') return;
  const command = job['command'];
  const args = Array.isArray(job['args']) ? job['args'].filter((a): a is string => typeof a === 'string') : [];
  const script = shellScriptIndex(command, args);
  if (placeholders(command).length)
    out.push(`${at}.command: a {{placeholder}} chooses the program to run; write the command literally`);
  else if (/[\s;&|`$<>]/.test(command))
    out.push(
      `${at}.command: looks like a shell command line, but it is one program path run without a shell; put arguments in args (or use sh -c)`,
    );
  if (script >= 0) {
    const bare = placeholderContexts(args[script]!)
      .filter((p) => p.context === 'bare')
      .map((p) => `{{${p.name}}}`);
    if (bare.length)
      out.push(
        `${at}.args[${script}]: unquoted ${bare.join(', ')} in a shell script; Stagecraft passes values as quoted variable references, but write "${bare[0]}" so the script reads as it runs`,
      );
  }
  const code = INLINE_CODE[basename(command)];
  args.forEach((a, i) => {
    if (i === script || placeholders(a).length === 0) return;
    if (code && i > 0 && code.test(args[i - 1]!)) {
      out.push(
        `${at}.args[${i}]: ${placeholders(a)
          .map((p) => `{{${p}}}`)
          .join(
            ', ',
          )} inside ${basename(command)} inline code becomes code, not data; pass values as parameters instead`,
      );
    } else if (!isShell(command) && SHELL_META.test(withoutPlaceholders(a))) {
      out.push(
        `${at}.args[${i}]: shell syntax with {{placeholders}}, but no shell runs it (values are passed as one literal argument); use sh -c with quoted placeholders or parameters`,
      );
    }
  });
}

function approvalWarnings(a: Record<string, unknown>, at: string, out: string[]): void {
  if (a['onDeadline'] === 'approve')
    out.push(`${at}.onDeadline: approve promotes without a human decision when the deadline passes`);
  if (a['required'] === false) return;
  const approvers = isPlainObject(a['approvers']) ? a['approvers'] : undefined;
  if (!approvers) return;
  const users = Array.isArray(approvers['users'])
    ? new Set(approvers['users'].map((u) => String(u).toLowerCase())).size
    : 0;
  const groups = Array.isArray(approvers['groups']) ? approvers['groups'].length : 0;
  const min = typeof a['minApprovals'] === 'number' ? a['minApprovals'] : 1;
  if (users + groups === 0) out.push(`${at}.approvers: approval is required but the approver set is empty`);
  else if (groups === 0 && users < min)
    out.push(`${at}.minApprovals: ${min} approvals needed but only ${users} user(s) can approve`);
}

/** Walks every object in the file; job definitions and approval sections are recognised by shape and key. */
export function policyWarnings(policy: Policy): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: Array<string | number>): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, [...path, i]));
      return;
    }
    if (!isPlainObject(node)) return;
    const at = formatPath(path);
    if (node['runner'] === 'local') jobWarnings(node, at, out);
    if (path[path.length - 1] === 'approval') approvalWarnings(node, at, out);
    for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  const { source: _source, ...file } = policy;
  walk(file, []);
  return out;
}
