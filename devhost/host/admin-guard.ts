/**
 * Guards for the host's own (non-app) HTTP endpoints, today the Durable HTTP API under /runtime/webhooks/durabletask/:
 * the host's system/master key, a browser-origin (CSRF) check, and the rule that a non-loopback listener needs
 * explicitly configured keys.
 *
 * Invariants:
 * - Keys are compared in constant time and never logged or echoed in an error body.
 * - A request a browser sends from another origin (`Origin` not one of the host's own, or `Sec-Fetch-Site:
 *   cross-site`) is refused before the key is even looked at, so a page open in the developer's browser cannot drive
 *   the API even with a key the browser learned.
 */
import { createHmac } from 'node:crypto';
import { anySecretMatches } from '../lib/constant-time';
import type { IncomingMessage } from 'node:http';
import { loadKeys, type KeyStore } from '../http/keys';
import { HostError } from './types';
import { hostSetting, settingName } from './setting-names';

/** The system key name Azure gives the Durable extension's webhooks. */
export const DURABLE_SYSTEM_KEY_NAME = 'durabletask_extension';
/** Explicit keys must be at least this long to open the host to the network. */
export const MIN_EXPLICIT_KEY_LENGTH = 16;

export interface AdminKeys {
  masterKey: string;
  /** Named system keys (Azure: per extension), e.g. `durabletask_extension`. Derived from the master key. */
  systemKeys: Record<string, string>;
}

const cache = new Map<string, AdminKeys>();

/**
 * The host's master key (DEVHOST_MASTER_KEY, else `<state>/keys.json`, generated once: the same store HTTP
 * functions use) and the system keys derived from it.
 */
export function adminKeys(stateDir: string, settings: NodeJS.ProcessEnv): AdminKeys {
  const cacheKey = `${stateDir}\u0000${hostSetting(settings, 'MASTER_KEY') ?? ''}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const store: KeyStore = loadKeys(stateDir, settings);
  const keys: AdminKeys = {
    masterKey: store.masterKey,
    systemKeys: { [DURABLE_SYSTEM_KEY_NAME]: deriveSystemKey(store.masterKey, DURABLE_SYSTEM_KEY_NAME) },
  };
  cache.set(cacheKey, keys);
  return keys;
}

export function deriveSystemKey(masterKey: string, name: string): string {
  return createHmac('sha256', masterKey).update(`system-key:${name}`).digest('base64url');
}

/** The key a request presents: `x-functions-key` header, `code` query parameter, or the password of Basic auth. */
export function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  const h = Array.isArray(header) ? header[0] : header;
  if (h) return h;
  const code = url.searchParams.get('code');
  if (code) return code;
  // The durable client (axios) turns the userinfo of its rpcBaseUrl into Basic auth.
  const auth = req.headers.authorization;
  if (auth && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return decoded.slice(colon + 1) || undefined;
  }
  return undefined;
}

/** Whether `presented` is the master key or one of the named system keys (every candidate compared). */
export function isAdminKey(keys: AdminKeys, presented: string | undefined, systemKeyName: string): boolean {
  if (!presented) return false;
  const sys = keys.systemKeys[systemKeyName];
  return anySecretMatches(presented, sys === undefined ? [keys.masterKey] : [keys.masterKey, sys]);
}

/** The origins a browser uses for this host itself (its own pages may call its API). */
export function ownOrigins(port: number, listenHost: string | undefined, settings: NodeJS.ProcessEnv): Set<string> {
  const out = new Set<string>([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);
  const host = listenHost?.replace(/^\[|\]$/g, '');
  if (host && !isWildcard(host)) out.add(`http://${host.includes(':') ? `[${host}]` : host}:${port}`.toLowerCase());
  const site = settings['WEBSITE_HOSTNAME']?.trim();
  if (site) {
    out.add(`http://${site}`.toLowerCase());
    out.add(`https://${site}`.toLowerCase());
  }
  return out;
}

/** Why a request looks like a cross-origin browser request, or undefined when it does not. */
export function crossOriginReason(req: IncomingMessage, origins: Set<string>): string | undefined {
  const siteValue = String(req.headers['sec-fetch-site'] ?? '').toLowerCase();
  if (siteValue === 'cross-site') return 'Sec-Fetch-Site: cross-site';
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const o = origin.trim().toLowerCase().replace(/\/+$/, '');
  if (!origins.has(o)) return `Origin ${o === 'null' ? 'null' : 'from another site'}`;
  return undefined;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]' || host === '*';
}

export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * A listener on anything but loopback serves the function and durable APIs to the network, so it needs keys the
 * user chose (not the generated ones in the state dir, which nobody else knows and nobody rotates).
 */
export function assertKeysForListenHost(listenHost: string | undefined, settings: NodeJS.ProcessEnv): void {
  if (isLoopbackHost(listenHost)) return;
  const problems: string[] = [];
  for (const key of ['MASTER_KEY', 'FUNCTION_KEY'] as const) {
    const name = settingName(key);
    const v = hostSetting(settings, key)?.trim() ?? '';
    if (!v) problems.push(`${name} is not set`);
    else if (v.length < MIN_EXPLICIT_KEY_LENGTH)
      problems.push(`${name} is shorter than ${MIN_EXPLICIT_KEY_LENGTH} characters`);
  }
  if (problems.length) {
    throw new HostError(
      'HOST_KEYS_REQUIRED',
      `--host ${listenHost ?? ''} listens beyond this machine, which exposes the function and Durable HTTP APIs to the network, ` +
        `so it needs explicit keys: set DEVHOST_MASTER_KEY and DEVHOST_FUNCTION_KEY (at least ${MIN_EXPLICIT_KEY_LENGTH} characters each) ` +
        `in local.settings.json Values or the environment, or listen on 127.0.0.1 (${problems.join('; ')}).`,
    );
  }
}
