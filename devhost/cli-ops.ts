/**
 * Operator commands that talk to a running Stagecraft host over its HTTP API (or read its state dir).
 * Where to reach it: `--url` or `STAGECRAFT_URL` (default http://127.0.0.1:7071). Key: `--key`, `STAGECRAFT_KEY`,
 * or the default function key from `<state>/keys.json` of a local host (sent as `x-functions-key`). Identity:
 * `--identity-key` or `STAGECRAFT_IDENTITY_KEY` (sent as `x-stagecraft-key`; never in the query string).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { instancesCommand } from './durable/cli';
import { servicebusCommand } from './servicebus/cli';
import { policyCheck } from '../shared/policy/check';
import { retrainCommand } from '../shared/retraining/cli';
import { runsCommand } from '../shared/runs/cli';
import type { ParsedArgs } from './cli';

export interface OpsContext {
  appDir: string;
  stateDir: string;
  url: string;
  key: string | undefined;
  identityKey: string | undefined;
}

export function opsContext(args: ParsedArgs): OpsContext {
  const appDir = resolve(typeof args.flags['app'] === 'string' ? args.flags['app'] : process.cwd());
  const stateDir = resolve(typeof args.flags['state'] === 'string' ? args.flags['state'] : join(appDir, '.stagecraft'));
  const url = (typeof args.flags['url'] === 'string' ? args.flags['url'] : process.env['STAGECRAFT_URL'] ?? 'http://127.0.0.1:7071').replace(/\/+$/, '');
  let key = typeof args.flags['key'] === 'string' ? args.flags['key'] : process.env['STAGECRAFT_KEY'];
  if (!key) {
    const keysFile = join(stateDir, 'keys.json');
    if (existsSync(keysFile)) {
      try {
        key = (JSON.parse(readFileSync(keysFile, 'utf8')) as { hostKeys?: { default?: string } }).hostKeys?.default;
      } catch {
        key = undefined;
      }
    }
  }
  const identityKey = typeof args.flags['identity-key'] === 'string' ? args.flags['identity-key'] : process.env['STAGECRAFT_IDENTITY_KEY'];
  return { appDir, stateDir, url, key, identityKey };
}

/**
 * The sub-command's own arguments: the raw argv after the command word, minus the common options this module
 * handles (`--app`, `--state`, `--url`, `--key`, each as `--x V` or `--x=V`). Raw, because re-joining parsed flags
 * would guess wrong about which flags take values (`peek --dlq QUEUE`).
 */
function subArgv(raw: readonly string[]): string[] {
  const out: string[] = [];
  const rest = raw.slice(raw.findIndex((a) => !a.startsWith('--')) + 1);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const name = /^--([a-z-]+)(=|$)/.exec(a);
    if (name && COMMON.includes(name[1]!)) {
      if (name[2] === '') i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const COMMON = ['app', 'state', 'url', 'key', 'identity-key'];

async function api(ctx: OpsContext, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.key) headers['x-functions-key'] = ctx.key;
  if (ctx.identityKey) headers['x-stagecraft-key'] = ctx.identityKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${ctx.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (e) {
    throw new Error(`Cannot reach Stagecraft at ${ctx.url} (${(e as Error).message}); is \`npm start\` running? Use --url to point elsewhere.`);
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

async function approvals(args: ParsedArgs, ctx: OpsContext): Promise<number> {
  const [sub, id] = args.positionals;
  const comment = typeof args.flags['comment'] === 'string' ? args.flags['comment'] : undefined;
  switch (sub) {
    case 'list':
    case undefined: {
      const q = new URLSearchParams();
      for (const f of ['status', 'model']) if (typeof args.flags[f] === 'string') q.set(f, args.flags[f]);
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
      const r = await api(ctx, 'POST', `/api/approvals/${encodeURIComponent(id)}/decision`, { decision: sub, ...(comment ? { comment } : {}) });
      print(r.json);
      return r.status < 400 ? 0 : r.status === 409 || r.status === 403 ? 3 : 1;
    }
    default:
      return usage('stagecraft approvals [list|show ID|approve ID|reject ID] [--status S] [--model M] [--comment TEXT]');
  }
}

async function rollback(args: ParsedArgs, ctx: OpsContext): Promise<number> {
  const model = args.positionals[0];
  if (!model) return usage('stagecraft rollback MODEL [--to VERSION] [--reason TEXT]');
  const to = typeof args.flags['to'] === 'string' ? args.flags['to'] : undefined;
  const reason = typeof args.flags['reason'] === 'string' ? args.flags['reason'] : 'requested from the CLI';
  const r = await api(ctx, 'POST', `/api/models/${encodeURIComponent(model)}/rollback`, { ...(to ? { toVersion: to } : {}), reason });
  print(r.json);
  return r.status < 400 ? 0 : r.status === 409 ? 3 : 1;
}

/** `stagecraft audit [--from ISO] [--to ISO] [--action A] [--actor ID] [--limit N] [--json]`: the audit log (operators). */
async function audit(args: ParsedArgs, ctx: OpsContext): Promise<number> {
  const q = new URLSearchParams();
  for (const f of ['from', 'to', 'action', 'actor', 'limit']) {
    const v = args.flags[f];
    if (v === true) return usage('stagecraft audit [--from ISO] [--to ISO] [--action NAME|prefix.*] [--actor ID] [--limit N] [--json]');
    if (typeof v === 'string') q.set(f, v);
  }
  const r = await api(ctx, 'GET', `/api/audit${q.size ? `?${q.toString()}` : ''}`);
  if (r.status >= 400 || args.flags['json'] === true) {
    print(r.json);
    return r.status < 400 ? 0 : r.status === 401 || r.status === 403 ? 3 : 1;
  }
  const entries = ((r.json as { entries?: unknown[] }).entries ?? []) as Array<{ time: string; action: string; actor: string; via?: string; outcome: string; target?: string; reason?: string }>;
  for (const e of entries) print(`${e.time}  ${e.outcome.padEnd(8)}  ${e.action.padEnd(22)}  ${e.actor}${e.via ? ` (${e.via})` : ''}${e.target ? `  ${e.target}` : ''}${e.reason ? `  ${e.reason}` : ''}`);
  if (entries.length === 0) print('no audit entries in the window');
  return 0;
}

function usage(text: string): number {
  process.stderr.write(`usage: ${text}\n`);
  return 2;
}

export async function runOpsCommand(args: ParsedArgs, raw: readonly string[]): Promise<number | undefined> {
  const ctx = opsContext(args);
  try {
    switch (args.command) {
      case 'instances':
        return await instancesCommand(subArgv(raw), { appDir: ctx.appDir, stateDir: ctx.stateDir, ...(typeof args.flags['url'] === 'string' || process.env['STAGECRAFT_URL'] ? { url: ctx.url } : {}) });
      case 'servicebus':
        return await servicebusCommand(subArgv(raw), { appDir: ctx.appDir, stateDir: ctx.stateDir });
      case 'policy': {
        const [sub, file] = args.positionals;
        if (sub !== 'check') return usage('stagecraft policy check [FILE]   (default: stagecraft.policy.yaml in --app)');
        const r = await policyCheck(resolve(ctx.appDir, file ?? process.env['STAGECRAFT_POLICY_FILE'] ?? 'stagecraft.policy.yaml'));
        (r.exitCode === 0 ? process.stdout : process.stderr).write(`${r.report}\n`);
        return r.exitCode;
      }
      case 'retrain':
        return await retrainCommand(subArgv(raw), { url: ctx.url, ...(ctx.key ? { key: ctx.key } : {}) });
      case 'runs':
        return await runsCommand(subArgv(raw), { url: ctx.url, ...(ctx.key ? { key: ctx.key } : {}) });
      case 'approvals':
        return await approvals(args, ctx);
      case 'rollback':
        return await rollback(args, ctx);
      case 'audit':
        return await audit(args, ctx);
      default:
        return undefined;
    }
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
}

