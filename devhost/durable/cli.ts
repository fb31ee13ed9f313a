/**
 * `devhost instances list|show|raise|terminate|purge` for operators.
 *
 * - With `url` (a running host), every command goes through the durable HTTP API.
 * - Without it, `list` and `show` read the task hub's SQLite file under the state dir read-only; commands that
 *   change state need the running host (the engine owns the file and its in-memory view), and say so.
 * Exit codes: 0 ok, 1 failure (not found, HTTP error), 2 usage error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hostSetting } from '../host/setting-names';
import { readHostJson } from '../host/settings';
import { hubDbPath, hubNameOf } from './extension';
import { statusJson, toSecondIso } from './status';
import { SqliteStore, type InstanceQuery } from './store';
import { ALL_STATUSES, type InstanceRow, type RuntimeStatusName } from './types';

/** The usage text, for the CLI named `program` (`devhost`, or the app CLI that composes it). */
export function instancesUsage(program = 'devhost'): string {
  return `Usage: ${program} instances <command> [options]

Commands:
  list [--status Running,Failed] [--prefix ID] [--top N] [--json]
  show <instanceId> [--history] [--json]
  raise <instanceId> <eventName> [JSON data]
  terminate <instanceId> [--reason TEXT]
  purge <instanceId>

Options: --url http://127.0.0.1:7071 talks to a running host (required for raise, terminate, purge);
         without it, list and show read <state>/durable/<hub>.db.
         --master-key KEY: the host's master key for the Durable HTTP API (default: DEVHOST_MASTER_KEY, else
         <state>/keys.json, where the local host keeps the key it prints at start-up).
`;
}

type Flags = Record<string, string | boolean | undefined>;

interface Parsed {
  positionals: string[];
  flags: Flags;
}

function parse(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        status: { type: 'string' },
        prefix: { type: 'string' },
        top: { type: 'string' },
        json: { type: 'boolean' },
        history: { type: 'boolean' },
        reason: { type: 'string' },
        url: { type: 'string' },
        'master-key': { type: 'string' },
        // Resolved by the caller into opts.appDir / opts.stateDir; accepted here so raw argv can be passed through.
        app: { type: 'string' },
        state: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { positionals: parsed.positionals, flags: parsed.values };
}

class UsageError extends Error {}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function statusesFlag(v: string | boolean | undefined): RuntimeStatusName[] | undefined {
  if (typeof v !== 'string') return undefined;
  return v.split(',').map((raw) => {
    const m = ALL_STATUSES.find((s) => s.toLowerCase() === raw.trim().toLowerCase());
    if (!m) throw new UsageError(`--status: unknown status "${raw}" (use ${ALL_STATUSES.join(', ')})`);
    return m;
  });
}

function table(rows: Array<Record<string, unknown>>): string {
  if (!rows.length) return 'No instances.';
  const cols = ['instanceId', 'name', 'runtimeStatus', 'createdTime', 'lastUpdatedTime'];
  const cells = rows.map((r) => cols.map((c) => (typeof r[c] === 'string' ? r[c] : JSON.stringify(r[c] ?? ''))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols), ...cells.map(line)].join('\n');
}

/** The master key the durable API needs: flag, DEVHOST_MASTER_KEY, or the state dir's keys.json. */
function masterKey(flags: Flags, stateDir: string): string | undefined {
  if (typeof flags['master-key'] === 'string') return flags['master-key'];
  const env = hostSetting(process.env, 'MASTER_KEY');
  if (env) return env;
  const file = join(stateDir, 'keys.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { masterKey?: string }).masterKey;
  } catch {
    return undefined;
  }
}

let apiKey: string | undefined;

async function http(
  url: string,
  method: string,
  body?: string,
): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (apiKey) headers['x-functions-key'] = apiKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  if (res.status === 401)
    throw new Error(
      `The host refused the Durable HTTP API key (HTTP 401): pass --master-key, set DEVHOST_MASTER_KEY, or use the --state dir of the running host`,
    );
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

function apiBase(url: string): string {
  return `${url.replace(/\/+$/, '')}/runtime/webhooks/durabletask`;
}

function openStore(opts: { appDir: string; stateDir: string }): SqliteStore {
  const hub = hubNameOf(readHostJson(opts.appDir));
  const path = hubDbPath(opts.stateDir, hub);
  if (!existsSync(path))
    throw new Error(
      `No task hub database at ${path}: the host has not run durable functions with this state dir yet (or pass --url of a running host)`,
    );
  return new SqliteStore(path, { readonly: true });
}

export async function instancesCommand(
  argv: string[],
  opts: { appDir: string; stateDir: string; url?: string; program?: string },
): Promise<number> {
  const program = opts.program ?? 'devhost';
  const usage = instancesUsage(program);
  const [command, ...rest] = argv;
  try {
    const { positionals, flags } = parse(rest);
    const url = typeof flags['url'] === 'string' ? flags['url'] : opts.url;
    apiKey = url ? masterKey(flags, opts.stateDir) : undefined;
    switch (command) {
      case 'list':
        return await list(flags, url, opts);
      case 'show':
        return await show(positionals, flags, url, opts);
      case 'raise':
      case 'terminate':
      case 'purge':
        if (!url)
          throw new UsageError(
            `"instances ${command}" changes state, so it needs the running host: pass --url http://127.0.0.1:<port>`,
          );
        return await mutate(command, positionals, flags, url, program);
      case undefined:
      case 'help':
      case '--help':
        out(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown instances command "${command}".`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${usage}`);
      return 2;
    }
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
}

async function list(
  flags: Flags,
  url: string | undefined,
  opts: { appDir: string; stateDir: string },
): Promise<number> {
  const statuses = statusesFlag(flags['status']);
  const prefix = typeof flags['prefix'] === 'string' ? flags['prefix'] : undefined;
  const top = typeof flags['top'] === 'string' ? Number(flags['top']) : 100;
  if (!Number.isInteger(top) || top < 1) throw new UsageError('--top must be a positive whole number');
  let rows: Array<Record<string, unknown>>;
  if (url) {
    const q = new URLSearchParams({ top: String(top) });
    if (statuses) q.set('runtimeStatus', statuses.join(','));
    if (prefix) q.set('instanceIdPrefix', prefix);
    const r = await http(`${apiBase(url)}/instances/?${q.toString()}`, 'GET');
    if (r.status !== 200) throw new Error(`Listing failed: HTTP ${r.status} ${r.text}`);
    rows = r.json as Array<Record<string, unknown>>;
  } else {
    const store = openStore(opts);
    try {
      const query: InstanceQuery = {
        limit: top,
        ...(statuses ? { statuses } : {}),
        ...(prefix ? { instanceIdPrefix: prefix } : {}),
      };
      rows = store.queryInstances(query).map((r: InstanceRow) => statusJson(r, { showInput: false }));
    } finally {
      store.close();
    }
  }
  out(flags['json'] ? JSON.stringify(rows, null, 2) : table(rows));
  return 0;
}

async function show(
  positionals: string[],
  flags: Flags,
  url: string | undefined,
  opts: { appDir: string; stateDir: string },
): Promise<number> {
  const id = positionals[0];
  if (!id) throw new UsageError('instances show needs an instance id');
  const withHistory = flags['history'] === true;
  let body: Record<string, unknown> | undefined;
  if (url) {
    const r = await http(
      `${apiBase(url)}/instances/${encodeURIComponent(id)}?showInput=true${withHistory ? '&showHistory=true&showHistoryOutput=true' : ''}`,
      'GET',
    );
    if (r.status === 404) {
      process.stderr.write(`No instance with ID '${id}' found\n`);
      return 1;
    }
    if (r.status !== 200 && r.status !== 202) throw new Error(`Status failed: HTTP ${r.status} ${r.text}`);
    body = r.json as Record<string, unknown>;
  } else {
    const store = openStore(opts);
    try {
      const row = store.getInstance(id);
      if (row) {
        const history = withHistory ? store.loadHistory(id) : undefined;
        body = statusJson(row, { showInput: true, showHistoryOutput: true, ...(history ? { history } : {}) });
      }
    } finally {
      store.close();
    }
    if (!body) {
      process.stderr.write(`No instance with ID '${id}' found\n`);
      return 1;
    }
  }
  if (flags['json']) out(JSON.stringify(body, null, 2));
  else {
    delete body['history'];
    const { historyEvents, ...summary } = body;
    out(
      Object.entries(summary)
        .map(([k, v]) => `${k.padEnd(16)}${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join('\n'),
    );
    if (Array.isArray(historyEvents)) {
      out('\nhistory:');
      for (const e of historyEvents as Array<Record<string, unknown>>) {
        const { EventType: type, Timestamp: ts, ...restFields } = e;
        const when = typeof ts === 'string' ? toSecondIso(Date.parse(ts)) : '';
        out(`  ${when}  ${String(type).padEnd(34)} ${JSON.stringify(restFields)}`);
      }
    }
  }
  return 0;
}

async function mutate(
  command: 'raise' | 'terminate' | 'purge',
  positionals: string[],
  flags: Flags,
  url: string,
  program: string,
): Promise<number> {
  const id = positionals[0];
  if (!id) throw new UsageError(`instances ${command} needs an instance id`);
  const base = `${apiBase(url)}/instances/${encodeURIComponent(id)}`;
  let r: Awaited<ReturnType<typeof http>>;
  if (command === 'raise') {
    const name = positionals[1];
    if (!name) throw new UsageError('instances raise needs an event name');
    const data = positionals[2] ?? 'null';
    try {
      JSON.parse(data);
    } catch {
      throw new UsageError(`Event data must be JSON (got ${data}); quote strings, e.g. '"yes"'`);
    }
    r = await http(`${base}/raiseEvent/${encodeURIComponent(name)}`, 'POST', data);
  } else if (command === 'terminate') {
    const reason = typeof flags['reason'] === 'string' ? flags['reason'] : `Terminated with the ${program} CLI`;
    r = await http(`${base}/terminate?reason=${encodeURIComponent(reason)}`, 'POST');
  } else r = await http(base, 'DELETE');
  if (r.status === 202 || r.status === 200) {
    out(command === 'purge' ? `Purged ${id}` : command === 'raise' ? `Raised event on ${id}` : `Terminating ${id}`);
    return 0;
  }
  const message = (r.json as { message?: string } | undefined)?.message ?? r.text;
  process.stderr.write(`${command} ${id} failed: HTTP ${r.status} ${message}\n`);
  return 1;
}
