/**
 * `stagecraft` CLI: runs the local host and operator commands.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage error.
 */
import { resolve } from 'node:path';
import { LocalHost } from './host/host';
import { HostError } from './host/types';
import { OPS_USAGE } from './cli-usage';

export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  flags: Record<string, string | boolean>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (a.startsWith('--no-')) flags[a.slice(5)] = false;
      else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          flags[a.slice(2)] = next;
          i++;
        } else flags[a.slice(2)] = true;
      }
    } else positionals.push(a);
  }
  const [command, ...rest] = positionals;
  return { command, positionals: rest, flags };
}

const USAGE = `Usage: stagecraft <command> [options]

Commands:
  start [--app DIR] [--port N] [--state DIR] [--host ADDR] [--no-azurite] [--azure-parity]
        Run the Azure Functions v4 app in DIR (default: current folder) like \`func start\`.
        --azure-parity runs it as Azure would: from a read-only copy of the deployment package, WEBSITE_* set,
        %Setting% expressions from app settings only (see devhost/host/README.md).
${OPS_USAGE}
  help  Show this text.
`;

async function start(args: ParsedArgs): Promise<number> {
  const appDir = resolve(typeof args.flags['app'] === 'string' ? args.flags['app'] : process.cwd());
  const portFlag = args.flags['port'];
  const port = typeof portFlag === 'string' ? Number(portFlag) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be a whole number from 0 to 65535 (got ${String(portFlag)})\n`);
    return 2;
  }
  const host = new LocalHost({
    appDir,
    ...(port !== undefined ? { port } : {}),
    ...(typeof args.flags['state'] === 'string' ? { stateDir: resolve(args.flags['state']) } : {}),
    ...(typeof args.flags['host'] === 'string' ? { listenHost: args.flags['host'] } : {}),
    azurite: args.flags['azurite'] !== false,
    parity: args.flags['azure-parity'] === true,
  });
  let exiting = false;
  const shutdown = (signal: string) => {
    if (exiting) {
      // A second signal means "now": skip the drain.
      process.stderr.write(`Received ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    exiting = true;
    process.stdout.write(`\nReceived ${signal}, shutting down...\n`);
    host.stop(Number(process.env['STAGECRAFT_SHUTDOWN_TIMEOUT_MS'] ?? 10_000)).then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`Shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // App code failing outside an invocation (a stray promise, a throwing timer callback) is logged; the host keeps
  // serving, as a dev host should, where Azure would recycle the worker.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`[stagecraft] unhandled promise rejection (host keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  });
  process.on('uncaughtException', (err) => {
    process.stderr.write(`[stagecraft] uncaught exception (host keeps running): ${err.stack ?? err.message}\n`);
  });
  try {
    await host.start();
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`\nStart-up failed: ${err.message}\n`);
    if (!(e instanceof HostError)) process.stderr.write(`${err.stack ?? ''}\n`);
    await host.stop(2000).catch(() => undefined);
    return 1;
  }
  return new Promise<number>(() => undefined); // runs until a signal
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.command) {
    case 'start':
      return start(args);
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return args.command === undefined ? 2 : 0;
    default: {
      // Loaded on demand so `stagecraft start` does not pay for the operator commands' modules.
      const { runOpsCommand } = await import('./cli-ops.js');
      const code = await runOpsCommand(args, argv);
      if (code !== undefined) return code;
    }
      process.stderr.write(`Unknown command "${args.command}".\n\n${USAGE}`);
      return 2;
  }
}
