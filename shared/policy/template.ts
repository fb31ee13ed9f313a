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
    throw new ValidationError('TEMPLATE_UNKNOWN_PLACEHOLDER', `${field}: unknown placeholder(s) ${missing.map((m) => `{{${m}}}`).join(', ')}`, {
      details: { field, missing, known: Object.keys(vars).sort() },
    });
  }
  return text.replace(PLACEHOLDER, (_m, name: string) => vars[name]!);
}

export function renderRecord(values: Readonly<Record<string, string>>, vars: Readonly<Record<string, string>>, field: string): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, renderTemplate(v, vars, `${field}.${k}`)]));
}
