/**
 * Runs one of the example project's scripts with the venv's interpreter. The scripts print exactly one JSON object
 * as their last stdout line (MLflow's own "View run at" lines come before it); `result` is that object.
 */
import { isAbsolute, join } from 'node:path';
import { DEFAULT_VENV_DIR, EXAMPLE_DIR, venvPython } from './paths';
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
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      MLFLOW_DISABLE_TELEMETRY: 'true',
      MLFLOW_DISABLE_AGENT_HINT: 'true',
      ...env,
    },
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  return { ...r, result: lastJsonLine(r.stdout) };
}
