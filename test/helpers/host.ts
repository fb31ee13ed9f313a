/**
 * Starts the real local host through the app's own CLI (`bin/stagecraft.js start`) as a child process for
 * integration tests: devhost's test helper (devhost/test/helpers/host.ts) with this repository's CLI and, for the
 * repository's own app, the settings a fresh clone runs with.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  freePort,
  runHostToExit as runWithCli,
  startHostProcess as startWithCli,
  type HostProcess,
  type StartHostOptions,
} from '../../devhost/test/helpers/host';
import { sharedStorage } from '../records/azurite';

export {
  durableHeaders,
  freePort,
  masterKeyFor,
  type HostProcess,
  type StartHostOptions,
} from '../../devhost/test/helpers/host';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const CLI = join(REPO_ROOT, 'bin', 'stagecraft.js');

/**
 * For the repository's own app: the Values of local.settings.sample.json (what a fresh clone runs with), a Service Bus
 * emulator on a free port so test files running in parallel do not share port 5672, and storage in an account of its
 * own on the run's shared Azurite (instead of an Azurite per host; test/host/azurite.test.ts covers the host's own
 * Azurite). `env` wins.
 */
async function repoAppDefaults(
  appDir: string,
  env: Record<string, string> | undefined,
): Promise<Record<string, string>> {
  if (resolve(appDir) !== REPO_ROOT) return {};
  const sample = JSON.parse(readFileSync(join(REPO_ROOT, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  const defaults: Record<string, string> = { ...sample.Values };
  if (!env?.['ServiceBusConnection']) {
    defaults['ServiceBusConnection'] =
      `Endpoint=sb://127.0.0.1:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`;
  }
  if (!env?.['AzureWebJobsStorage']) defaults['AzureWebJobsStorage'] = (await sharedStorage()).connectionString;
  return defaults;
}

export async function startHostProcess(options: StartHostOptions): Promise<HostProcess> {
  const defaults = await repoAppDefaults(options.appDir, options.env);
  return startWithCli({ ...options, cli: CLI, env: { ...defaults, ...options.env } });
}

/** Runs `stagecraft start` expecting it to exit by itself (e.g. a start-up failure); returns the exit code and output. */
export function runHostToExit(
  options: StartHostOptions & { timeoutMs?: number },
): Promise<{ code: number | null; output: string }> {
  return runWithCli({ ...options, cli: CLI });
}
