/**
 * Structured host log. One line per event: time, level, message, then key=value fields.
 * `DEVHOST_LOG_FORMAT=json` prints one JSON object per line instead.
 * Invariant: callers never pass secrets; values that look like keys/tokens are redacted anyway (`redact`).
 */
import type { HostLogger, HostLogLevel } from './types';
import { hostSetting } from './setting-names';

const LEVEL_ORDER: Record<HostLogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
};
const SHORT: Record<HostLogLevel, string> = {
  trace: 'trace',
  debug: 'debug',
  information: 'info ',
  warning: 'warn ',
  error: 'error',
  critical: 'crit ',
};
const SECRET_KEY = /(secret|password|sharedaccesskey|accountkey|token|signature|^code$|functions-key|authorization)/i;

export function parseLevel(value: string | undefined, fallback: HostLogLevel = 'information'): HostLogLevel {
  switch ((value ?? '').toLowerCase()) {
    case 'trace':
      return 'trace';
    case 'debug':
      return 'debug';
    case 'information':
    case 'info':
      return 'information';
    case 'warning':
    case 'warn':
      return 'warning';
    case 'error':
      return 'error';
    case 'critical':
      return 'critical';
    case 'none':
      return 'critical';
    default:
      return fallback;
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
  /** Per-category threshold (host.json `logging.logLevel`); overrides minLevel. `none` silences a category. */
  levelFor?: (category: string | undefined) => HostLogLevel | 'none';
  json?: boolean;
  write?: (line: string) => void;
}

/**
 * host.json `logging.logLevel` as .NET applies it: the longest configured category prefix (on a dot boundary) wins,
 * else `default`. Categories used by the host: `Function.<name>` (invocation lines), `Function.<name>.User` (the
 * function's own logs), `Host.*`/none (host lines). `defaultOverride` (DEVHOST_LOG_LEVEL) replaces `default` only.
 */
export function levelsFromHostJson(
  logLevel: unknown,
  defaultOverride?: string,
): (category: string | undefined) => HostLogLevel | 'none' {
  const entries = Object.entries(
    typeof logLevel === 'object' && logLevel !== null ? (logLevel as Record<string, unknown>) : {},
  )
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([k, v]) => [k.toLowerCase(), /^none$/i.test(v) ? 'none' : parseLevel(v)] as const);
  const configuredDefault = entries.find(([k]) => k === 'default')?.[1];
  const fallback: HostLogLevel | 'none' = defaultOverride
    ? parseLevel(defaultOverride)
    : (configuredDefault ?? 'information');
  const specific = entries.filter(([k]) => k !== 'default').sort((a, b) => b[0].length - a[0].length);
  return (category) => {
    if (!category) return fallback;
    const c = category.toLowerCase();
    return specific.find(([k]) => c === k || c.startsWith(k + '.'))?.[1] ?? fallback;
  };
}

/**
 * stdout writer that coalesces the lines of one event-loop turn into one write (a busy host logs several lines per
 * request; one syscall each dominated logging). Invariant: lines keep their order and are all written by the next
 * turn, and synchronously on process exit, so only a SIGKILL can lose the lines of the current turn.
 */
let pending: string[] = [];

/** Writes the lines still waiting for the end of this turn (the HTTP host calls it before answering, so a client
 * that got its response can already read the lines of that request). */
export function flushLogs(): void {
  if (pending.length === 0) return;
  const text = pending.join('\n') + '\n';
  pending = [];
  process.stdout.write(text);
}

function coalescingStdout(): (line: string) => void {
  process.on('exit', flushLogs);
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flushLogs);
  };
}

let sharedStdout: ((line: string) => void) | undefined;

export function createLogger(options: LoggerOptions = {}, fields: Record<string, unknown> = {}): HostLogger {
  const minLevel = options.minLevel ?? 'information';
  const levelFor = options.levelFor;
  const json = options.json ?? hostSetting(process.env, 'LOG_FORMAT') === 'json';
  const write = options.write ?? (sharedStdout ??= coalescingStdout());
  return {
    log(level, message, extra) {
      const all: Record<string, unknown> = { ...fields, ...extra };
      const threshold = levelFor
        ? levelFor(typeof all['category'] === 'string' ? all['category'] : undefined)
        : minLevel;
      if (threshold === 'none' || LEVEL_ORDER[level] < LEVEL_ORDER[threshold]) return;
      const time = new Date().toISOString();
      if (json) {
        const safe: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(all)) safe[k] = redact(k, v instanceof Error ? v.message : v);
        write(JSON.stringify({ time, level, message: redactString(message), ...safe }));
        return;
      }
      // The category only selects the level; function=/invocationId= already say where a line comes from.
      const parts = Object.entries(all)
        .filter(([k, v]) => v !== undefined && k !== 'category')
        .map(([k, v]) => `${k}=${formatValue(redact(k, v))}`);
      write(`[${time}] ${SHORT[level]} ${redactString(message)}${parts.length ? '  ' + parts.join(' ') : ''}`);
    },
    child(more) {
      return createLogger({ minLevel, ...(levelFor ? { levelFor } : {}), json, write }, { ...fields, ...more });
    },
  };
}
