/**
 * The `stagecraft` CLI: the local host's CLI (devhost: start, instances, servicebus) plus Stagecraft's operator
 * commands, plugged in through devhost's `runCli` hook. Never deployed (.funcignore leaves out dist/cli).
 * Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 refused (approvals, rollback, retrain, audit).
 */
import { runCli, type CliCommand, type CliOptions } from '../devhost/cli';
import type { OPS_COMMANDS } from './ops';
import { COMMAND_USAGE, COMMON_USAGE } from './usage';

/** A command whose code (and the app's shared/ modules) loads only when it runs, so `stagecraft start` stays lean. */
function lazy(name: keyof typeof OPS_COMMANDS): CliCommand {
  return {
    name,
    usage: COMMAND_USAGE[name],
    run: async (argv, ctx) => (await import('./ops.js')).OPS_COMMANDS[name](argv, ctx),
  };
}

export const STAGECRAFT_CLI: CliOptions = {
  name: 'stagecraft',
  stateDirName: '.stagecraft',
  commands: [lazy('policy'), lazy('approvals'), lazy('rollback'), lazy('retrain'), lazy('runs'), lazy('audit')],
  commonOptions: ['key', 'identity-key'],
  footer: COMMON_USAGE,
  // The app's own storage setting (records, reports) may point at development storage on its own.
  storageSettings: ['STAGECRAFT_STORAGE'],
};

export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, STAGECRAFT_CLI);
}
