/**
 * Runs one of the example project's scripts with the venv's interpreter. The scripts print exactly one JSON object
 * as their last stdout line (MLflow's own "View run at" lines come before it); `result` is that object.
 */
import { isAbsolute, join } from 'node:path';
import { DEFAULT_VENV_DIR, EXAMPLE_DIR, venvPython } from './paths';
import { spawnTracked, stopGroup } from './processes';
import { runToCompletion, type RunResult } from './run';

export interface RunPythonOptions {
  /** Interpreter (default: the example venv's python). */
  python?: string;
  /** Working directory (default: examples/ml-project). */
  cwd?: string;
  timeoutMs?: number;
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface PythonRun extends RunResult {
  /** The script's result line, parsed; undefined when the last stdout line is not a JSON object. */
  result: Record<string, unknown> | undefined;
}

export function lastJsonLine(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines.at(-1);
  if (last === undefined || !last.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(last);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function scriptEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONUNBUFFERED: '1',
    MLFLOW_DISABLE_TELEMETRY: 'true',
    MLFLOW_DISABLE_AGENT_HINT: 'true',
    ...env,
  };
}

/**
 * `script` is relative to examples/ml-project unless absolute. `env` is added to the inherited environment;
 * MLflow's interactive niceties (telemetry, the coding-agent hint) are turned off.
 */
export async function runPython(
  script: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
  options: RunPythonOptions = {},
): Promise<PythonRun> {
  const python = options.python ?? venvPython(DEFAULT_VENV_DIR);
  const path = isAbsolute(script) ? script : join(EXAMPLE_DIR, script);
  const r = await runToCompletion(python, [path, ...args], {
    cwd: options.cwd ?? EXAMPLE_DIR,
    env: scriptEnv(env),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  return { ...r, result: lastJsonLine(r.stdout) };
}

/** A script's interpreter, started ahead of time; `run` gives it its arguments (once). */
export interface WarmPython {
  /** Runs the script as `python <script> ...args` would; resolves when the process has exited. */
  run(args?: readonly string[], options?: Pick<RunPythonOptions, 'timeoutMs' | 'onOutput'>): Promise<PythonRun>;
  /** Stops the process if it is still waiting or running (safe to call after `run`). */
  stop(): Promise<void>;
}

// Imports the script once under another name (its `if __name__ == "__main__"` block does not run), waits for one
// JSON line of arguments on stdin, then runs the file as __main__ with that argv and sys.path[0], as `python
// script.py ...` does; the second execution finds its imports (mlflow, sklearn: seconds) already loaded. An empty
// stdin (stop before run) exits 0 without running it.
const WARM_BOOTSTRAP = `
import importlib.util, json, os, runpy, sys
path = sys.argv[1]
sys.path[0] = os.path.dirname(path)
spec = importlib.util.spec_from_file_location("_warm_" + os.path.basename(path)[:-3], path)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
line = sys.stdin.readline()
if not line:
    sys.exit(0)
sys.argv = [path, *json.loads(line)]
runpy.run_path(path, run_name="__main__")
`;

/**
 * Starts the interpreter for `script` now and lets it import what the script imports, so that a later `run` spends
 * only the script's own work on the caller's critical path. Same interpreter, environment, cwd, exit code and output
 * as `runPython`; what it does not exercise is the interpreter's own `python script.py` start (runPython does).
 */
export function warmPython(
  script: string,
  env: Record<string, string> = {},
  options: Pick<RunPythonOptions, 'python' | 'cwd'> = {},
): WarmPython {
  const python = options.python ?? venvPython(DEFAULT_VENV_DIR);
  const path = isAbsolute(script) ? script : join(EXAMPLE_DIR, script);
  const child = spawnTracked(python, ['-c', WARM_BOOTSTRAP, path], {
    cwd: options.cwd ?? EXAMPLE_DIR,
    env: scriptEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A process that died early makes the write fail with EPIPE; its exit code and stderr tell why.
  child.stdin?.on('error', () => undefined);
  let stdout = '';
  let stderr = '';
  let onOutput: RunPythonOptions['onOutput'];
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    onOutput?.(c, 'stdout');
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    onOutput?.(c, 'stderr');
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
    child.once('error', rej);
    child.once('close', (code, signal) => res({ code, signal }));
  });
  closed.catch(() => undefined);
  let used = false;
  return {
    async run(args = [], runOptions = {}) {
      if (used) throw new Error(`warmPython(${script}): run() called twice`);
      used = true;
      onOutput = runOptions.onOutput;
      const started = Date.now();
      let timedOut = false;
      const timer =
        runOptions.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              void stopGroup(child, 3000);
            }, runOptions.timeoutMs);
      child.stdin?.end(`${JSON.stringify(args)}\n`);
      try {
        const { code, signal } = await closed;
        return {
          code,
          signal,
          stdout,
          stderr,
          timedOut,
          durationMs: Date.now() - started,
          result: lastJsonLine(stdout),
        };
      } finally {
        if (timer) clearTimeout(timer);
      }
    },
    async stop() {
      used = true;
      child.stdin?.end();
      await stopGroup(child, 3000);
    },
  };
}
