/**
 * The local host's CLI: `devhost start | instances | servicebus | help`. Exit codes: 0 ok, 1 runtime failure,
 * 2 usage error (the message names what is missing or wrong).
 *
 * Plug-in hook: an app adds its own commands by calling `runCli(argv, { name, commands, ... })` from its own bin
 * (see devhost/README.md). The built-in commands keep working under the app's name; the app's commands get the
 * arguments after their command word and the resolved app and state folders.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hostSetting } from './host/setting-names';

/** What every command gets besides its arguments. */
export interface CliContext {
  /** The CLI's name, for usage text and hints (`devhost`, or the app's CLI name). */
  program: string;
  /** `--app DIR`, else the current folder (absolute). */
  appDir: string;
  /** `--state DIR`, else `<appDir>/<stateDirName>` (absolute). */
  stateDir: string;
}

/** A command an app plugs into the CLI. */
export interface CliCommand {
  /** The command word (`approvals`). */
  name: string;
  /** Its lines in the help text (indented by two spaces, like the built-in commands). */
  usage: string;
  /**
   * Runs the command. `argv` is everything after the command word, common options included (so a command can read
   * the ones it declares). Resolves to the exit code; a thrown error is printed and exits 1.
   */
  run(argv: string[], ctx: CliContext): Promise<number>;
}

export interface CliOptions {
  /** The CLI's name (default `devhost`). */
  name?: string;
  /** The app's commands, listed after the built-in ones. A name may not repeat a built-in command. */
  commands?: readonly CliCommand[];
  /** The state folder's name under the app folder when `--state` is not given (default `.devhost`). */
  stateDirName?: string;
  /**
   * Options (each taking a value) the app's commands share, such as `key`: allowed anywhere on the command line and
   * removed from the arguments of the built-in commands.
   */
  commonOptions?: readonly string[];
  /** Help lines after the commands (default: the built-in common options). */
  footer?: string;
  /** App settings (besides AzureWebJobsStorage and local.settings.json Values) that may name development storage. */
  storageSettings?: readonly string[];
}

/** Options every command accepts: where the app and its state are, and the running host's URL. */
const BUILT_IN_COMMON = ['app', 'state', 'url'];

const DEFAULT_FOOTER = '  Common options: --app DIR, --state DIR, --url URL (or DEVHOST_URL)';

function usageText(program: string, options: CliOptions): string {
  const plugged = (options.commands ?? []).map((c) => `${c.usage}\n`).join('');
  return `Usage: ${program} <command> [options]

Commands:
  start [--app DIR] [--port N] [--state DIR] [--host ADDR] [--no-azurite] [--azure-parity]
        Run the Azure Functions v4 app in DIR (default: current folder) like \`func start\`.
        --azure-parity runs it as Azure would: from a read-only copy of the deployment package, WEBSITE_* set,
        %Setting% expressions from app settings only (see devhost/host/README.md).
  instances list|show|raise|terminate|purge ...   Durable instances (running host or state dir)
  servicebus list|peek|resubmit ...                Service Bus emulator entities and dead letters
${plugged}
${options.footer ?? DEFAULT_FOOTER}
  help  Show this text.
`;
}

/**
 * Splits `argv` into the values of the `names` options (each takes a value; `--x V` or `--x=V`, anywhere) and the
 * remaining arguments in order. Other options are left as they are, for the command's own parser.
 */
export function splitCommonOptions(
  argv: readonly string[],
  names: readonly string[],
): { values: Record<string, string | undefined>; rest: string[] } {
  const options = Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | undefined> = {};
  const drop = new Set<number>();
  for (const t of tokens) {
    if (t.kind !== 'option' || !names.includes(t.name)) continue;
    // A common option given without a value (last argument) is left for the command to reject.
    if (typeof t.value !== 'string') continue;
    values[t.name] = t.value;
    drop.add(t.index);
    if (!t.inlineValue) drop.add(t.index + 1);
  }
  return { values, rest: argv.filter((_, i) => !drop.has(i)) };
}

/** The command word: the first positional argument (options before it belong to the command line as a whole). */
function commandWord(
  argv: readonly string[],
  commonNames: readonly string[],
): { command: string | undefined; args: string[] } {
  const options = Object.fromEntries(commonNames.map((n) => [n, { type: 'string' as const }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional');
  if (!first) return { command: undefined, args: [] };
  return { command: first.value, args: argv.filter((_, i) => i !== first.index) };
}

function usageError(message: string, usage: string): number {
  process.stderr.write(`${message}\n\n${usage}`);
  return 2;
}

async function start(argv: string[], ctx: CliContext, options: CliOptions, usage: string): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        app: { type: 'string' },
        state: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'no-azurite': { type: 'boolean' },
        'azure-parity': { type: 'boolean' },
      },
    }));
  } catch (e) {
    return usageError((e as Error).message, usage);
  }
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && (values.port === '' || !Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be a whole number from 0 to 65535 (got ${String(values.port)})\n`);
    return 2;
  }
  // Loaded here so that the other commands do not pay for the host's modules.
  const { LocalHost } = await import('./host/host.js');
  const { HostError } = await import('./host/types.js');
  const host = new LocalHost({
    appDir: ctx.appDir,
    ...(port !== undefined ? { port } : {}),
    stateDir: ctx.stateDir,
    ...(values.host !== undefined ? { listenHost: values.host } : {}),
    azurite: values['no-azurite'] !== true,
    parity: values['azure-parity'] === true,
    ...(options.storageSettings ? { storageSettings: options.storageSettings } : {}),
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
    host.stop(Number(hostSetting(process.env, 'SHUTDOWN_TIMEOUT_MS') ?? 10_000)).then(
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
    process.stderr.write(
      `[${ctx.program}] unhandled promise rejection (host keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
    );
  });
  process.on('uncaughtException', (err) => {
    process.stderr.write(`[${ctx.program}] uncaught exception (host keeps running): ${err.stack ?? err.message}\n`);
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

/** Runs the CLI with the app's plug-in commands. Resolves to the exit code. */
export async function runCli(argv: readonly string[], options: CliOptions = {}): Promise<number> {
  const program = options.name ?? 'devhost';
  const usage = usageText(program, options);
  const pluginCommon = options.commonOptions ?? [];
  const { command, args } = commandWord(argv, [...BUILT_IN_COMMON, ...pluginCommon]);
  const { values: common, rest: ownArgs } = splitCommonOptions(args, [...BUILT_IN_COMMON, ...pluginCommon]);
  const appDir = resolve(common['app'] ?? process.cwd());
  const ctx: CliContext = {
    program,
    appDir,
    stateDir: resolve(common['state'] ?? resolve(appDir, options.stateDirName ?? '.devhost')),
  };
  switch (command) {
    case 'start':
      return start(ownArgs, ctx, options, usage).catch((e: unknown) => {
        process.stderr.write(`${(e as Error).message}\n`);
        return 1;
      });
    case 'instances': {
      const { instancesCommand } = await import('./durable/cli.js');
      const url = common['url'] ?? hostSetting(process.env, 'URL');
      return instancesCommand(ownArgs, {
        appDir: ctx.appDir,
        stateDir: ctx.stateDir,
        program,
        ...(url ? { url: url.replace(/\/+$/, '') } : {}),
      });
    }
    case 'servicebus': {
      const { servicebusCommand } = await import('./servicebus/cli.js');
      return servicebusCommand(ownArgs, { appDir: ctx.appDir, stateDir: ctx.stateDir, program });
    }
    case undefined:
    case 'help':
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default: {
      const plugged = options.commands?.find((c) => c.name === command);
      if (!plugged) return usageError(`Unknown command "${command}".`, usage);
      try {
        return await plugged.run(args, ctx);
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 1;
      }
    }
  }
}

/** `devhost <command>`: the CLI with no app commands. */
export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv);
}
