/**
 * Correlation filters: every set field must equal the message's value exactly (strings are compared
 * case-sensitively, as on Azure); `Properties` entries must equal the application property of that name.
 */
import type { CompiledFilter } from './sql-filter';
import { userProperty, type FilterMessage } from './filter-message';

export interface CorrelationFilterSpec {
  ContentType?: string | undefined;
  CorrelationId?: string | undefined;
  Label?: string | undefined;
  MessageId?: string | undefined;
  ReplyTo?: string | undefined;
  ReplyToSessionId?: string | undefined;
  SessionId?: string | undefined;
  To?: string | undefined;
  Properties?: Record<string, string | number | boolean> | undefined;
}

const SYS: Array<[keyof CorrelationFilterSpec, string]> = [
  ['ContentType', 'contenttype'],
  ['CorrelationId', 'correlationid'],
  ['Label', 'label'],
  ['MessageId', 'messageid'],
  ['ReplyTo', 'replyto'],
  ['ReplyToSessionId', 'replytosessionid'],
  ['SessionId', 'sessionid'],
  ['To', 'to'],
];

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'string' && typeof b === 'number') return Number(a) === b && a.trim() !== '';
  return a === b;
}

export function compileCorrelationFilter(spec: CorrelationFilterSpec): CompiledFilter {
  const sysChecks: Array<[string, string]> = [];
  for (const [field, key] of SYS) {
    const v = spec[field];
    if (typeof v === 'string') sysChecks.push([key, v]);
  }
  const propChecks = Object.entries(spec.Properties ?? {});
  return (m: FilterMessage): boolean => {
    for (const [key, want] of sysChecks) if (m.sys[key] !== want) return false;
    for (const [name, want] of propChecks) {
      const got = userProperty(m.user, name);
      if (!got.found || !same(got.value, want)) return false;
    }
    return true;
  };
}
