/**
 * Standalone broker process: `npx tsx devhost/servicebus/main.ts --db <file> [--port 5672] [--host 127.0.0.1]
 * [--config Config.json] [--key-name K] [--key V]`.
 * Prints one JSON line `{"event":"listening","port":N,"connectionString":"..."}` on stdout when ready.
 * SIGTERM/SIGINT stop it cleanly; kill -9 is survivable (see store.ts on durability).
 */
import { parseArgs } from 'node:util';
import { ServiceBusEmulator } from './broker';
import { compileConfig, loadConfigFile } from './config';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      port: { type: 'string', default: '5672' },
      host: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string' },
      'key-name': { type: 'string' },
      key: { type: 'string' },
    },
  });
  if (!values.db) {
    process.stderr.write(
      'usage: main.ts --db <sqlite file> [--port N] [--host H] [--config Config.json] [--key-name K] [--key V]\n',
    );
    process.exit(2);
  }
  const config = values.config ? loadConfigFile(values.config) : compileConfig({ UserConfig: { Namespaces: [{}] } });
  const emulator = new ServiceBusEmulator();
  const started = await emulator.start({
    host: values.host,
    port: Number(values.port),
    dbPath: values.db,
    config,
    ...(values['key-name'] ? { sasKeyName: values['key-name'] } : {}),
    ...(values.key ? { sasKey: values.key } : {}),
    logger: {
      log: (level, message, fields) => {
        if (level !== 'debug') process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
      },
    },
  });
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', port: started.port, connectionString: started.connectionString })}\n`,
  );
  const shutdown = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
