/**
 * The host refuses to start when a trigger's isSessionsEnabled disagrees with the entity's RequiresSession, naming
 * the function, the entity and the fix (Azure would fail that trigger at run time).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LocalHost } from '../../host/host';
import { defaultExtensions } from '../../host/extensions-registry';
import { createServiceBusExtension } from '../../servicebus/extension';
import { freePort } from '../helpers/host';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-mismatch-'));
let host: LocalHost | undefined;

afterAll(async () => {
  await host?.stop().catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
});

it('fails start-up with SERVICEBUS_SESSION_MISMATCH when a session trigger listens on a queue without RequiresSession', async () => {
  const appDir = join(__dirname, 'fixtures', 'app');
  const config = JSON.parse(readFileSync(join(appDir, 'infra', 'servicebus', 'Config.json'), 'utf8')) as {
    UserConfig: { Namespaces: Array<{ Queues: Array<{ Name: string; Properties: Record<string, unknown> }> }> };
  };
  for (const q of config.UserConfig.Namespaces[0]!.Queues)
    if (q.Name === 'by-session') q.Properties['RequiresSession'] = false;
  const configPath = join(stateDir, 'Config.json');
  writeFileSync(configPath, JSON.stringify(config));
  process.env['ServiceBusEmulatorConfig'] = configPath;
  process.env['ServiceBusConnection'] =
    `Endpoint=sb://localhost:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`;
  host = new LocalHost({
    appDir,
    port: 0,
    stateDir,
    azurite: false,
    extensions: (o) => {
      const exts = defaultExtensions(o);
      return exts.some((e) => e.name === 'servicebus') ? exts : [...exts, createServiceBusExtension()];
    },
  });
  const err = await host.start().then(
    () => undefined,
    (e: unknown) => e as { code?: string; message: string },
  );
  expect(err?.code).toBe('SERVICEBUS_SESSION_MISMATCH');
  expect(err?.message).toContain(
    "Function 'perSession' has isSessionsEnabled but 'by-session' does not require sessions",
  );
});
