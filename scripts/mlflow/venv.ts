/**
 * A Python virtual environment with a requirements file installed, created once and reused.
 *
 * Invariants:
 * - Idempotent: `<dir>/.stagecraft-requirements.sha256` holds the hash of (requirements text, base Python version);
 *   a matching stamp means nothing is run. The stamp is written only after pip succeeded, so an interrupted
 *   install is redone next time.
 * - Concurrent callers (parallel test files, a demo started twice) serialise on `<dir>.lock` (mkdir is atomic).
 * - A missing or too old Python is an error (ConfigError), never a silent skip: the e2e suite must fail without it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, TransientError } from '../../shared/errors';
import { venvPython } from './paths';
import { runToCompletion } from './run';

const MIN_PYTHON: readonly [number, number] = [3, 10];
const STAMP_FILE = '.stagecraft-requirements.sha256';
const LOCK_STALE_MS = 30 * 60_000;

export interface EnsureVenvOptions {
  /** Base interpreter used to create the venv (default: $STAGECRAFT_PYTHON, then python3.11, python3, python). */
  python?: string;
  /** Called with one line per step ("creating venv", "pip install ..."), for progress output. */
  onProgress?: (line: string) => void;
  /** Maximum time for pip install (default 15 min). */
  installTimeoutMs?: number;
}

export interface EnsuredVenv {
  dir: string;
  /** The venv's interpreter. */
  python: string;
  /** Whether this call created the venv and/or ran pip (false: the stamp matched). */
  created: boolean;
  installed: boolean;
  venvMs: number;
  installMs: number;
}

interface PythonInfo {
  path: string;
  version: string;
}

function probePython(candidate: string): PythonInfo | undefined {
  const r = spawnSync(candidate, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  const version = r.stdout.trim();
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) return undefined;
  return { path: candidate, version };
}

/** The base Python to build venvs with; throws ConfigError naming what was tried. */
export function findPython(explicit?: string): PythonInfo {
  const fromEnv = process.env['STAGECRAFT_PYTHON'];
  const candidates = explicit ? [explicit] : fromEnv ? [fromEnv] : ['python3.11', 'python3', 'python'];
  for (const c of candidates) {
    const info = probePython(c);
    if (info) return info;
  }
  throw new ConfigError(
    `Python ${MIN_PYTHON.join('.')}+ not found (tried ${candidates.join(', ')}). Install Python 3.11 or set STAGECRAFT_PYTHON to an interpreter.`,
    { tried: candidates },
  );
}

async function withLock<T>(lockDir: string, fn: () => Promise<T>, waitMs: number): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        continue; // released between mkdir and stat
      }
      if (age > LOCK_STALE_MS) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new TransientError(
          'VENV_LOCKED',
          `another process holds ${lockDir} (installing?); remove it if no install is running`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export async function ensureVenv(
  dir: string,
  requirementsFile: string,
  options: EnsureVenvOptions = {},
): Promise<EnsuredVenv> {
  if (!existsSync(requirementsFile))
    throw new ConfigError(`requirements file not found: ${requirementsFile}`, { requirementsFile });
  const base = findPython(options.python);
  const requirements = readFileSync(requirementsFile, 'utf8');
  const stamp = createHash('sha256').update(`python ${base.version}\n`).update(requirements).digest('hex');
  const python = venvPython(dir);
  const stampPath = join(dir, STAMP_FILE);
  const progress = options.onProgress ?? (() => undefined);
  const installTimeoutMs = options.installTimeoutMs ?? 15 * 60_000;

  const upToDate = () =>
    existsSync(python) && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === stamp;
  if (upToDate()) return { dir, python, created: false, installed: false, venvMs: 0, installMs: 0 };

  mkdirSync(dirname(dir), { recursive: true });
  return withLock(
    `${dir}.lock`,
    async () => {
      if (upToDate()) return { dir, python, created: false, installed: false, venvMs: 0, installMs: 0 };
      let created = false;
      let venvMs = 0;
      if (!existsSync(python)) {
        progress(`creating virtual environment ${dir} with ${base.path} (${base.version})`);
        const t0 = Date.now();
        const r = await runToCompletion(base.path, ['-m', 'venv', dir], { timeoutMs: 120_000 });
        if (r.code !== 0)
          throw new ConfigError(`python -m venv failed (exit ${r.code}): ${r.stderr.slice(-2000)}`, { dir });
        venvMs = Date.now() - t0;
        created = true;
      }
      progress(`pip install -r ${requirementsFile} (first run downloads ~300 MB of wheels)`);
      const t1 = Date.now();
      const logFile = join(dir, 'pip-install.log');
      const r = await runToCompletion(
        python,
        ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-r', requirementsFile],
        { timeoutMs: installTimeoutMs, env: { ...process.env, PIP_NO_INPUT: '1' } },
      );
      writeFileSync(logFile, r.stdout + r.stderr);
      if (r.code !== 0) {
        throw new ConfigError(`pip install failed (exit ${r.code}); see ${logFile}: ${r.stderr.slice(-2000)}`, {
          dir,
          requirementsFile,
        });
      }
      const installMs = Date.now() - t1;
      writeFileSync(stampPath, `${stamp}\n`);
      return { dir, python, created, installed: true, venvMs, installMs };
    },
    installTimeoutMs + 120_000,
  );
}
