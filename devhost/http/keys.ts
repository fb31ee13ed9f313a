/**
 * Function keys for `authLevel: function | admin`, like the Functions host's key store.
 * Sources, in order: settings (`DEVHOST_MASTER_KEY`, `DEVHOST_FUNCTION_KEY` for the default host key,
 * `DEVHOST_FUNCTION_KEYS` as `name=key,name2=key2` for named host keys) and `<stateDir>/keys.json`, created once
 * with random keys so they survive restarts.
 * Invariant: keys are compared in constant time and never logged except once at start-up, on purpose, for the user.
 */
import { randomBytes } from 'node:crypto';
import { firstMatchingSecret } from '../lib/constant-time';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostSetting } from '../host/setting-names';

export interface KeyStore {
  masterKey: string;
  /** Host-level function keys by name (`default` always present). */
  hostKeys: Record<string, string>;
  /** Per-function keys: functionName (lowercase) -> name -> key. */
  functionKeys: Record<string, Record<string, string>>;
}

function newKey(): string {
  return randomBytes(30).toString('base64url');
}

export function loadKeys(stateDir: string, settings: NodeJS.ProcessEnv): KeyStore {
  const path = join(stateDir, 'keys.json');
  let stored: Partial<KeyStore> = {};
  if (existsSync(path)) {
    try {
      stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<KeyStore>;
    } catch {
      stored = {};
    }
  }
  const store: KeyStore = {
    masterKey: stored.masterKey ?? newKey(),
    hostKeys: { default: newKey(), ...stored.hostKeys },
    functionKeys: stored.functionKeys ?? {},
  };
  if (!existsSync(path) || !stored.masterKey || !stored.hostKeys?.['default'])
    writeFileSync(path, JSON.stringify(store, null, 2), { mode: 0o600 });
  const master = hostSetting(settings, 'MASTER_KEY');
  const fnKey = hostSetting(settings, 'FUNCTION_KEY');
  const named = hostSetting(settings, 'FUNCTION_KEYS');
  const effective: KeyStore = {
    masterKey: master || store.masterKey,
    hostKeys: { ...store.hostKeys },
    functionKeys: store.functionKeys,
  };
  if (fnKey) effective.hostKeys['default'] = fnKey;
  if (named) {
    for (const pair of named.split(',')) {
      const [name, key] = pair.split('=').map((s) => s.trim());
      if (name && key) effective.hostKeys[name] = key;
    }
  }
  return effective;
}

export type KeyMatch = { level: 'admin' | 'function'; keyName: string } | undefined;

/** Which key (if any) the presented value is. Every candidate is compared, so timing does not reveal which matched. */
export function identifyKey(store: KeyStore, functionName: string, presented: string | undefined): KeyMatch {
  if (!presented) return undefined;
  const candidates: Array<{ key: string; match: NonNullable<KeyMatch> }> = [
    { key: store.masterKey, match: { level: 'admin', keyName: '_master' } },
    ...Object.entries(store.hostKeys).map(([name, key]) => ({
      key,
      match: { level: 'function' as const, keyName: name },
    })),
    ...Object.entries(store.functionKeys[functionName.toLowerCase()] ?? {}).map(([name, key]) => ({
      key,
      match: { level: 'function' as const, keyName: name },
    })),
  ];
  return firstMatchingSecret(presented, candidates, (c) => c.key)?.match;
}
