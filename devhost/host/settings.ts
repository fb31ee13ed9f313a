/**
 * Reads what `func start` reads: `local.settings.json` (Values, Host.LocalHttpPort, Host.CORS) and `host.json`.
 * Invariant: local.settings.json Values never override variables already in the real environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from './types';

export interface LocalSettings {
  IsEncrypted?: boolean;
  Values: Record<string, string>;
  Host: { LocalHttpPort?: number; CORS?: string; CORSCredentials?: boolean };
  ConnectionStrings: Record<string, string>;
}

function readJson(path: string, what: string): unknown {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HostError('HOST_CONFIG_INVALID', `${what} at ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function readLocalSettings(appDir: string): LocalSettings {
  const path = join(appDir, 'local.settings.json');
  const empty: LocalSettings = { Values: {}, Host: {}, ConnectionStrings: {} };
  if (!existsSync(path)) return empty;
  const raw = readJson(path, 'local.settings.json');
  if (typeof raw !== 'object' || raw === null)
    throw new HostError('HOST_CONFIG_INVALID', `local.settings.json at ${path} must be a JSON object`);
  const obj = raw as Record<string, unknown>;
  if (obj['IsEncrypted'] === true) {
    throw new HostError(
      'HOST_CONFIG_INVALID',
      'local.settings.json is encrypted (IsEncrypted: true); decrypt it with `func settings decrypt` or write plain values',
    );
  }
  const values: Record<string, string> = {};
  const rawValues = obj['Values'];
  if (rawValues !== undefined) {
    if (typeof rawValues !== 'object' || rawValues === null)
      throw new HostError('HOST_CONFIG_INVALID', 'local.settings.json "Values" must be an object of strings');
    for (const [k, v] of Object.entries(rawValues as Record<string, unknown>)) {
      if (v === null || v === undefined) continue;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new HostError(
          'HOST_CONFIG_INVALID',
          `local.settings.json Values.${k} must be a string, number or boolean`,
        );
      }
      values[k] = String(v);
    }
  }
  const host = (typeof obj['Host'] === 'object' && obj['Host'] !== null ? obj['Host'] : {}) as LocalSettings['Host'];
  const cs = (
    typeof obj['ConnectionStrings'] === 'object' && obj['ConnectionStrings'] !== null ? obj['ConnectionStrings'] : {}
  ) as Record<string, string>;
  return { Values: values, Host: host, ConnectionStrings: cs };
}

/** Merge Values into env without overriding real variables. Returns the names that were applied. */
export function applySettings(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): string[] {
  const applied: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (env[k] === undefined) {
      env[k] = v;
      applied.push(k);
    }
  }
  return applied;
}

export function readHostJson(appDir: string): Record<string, unknown> {
  const path = join(appDir, 'host.json');
  if (!existsSync(path)) return {};
  const raw = readJson(path, 'host.json');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new HostError('HOST_CONFIG_INVALID', `host.json at ${path} must be a JSON object`);
  const obj = raw as Record<string, unknown>;
  if (obj['version'] !== undefined && obj['version'] !== '2.0') {
    throw new HostError(
      'HOST_CONFIG_INVALID',
      `host.json "version" must be "2.0" (found ${JSON.stringify(obj['version'])})`,
    );
  }
  return obj;
}

/** Case-insensitive path lookup in host.json, e.g. getHostSetting(h, 'extensions.http.routePrefix'). */
export function getHostSetting(hostJson: Record<string, unknown>, path: string): unknown {
  let cur: unknown = hostJson;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    const entry = Object.entries(cur as Record<string, unknown>).find(([k]) => k.toLowerCase() === part.toLowerCase());
    cur = entry?.[1];
  }
  return cur;
}

/** Parse a .NET TimeSpan ("00:05:00", "1.02:03:04.5") or ISO-8601 duration to milliseconds. */
export function parseTimeSpan(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const ts = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?$/.exec(value.trim());
  if (ts) {
    const [, neg, d, h, m, s, frac] = ts;
    const ms =
      ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(m)) * 60_000 +
      Number(s ?? 0) * 1000 +
      (frac ? Number(`0.${frac}`) * 1000 : 0);
    return neg ? -ms : ms;
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value.trim());
  if (iso) {
    const [, d, h, m, s] = iso;
    return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  }
  return undefined;
}

/** Resolve `%Name%` tokens against settings; a missing setting is an error naming it. */
export function resolveSettingTokens(value: string, settings: NodeJS.ProcessEnv, where: string): string {
  return value.replace(/%([^%]+)%/g, (_m, name: string) => {
    const v = settings[name];
    if (v === undefined)
      throw new HostError(
        'HOST_SETTING_MISSING',
        `${where} refers to app setting %${name}%, which is not set (add it to local.settings.json Values or the environment)`,
      );
    return v;
  });
}
