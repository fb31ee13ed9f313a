/** The host refuses to start, naming the port and the way out, when the emulator port is taken. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LocalHost } from '../../host/host';
import { defaultExtensions } from '../../host/extensions-registry';
import { createServiceBusExtension } from '../../servicebus/extension';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-port-'));
let blocker: Server;
let host: LocalHost | undefined;

afterAll(async () => {
  await host?.stop().catch(() => undefined);
  await new Promise<void>((r) => blocker.close(() => r()));
  rmSync(stateDir, { recursive: true, force: true });
});

it('fails start-up with SERVICEBUS_PORT_IN_USE naming the port, the setting and DEVHOST_SERVICEBUS_EMBEDDED', async () => {
  blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  process.env['ServiceBusConnection'] =
    `Endpoint=sb://localhost:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`;
  host = new LocalHost({
    appDir: join(__dirname, 'fixtures', 'app'),
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
  expect(err?.code).toBe('SERVICEBUS_PORT_IN_USE');
  expect(err?.message).toContain(`Port ${port} (from ServiceBusConnection)`);
  expect(err?.message).toContain('DEVHOST_SERVICEBUS_EMBEDDED=false');
});
