/**
 * The `localServing` section: settings of the local serving runner (validated here where the runner is built and by
 * the start-up check). The runner also gets the host's environment (`env`), which is no setting of this section.
 */
import { z } from 'zod';
import type { Env } from '../../config/env';
import { defineSection, loadSection } from '../../config/section';
import { list, optionalJson, settingProblem, textWithDefault } from '../../setting-values';
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

const PORT_ENTRY = /^([A-Za-z0-9_-]{1,63})=(\d{1,5})$/;

export const localServingSection = defineSection(
  'localServing',
  {
    STAGECRAFT_LOCAL_SERVING_COMMAND: optionalJson(
      z.array(z.string()).min(1),
      'must be a JSON array of strings (argv), e.g. ["mlflow","models","serve","-m","models:/{entity}/{version}","-p","{port}"]',
    ),
    STAGECRAFT_LOCAL_SERVING_PORTS: list.transform((entries, ctx): Record<string, number> => {
      const ports: Record<string, number> = {};
      for (const entry of entries) {
        const m = PORT_ENTRY.exec(entry);
        if (!m || Number(m[2]) > 65535) return settingProblem(ctx, `entries must be <endpoint>=<port>, got '${entry}'`);
        ports[m[1]!] = Number(m[2]);
      }
      return ports;
    }),
    STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT: textWithDefault('180').transform((v, ctx): number => {
      const t = Number(v);
      return Number.isFinite(t) && t >= 1 ? t : settingProblem(ctx, 'must be a number of seconds');
    }),
  },
  (v): Omit<LocalServingOptions, 'env' | 'log'> => ({
    command: v.STAGECRAFT_LOCAL_SERVING_COMMAND ?? DEFAULT_LOCAL_SERVING_COMMAND,
    ports: v.STAGECRAFT_LOCAL_SERVING_PORTS,
    healthTimeoutMs: v.STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT * 1000,
  }),
);

/** The runner's options: the section plus the host's environment for the model servers. @throws ConfigError */
export function localServingOptions(env: Env): LocalServingOptions {
  return { ...loadSection(localServingSection, env), env: { ...process.env } };
}
