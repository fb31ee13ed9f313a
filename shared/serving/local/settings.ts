/** Settings of the local serving runner (read and checked here; validateAllSettings reports problems at start). */
import type { Env } from '../../config/env';
import { ConfigError } from '../../errors';
import type { LocalServingOptions } from './runner';

export const DEFAULT_LOCAL_SERVING_COMMAND = [
  'mlflow',
  'models',
  'serve',
  '-m',
  'models:/{entity}/{version}',
  '-p',
  '{port}',
  '-h',
  '127.0.0.1',
  '--env-manager',
  'local',
];

export function localServingOptions(env: Env): LocalServingOptions {
  const raw = env['STAGECRAFT_LOCAL_SERVING_COMMAND']?.trim();
  let command = DEFAULT_LOCAL_SERVING_COMMAND;
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string'))
      throw new ConfigError(
        'STAGECRAFT_LOCAL_SERVING_COMMAND must be a JSON array of strings (argv), e.g. ["mlflow","models","serve","-m","models:/{entity}/{version}","-p","{port}"]',
        { setting: 'STAGECRAFT_LOCAL_SERVING_COMMAND' },
      );
    command = parsed;
  }
  const ports: Record<string, number> = {};
  for (const entry of (env['STAGECRAFT_LOCAL_SERVING_PORTS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]{1,63})=(\d{1,5})$/.exec(entry);
    if (!m || Number(m[2]) > 65535)
      throw new ConfigError(`STAGECRAFT_LOCAL_SERVING_PORTS entries must be <endpoint>=<port>, got '${entry}'`, {
        setting: 'STAGECRAFT_LOCAL_SERVING_PORTS',
      });
    ports[m[1]!] = Number(m[2]);
  }
  const t = Number(env['STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT'] ?? '180');
  if (!Number.isFinite(t) || t < 1)
    throw new ConfigError('STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT must be a number of seconds', {
      setting: 'STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT',
    });
  return { command, ports, healthTimeoutMs: t * 1000, env: { ...process.env } };
}
