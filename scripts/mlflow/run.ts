import { spawnTracked, stopGroup } from './processes';

export interface RunOptions {
  cwd?: string;
  /** The complete environment of the child (callers merge process.env themselves when they want it). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Live output, e.g. to stream a script's progress. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  /** Exit code; null when the process was killed (timeout or signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Runs a command in its own tracked process group and collects its output; on timeout the group is stopped. */
export async function runToCompletion(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const started = Date.now();
  const child = spawnTracked(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    options.onOutput?.(c, 'stdout');
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    options.onOutput?.(c, 'stderr');
  });
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          void stopGroup(child, 3000);
        }, options.timeoutMs);
  try {
    return await new Promise<RunResult>((res, rej) => {
      child.once('error', rej);
      child.once('close', (code, signal) =>
        res({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started }),
      );
    });
  } finally {
    if (timer) clearTimeout(timer);
  }
}
