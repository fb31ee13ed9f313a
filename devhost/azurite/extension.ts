/**
 * Starts Azurite when the app's storage settings point at development storage (`UseDevelopmentStorage=true` or the
 * `devstoreaccount1` connection string) and stops it with the host. `--no-azurite` turns it off.
 *
 * Settings looked at: AzureWebJobsStorage, the names in the host option `storageSettings` (an app's own storage
 * settings), every local.settings.json Value, and every setting a binding names as `connection`. When Azurite runs on other than the standard ports, every development-storage
 * setting in process.env is rewritten to the chosen ports before the app's code loads, so SDK clients find it.
 *
 * `DEVHOST_AZURITE_PERSISTENCE=memory` runs it with `--inMemoryPersistence` (benches, throwaway state).
 *
 * Invariant: no trigger types; first in the registry so every other extension and the app see the final settings.
 */
import { join } from 'node:path';
import { hostSetting } from '../host/setting-names';
import type { HostContext, HostExtension, HostLogger } from '../host/types';
import { isDevStorage, pointAtPorts, STANDARD_PORTS, type StoragePorts } from './connection';
import { choosePorts, startAzurite, type AzuriteProcess } from './process';

export interface AzuriteExtension extends HostExtension {
  /** The running Azurite's ports (undefined when not started). */
  readonly ports: StoragePorts | undefined;
}

const ALWAYS_CHECKED = ['AzureWebJobsStorage'];

function sameAsStandard(p: StoragePorts): boolean {
  return p.blob === STANDARD_PORTS.blob && p.queue === STANDARD_PORTS.queue && p.table === STANDARD_PORTS.table;
}

/** Points every development-storage setting at `ports`; returns the names changed. Values are never logged. */
function rewriteSettings(env: NodeJS.ProcessEnv, ports: StoragePorts): string[] {
  const changed: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value || !isDevStorage(value)) continue;
    if (sameAsStandard(ports) && /^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(value)) continue;
    const next = pointAtPorts(value, ports);
    if (next !== value) {
      env[name] = next;
      changed.push(name);
    }
  }
  return changed;
}

export function createAzuriteExtension(options: {
  enabled: boolean;
  storageSettings?: readonly string[];
}): AzuriteExtension {
  let starting: Promise<AzuriteProcess> | undefined;
  let proc: AzuriteProcess | undefined;
  let chosen: StoragePorts | undefined;
  let location = '';
  let log: HostLogger | undefined;

  async function begin(stateDir: string, env: NodeJS.ProcessEnv, reason: string[], logger: HostLogger): Promise<void> {
    log = logger;
    location = join(stateDir, 'azurite');
    if (!options.enabled) {
      logger.log(
        'information',
        `Not starting Azurite (--no-azurite) although ${reason.join(', ')} point(s) at development storage`,
      );
      return;
    }
    chosen = await choosePorts();
    const changed = rewriteSettings(env, chosen);
    logger.log('information', 'Starting Azurite (Blob, Queue, Table)', {
      for: reason.join(','),
      ports: `${chosen.blob},${chosen.queue},${chosen.table}`,
      rewritten: changed.join(',') || undefined,
    });
    // DEVHOST_AZURITE_PERSISTENCE=memory: throwaway state (benches); default disk under the state dir.
    const inMemory = /^memory$/i.test(hostSetting(env, 'AZURITE_PERSISTENCE') ?? '');
    if (inMemory)
      logger.log(
        'information',
        'Azurite keeps its data in memory only (DEVHOST_AZURITE_PERSISTENCE=memory): nothing survives a restart',
      );
    starting = startAzurite({
      location,
      ports: chosen,
      inMemory,
      onOutput: (line) => logger.log('debug', line, { source: 'azurite' }),
    });
    // Awaited in init; a failure must not surface as an unhandled rejection meanwhile.
    starting.catch(() => undefined);
  }

  return {
    name: 'azurite',
    triggerTypes: [],
    get ports() {
      return proc?.ports;
    },
    async preload(ctx) {
      const names = [
        ...new Set([...ALWAYS_CHECKED, ...(options.storageSettings ?? []), ...ctx.appSettingNames]),
      ].filter((n) => isDevStorage(ctx.settings[n]));
      if (names.length) await begin(ctx.stateDir, ctx.settings, names, ctx.logger);
    },
    async init(ctx: HostContext) {
      if (!starting && !log) {
        const names = new Set<string>();
        for (const fn of ctx.functions) {
          for (const b of Object.values(fn.metadata.bindings)) {
            const conn = b['connection'];
            if (typeof conn === 'string' && isDevStorage(ctx.settings[conn])) names.add(conn);
          }
        }
        if (names.size) await begin(ctx.stateDir, ctx.settings, [...names], ctx.logger);
      }
      if (!starting) return;
      try {
        proc = await starting;
      } catch (e) {
        throw new Error(
          `Azurite did not start (data in ${location}): ${(e as Error).message}. Pass --no-azurite to run without it.`,
        );
      }
      if (
        chosen &&
        (proc.ports.blob !== chosen.blob || proc.ports.queue !== chosen.queue || proc.ports.table !== chosen.table)
      ) {
        rewriteSettings(ctx.settings, proc.ports);
        ctx.logger.log(
          'warning',
          'Azurite had to move to other ports after the app loaded; clients the app created at load time may use the old ports',
        );
      }
      ctx.logger.log('information', `Azurite ready in ${proc.readyMs} ms`, {
        pid: proc.pid,
        blob: `http://127.0.0.1:${proc.ports.blob}`,
        queue: `http://127.0.0.1:${proc.ports.queue}`,
        table: `http://127.0.0.1:${proc.ports.table}`,
        location,
      });
    },
    async stop(deadlineMs) {
      const p = proc ?? (await starting?.catch(() => undefined));
      if (!p) return;
      await p.stop(Math.min(deadlineMs, 5000));
      log?.log('information', 'Azurite stopped');
    },
  };
}
