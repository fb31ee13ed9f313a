/**
 * Operator commands that talk to a running Stagecraft host over its HTTP API (or read its files).
 * Where to reach it: `--url` or `STAGECRAFT_URL` (default http://127.0.0.1:7071). Key: `--key`, `STAGECRAFT_KEY`,
 * or the default function key from `<state>/keys.json` of a local host (sent as `x-functions-key`). Identity:
 * `--identity-key` or `STAGECRAFT_IDENTITY_KEY` (sent as `x-stagecraft-key`; never in the query string).
 * Each command parses its own options with node:util parseArgs; a usage error exits 2 and names the problem.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { splitCommonOptions, type CliContext } from '../devhost/cli';
import { policyCheck } from '../shared/policy/check';
import { retrainCommand } from '../shared/retraining/cli';
import { runsCommand } from '../shared/runs/cli';

/** The options every operator command takes (besides devhost's `--app`, `--state`). */
const COMMON = ['app', 'state', 'url', 'key', 'identity-key'];

export interface OpsContext {
  appDir: string;
  stateDir: string;
  url: string;
  key: string | undefined;
  identityKey: string | undefined;
}

function opsContext(common: Record<string, string | undefined>, ctx: CliContext): OpsContext {
  const url = (common['url'] ?? process.env['STAGECRAFT_URL'] ?? 'http://127.0.0.1:7071').replace(/\/+$/, '');
  let key = common['key'] ?? process.env['STAGECRAFT_KEY'];
  if (!key) {
    const keysFile = join(ctx.stateDir, 'keys.json');
    if (existsSync(keysFile)) {
      try {
        key = (JSON.parse(readFileSync(keysFile, 'utf8')) as { hostKeys?: { default?: string } }).hostKeys?.default;
      } catch {
        key = undefined;
      }
    }
  }
  const identityKey = common['identity-key'] ?? process.env['STAGECRAFT_IDENTITY_KEY'];
  return { appDir: ctx.appDir, stateDir: ctx.stateDir, url, key, identityKey };
}

class UsageError extends Error {}

/** The command's own options and positionals, after the common ones are taken out. */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  ctx: CliContext,
  options: O,
  usageLine: string,
) {
  const { values: common, rest } = splitCommonOptions(argv, COMMON);
  try {
    const parsed = parseArgs({ args: rest, options, allowPositionals: true });
    return { ...parsed, ops: opsContext(common, ctx) };
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nusage: ${usageLine}`);
  }
}

async function api(
  ctx: OpsContext,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.key) headers['x-functions-key'] = ctx.key;
  if (ctx.identityKey) headers['x-stagecraft-key'] = ctx.identityKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${ctx.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new Error(
      `Cannot reach Stagecraft at ${ctx.url} (${(e as Error).message}); is \`npm start\` running? Use --url to point elsewhere.`,
    );
  }
  const text = await res.text();
  let json: unknown = text;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.status, json };
}

function print(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

function usage(text: string): number {
  process.stderr.write(`usage: ${text}\n`);
  return 2;
}

const APPROVALS_USAGE =
  'stagecraft approvals [list|show ID|approve ID|reject ID] [--status S] [--model M] [--comment TEXT]';

async function approvals(argv: string[], cli: CliContext): Promise<number> {
  const {
    values,
    positionals,
    ops: ctx,
  } = parse(
    argv,
    cli,
    { status: { type: 'string' }, model: { type: 'string' }, comment: { type: 'string' } },
    APPROVALS_USAGE,
  );
  const [sub, id] = positionals;
  const comment = values.comment;
  switch (sub) {
    case 'list':
    case undefined: {
      const q = new URLSearchParams();
      for (const f of ['status', 'model'] as const) if (typeof values[f] === 'string') q.set(f, values[f]);
      const r = await api(ctx, 'GET', `/api/approvals${q.size ? `?${q.toString()}` : ''}`);
      print(r.json);
      return r.status < 400 ? 0 : 1;
    }
    case 'show': {
      if (!id) return usage('stagecraft approvals show ID');
      const r = await api(ctx, 'GET', `/api/approvals/${encodeURIComponent(id)}`);
      print(r.json);
      return r.status < 400 ? 0 : 1;
    }
    case 'approve':
    case 'reject': {
      if (!id) return usage(`stagecraft approvals ${sub} ID [--comment TEXT] [--identity-key APPROVER_KEY]`);
      const r = await api(ctx, 'POST', `/api/approvals/${encodeURIComponent(id)}/decision`, {
        decision: sub,
        ...(comment ? { comment } : {}),
      });
      print(r.json);
      return r.status < 400 ? 0 : r.status === 409 || r.status === 403 ? 3 : 1;
    }
    default:
      return usage(APPROVALS_USAGE);
  }
}

const ROLLBACK_USAGE = 'stagecraft rollback MODEL [--to VERSION] [--reason TEXT]';

async function rollback(argv: string[], cli: CliContext): Promise<number> {
  const {
    values,
    positionals,
    ops: ctx,
  } = parse(argv, cli, { to: { type: 'string' }, reason: { type: 'string' } }, ROLLBACK_USAGE);
  const model = positionals[0];
  if (!model) return usage(ROLLBACK_USAGE);
  const reason = values.reason ?? 'requested from the CLI';
  const r = await api(ctx, 'POST', `/api/models/${encodeURIComponent(model)}/rollback`, {
    ...(values.to ? { toVersion: values.to } : {}),
    reason,
  });
  print(r.json);
  return r.status < 400 ? 0 : r.status === 409 ? 3 : 1;
}

const AUDIT_USAGE =
  'stagecraft audit [--from ISO] [--to ISO] [--action NAME|prefix.*] [--actor ID] [--limit N] [--json]';

/** `stagecraft audit [--from ISO] [--to ISO] [--action A] [--actor ID] [--limit N] [--json]`: the audit log (operators). */
async function audit(argv: string[], cli: CliContext): Promise<number> {
  const { values, ops: ctx } = parse(
    argv,
    cli,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      action: { type: 'string' },
      actor: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    AUDIT_USAGE,
  );
  const q = new URLSearchParams();
  for (const f of ['from', 'to', 'action', 'actor', 'limit'] as const) {
    const v = values[f];
    if (typeof v === 'string') q.set(f, v);
  }
  const r = await api(ctx, 'GET', `/api/audit${q.size ? `?${q.toString()}` : ''}`);
  if (r.status >= 400 || values.json === true) {
    print(r.json);
    return r.status < 400 ? 0 : r.status === 401 || r.status === 403 ? 3 : 1;
  }
  const entries = ((r.json as { entries?: unknown[] }).entries ?? []) as Array<{
    time: string;
    action: string;
    actor: string;
    via?: string;
    outcome: string;
    target?: string;
    reason?: string;
  }>;
  for (const e of entries)
    print(
      `${e.time}  ${e.outcome.padEnd(8)}  ${e.action.padEnd(22)}  ${e.actor}${e.via ? ` (${e.via})` : ''}${e.target ? `  ${e.target}` : ''}${e.reason ? `  ${e.reason}` : ''}`,
    );
  if (entries.length === 0) print('no audit entries in the window');
  return 0;
}

const POLICY_USAGE = 'stagecraft policy check [FILE]   (default: stagecraft.policy.yaml in --app)';

async function policy(argv: string[], cli: CliContext): Promise<number> {
  const { positionals, ops: ctx } = parse(argv, cli, {}, POLICY_USAGE);
  const [sub, file] = positionals;
  if (sub !== 'check') return usage(POLICY_USAGE);
  const r = await policyCheck(
    resolve(ctx.appDir, file ?? process.env['STAGECRAFT_POLICY_FILE'] ?? 'stagecraft.policy.yaml'),
  );
  (r.exitCode === 0 ? process.stdout : process.stderr).write(`${r.report}\n`);
  return r.exitCode;
}

async function retrain(argv: string[], cli: CliContext): Promise<number> {
  const { values: common, rest } = splitCommonOptions(argv, COMMON);
  const ctx = opsContext(common, cli);
  return retrainCommand(rest, { url: ctx.url, ...(ctx.key ? { key: ctx.key } : {}) });
}

async function runs(argv: string[], cli: CliContext): Promise<number> {
  const { values: common, rest } = splitCommonOptions(argv, COMMON);
  const ctx = opsContext(common, cli);
  return runsCommand(rest, { url: ctx.url, ...(ctx.key ? { key: ctx.key } : {}) });
}

/** A usage error exits 2 with the message; anything else propagates (the CLI prints it and exits 1). */
function withUsage(
  run: (argv: string[], ctx: CliContext) => Promise<number>,
): (argv: string[], ctx: CliContext) => Promise<number> {
  return async (argv, ctx) => {
    try {
      return await run(argv, ctx);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
  };
}

export const OPS_COMMANDS = {
  policy: withUsage(policy),
  approvals: withUsage(approvals),
  rollback: withUsage(rollback),
  audit: withUsage(audit),
  retrain,
  runs,
};
