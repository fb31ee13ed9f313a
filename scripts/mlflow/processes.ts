/**
 * Child processes that must not outlive us. Every process is spawned as the leader of its own process group
 * (`detached: true`) so that stopping it stops its whole tree: `mlflow server` forks uvicorn (and, unless
 * disabled, a job runner with several huey consumers), and killing only the CLI process leaves those running.
 *
 * Invariants:
 * - Every spawned group is in `live` until its leader exits and is killed (SIGKILL) synchronously on process exit.
 * - On SIGINT/SIGTERM the groups get SIGTERM; when we were the only listener for that signal we then exit
 *   with 128+signal, as Node would have without a listener.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Map<number, ChildProcess>();
let handlersInstalled = false;

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function onSignal(signal: NodeJS.Signals, code: number): void {
  for (const pid of live.keys()) signalGroup(pid, 'SIGTERM');
  if (process.listenerCount(signal) <= 1) {
    // Give the groups a moment to flush, then make sure nothing is left.
    setTimeout(() => {
      for (const pid of live.keys()) signalGroup(pid, 'SIGKILL');
      process.exit(code);
    }, 1500).unref();
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const pid of live.keys()) signalGroup(pid, 'SIGKILL');
  });
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
}

/** spawn() in a new process group that is tracked until it exits. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  installHandlers();
  const child = spawn(command, args, { ...options, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    live.set(pid, child);
    child.once('exit', () => {
      // The leader is gone; anything still in its group (a forked worker) is stopped with it.
      if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
      live.delete(pid);
    });
  }
  return child;
}

/**
 * SIGTERM to the group, SIGKILL after `graceMs` if anything in it is still alive. Resolves with the leader's exit
 * code (null when killed by a signal) once the whole group is gone.
 */
export async function stopGroup(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  const pid = child.pid;
  if (pid === undefined) return child.exitCode;
  const exited =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((res) => child.once('exit', () => res()));
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  await exited;
  const killDeadline = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  live.delete(pid);
  return child.exitCode;
}

/** Number of tracked groups still running (tests assert nothing leaks). */
export function liveGroupCount(): number {
  return [...live.keys()].filter(groupAlive).length;
}
