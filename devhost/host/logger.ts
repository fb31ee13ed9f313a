/**
 * Structured host log. One line per event: time, level, message, then key=value fields.
 * `STAGECRAFT_LOG_FORMAT=json` prints one JSON object per line instead.
 * Invariant: callers never pass secrets; values that look like keys/tokens are redacted anyway (`redact`).
 */
import type { HostLogger, HostLogLevel } from './types';

const LEVEL_ORDER: Record<HostLogLevel, number> = { trace: 0, debug: 1, information: 2, warning: 3, error: 4, critical: 5 };
const SHORT: Record<HostLogLevel, string> = { trace: 'trace', debug: 'debug', information: 'info ', warning: 'warn ', error: 'error', critical: 'crit ' };
const SECRET_KEY = /(secret|password|sharedaccesskey|accountkey|token|signature|^code$|functions-key|authorization)/i;

export function parseLevel(value: string | undefined, fallback: HostLogLevel = 'information'): HostLogLevel {
  switch ((value ?? '').toLowerCase()) {
    case 'trace': return 'trace';
    case 'debug': return 'debug';
    case 'information': case 'info': return 'information';
    case 'warning': case 'warn': return 'warning';
    case 'error': return 'error';
    case 'critical': return 'critical';
    case 'none': return 'critical';
    default: return fallback;
  }
}

/** Replaces values of secret-looking fields and `SharedAccessKey=...`/`AccountKey=...` fragments in strings. */
export function redact(key: string, value: unknown): unknown {
  if (SECRET_KEY.test(key)) return '[redacted]';
  if (typeof value === 'string') return redactString(value);
  return value;
}

export function redactString(s: string): string {
  return s.replace(/(SharedAccessKey|AccountKey|SharedAccessSignature|sig)=([^;&\s]+)/gi, '$1=[redacted]');
}

function formatValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v);
}

export interface LoggerOptions {
  minLevel?: HostLogLevel;
  json?: boolean;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, fields: Record<string, unknown> = {}): HostLogger {
  const minLevel = options.minLevel ?? 'information';
  const json = options.json ?? process.env['STAGECRAFT_LOG_FORMAT'] === 'json';
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  return {
    log(level, message, extra) {
      if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return;
      const all: Record<string, unknown> = { ...fields, ...extra };
      const time = new Date().toISOString();
      if (json) {
        const safe: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(all)) safe[k] = redact(k, v instanceof Error ? v.message : v);
        write(JSON.stringify({ time, level, message: redactString(message), ...safe }));
        return;
      }
      const parts = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${formatValue(redact(k, v))}`);
      write(`[${time}] ${SHORT[level]} ${redactString(message)}${parts.length ? '  ' + parts.join(' ') : ''}`);
    },
    child(more) {
      return createLogger({ minLevel, json, write }, { ...fields, ...more });
    },
  };
}
