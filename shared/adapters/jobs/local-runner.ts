import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { NotFoundError, ValidationError } from '../../errors';
import type { JobSpec } from '../../policy/job-spec';
import { controlsProcess } from '../../policy/parameters';
import { WRAPPER_SOURCE } from './local-wrapper';
import { type ExitFile, type LocalRunRecord, LocalRunStore } from './local-store';
import { type JobRunner, type JobState, type JobStatus, type RunRef, isTerminal } from './port';

/**
 * Local commands for the embedded mode. Each run is supervised by a detached wrapper (local-wrapper.ts)
 * and persisted in the state dir (local-store.ts), so:
 * - start(key) twice returns the same run, also from a new runner instance after a restart;
 * - a run that finished while the host was down is read from its exit file;
 * - a run whose supervisor is gone without an exit file is FAILED with reason PROCESS_LOST;
 * - a start interrupted before the process was spawned (record PENDING without pid for > 10 s) is FAILED.
 * Parameters are passed as `--key value` after the args (parameterStyle 'args') or as upper-cased
 * environment variables (parameterStyle 'env'). PIDs are trusted as is (reuse within a run's life is ignored).
 *
 * The job environment is an allowlist: PATH, HOME, LANG and TMPDIR from the host (what a process needs to find
 * programs, a home, its locale and a temp dir; nothing else, so no app setting or secret), then the spec's declared
 * `env` (policy literals and `{ setting }` values resolved by jobStart), then 'env'-style parameters. A parameter
 * whose variable would steer the process (NODE_OPTIONS, LD_*, PYTHON*, PATH...) is refused: JOB_PARAMETER_NAME_REFUSED.
 */
export const HOST_ENV_ALLOWLIST = ['PATH', 'HOME', 'LANG', 'TMPDIR'] as const;

export function jobBaseEnv(host: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of HOST_ENV_ALLOWLIST) {
    const v = host[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

export interface LocalJobRunnerOptions {
  stateDir: string;
  /** Base for relative `cwd` (default: process.cwd()). */
  baseDir?: string;
  /** Bytes of output kept in `outputTail` (default 4096). */
  tailBytes?: number;
  /** The host environment the allowlisted variables are taken from (default: process.env); nothing else of it reaches a job. */
  env?: NodeJS.ProcessEnv;
  /** Called once when a run started by this instance ends (to raise a job-finished event). */
  onFinished?: (status: JobStatus) => void;
  now?: () => number;
  log?: (e: { level: 'info' | 'warning'; msg: string; runId: string; key: string; state?: JobState }) => void;
}

export function localRunId(key: string): string {
  return `local-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

export function envName(param: string): string {
  return param.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const START_GRACE_MS = 10_000;
const TIMEOUT_GRACE_MS = 10_000;

export class LocalJobRunner implements JobRunner {
  readonly store: LocalRunStore;
  private readonly children = new Map<string, ChildProcess>();
  private readonly starting = new Map<string, Promise<RunRef>>();

  constructor(private readonly options: LocalJobRunnerOptions) {
    this.store = new LocalRunStore(options.stateDir);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private refOf(rec: LocalRunRecord): RunRef {
    return { runner: 'local', runId: rec.runId, key: rec.key, startedAt: rec.createdAt, timeoutMs: rec.timeoutMs };
  }

  async start(spec: JobSpec, key: string): Promise<RunRef> {
    if (spec.runner !== 'local')
      throw new ValidationError('JOB_RUNNER_MISMATCH', `the local runner cannot run a '${spec.runner}' job`);
    if (key.length === 0) throw new ValidationError('JOB_KEY_EMPTY', 'an idempotency key is required');
    const inflight = this.starting.get(key);
    if (inflight) return inflight;
    const p = Promise.resolve()
      .then(() => this.startOnce(spec, key))
      .finally(() => this.starting.delete(key));
    this.starting.set(key, p);
    return p;
  }

  private startOnce(spec: Extract<JobSpec, { runner: 'local' }>, key: string): RunRef {
    const runId = localRunId(key);
    const paramArgs =
      spec.parameterStyle === 'args' ? Object.entries(spec.parameters).flatMap(([k, v]) => [`--${k}`, v]) : [];
    const paramEnv =
      spec.parameterStyle === 'env'
        ? Object.fromEntries(Object.entries(spec.parameters).map(([k, v]) => [envName(k), v]))
        : {};
    const refused = Object.keys(paramEnv).filter(controlsProcess);
    if (refused.length)
      throw new ValidationError(
        'JOB_PARAMETER_NAME_REFUSED',
        `parameters may not set ${refused.join(', ')}: they steer the process, not the job`,
        { details: { names: refused } },
      );
    const base = this.options.baseDir ?? process.cwd();
    const cwd = spec.cwd === undefined ? base : isAbsolute(spec.cwd) ? spec.cwd : resolve(base, spec.cwd);
    const record: LocalRunRecord = {
      key,
      runId,
      command: spec.command,
      args: [...spec.args, ...paramArgs],
      envNames: Object.keys({ ...spec.env, ...paramEnv }).sort(),
      cwd,
      timeoutMs: spec.timeoutMs,
      state: 'PENDING',
      createdAt: new Date(this.now()).toISOString(),
    };
    const { record: stored, created } = this.store.createOrGet(record);
    if (!created) return this.refOf(stored);

    let cwdOk = false;
    try {
      cwdOk = statSync(cwd).isDirectory();
    } catch {
      /* reported below */
    }
    if (!cwdOk) {
      this.finalize(stored, 'FAILED', `working directory ${cwd} does not exist`);
      return this.refOf(stored);
    }
    const logFd = openSync(this.store.logPath(runId), 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['-e', WRAPPER_SOURCE], {
        cwd,
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: {
          ...jobBaseEnv(this.options.env ?? process.env),
          ...spec.env,
          ...paramEnv,
          STAGECRAFT_JOB: JSON.stringify({
            command: spec.command,
            args: stored.args,
            cwd,
            timeoutMs: spec.timeoutMs,
            exitPath: this.store.exitPath(runId),
          }),
        },
      });
    } finally {
      closeSync(logFd);
    }
    if (child.pid === undefined) {
      this.finalize(stored, 'FAILED', 'the job supervisor could not be started');
      return this.refOf(stored);
    }
    stored.pid = child.pid;
    stored.state = 'RUNNING';
    this.store.write(stored);
    const ref = this.refOf(stored);
    this.children.set(runId, child);
    child.unref();
    child.on('exit', () => {
      this.children.delete(runId);
      void this.get(ref).then(
        (s) => {
          this.options.log?.({ level: 'info', msg: 'local job finished', runId, key, state: s.state });
          this.options.onFinished?.(s);
        },
        () => undefined,
      );
    });
    this.options.log?.({ level: 'info', msg: 'local job started', runId, key });
    return ref;
  }

  async get(ref: RunRef): Promise<JobStatus> {
    const rec = this.store.read(ref.runId);
    if (!rec)
      throw new NotFoundError('JOB_RUN_NOT_FOUND', `no local job run ${ref.runId}`, {
        details: { runId: ref.runId, key: ref.key },
      });
    if (!isTerminal(rec.state)) this.reconcile(rec);
    return this.statusOf(rec);
  }

  /** Moves a non-terminal record forward from what the file system and process table say. */
  private reconcile(rec: LocalRunRecord): void {
    const exit = this.store.readExit(rec.runId);
    if (exit) {
      this.finalizeFromExit(rec, exit);
      return;
    }
    if (rec.pid === undefined) {
      if (this.now() - Date.parse(rec.createdAt) > START_GRACE_MS)
        this.finalize(rec, 'FAILED', 'START_INTERRUPTED: the runner stopped before the process was started');
      return;
    }
    if (!alive(rec.pid)) {
      const late = this.store.readExit(rec.runId);
      if (late) {
        this.finalizeFromExit(rec, late);
        return;
      }
      if (rec.cancelRequested) this.finalize(rec, 'CANCELED', 'cancelled');
      else
        this.finalize(
          rec,
          'FAILED',
          'PROCESS_LOST: the process ended while the runner was down, without recording an exit status',
        );
      return;
    }
    if (this.now() - Date.parse(rec.createdAt) > rec.timeoutMs + TIMEOUT_GRACE_MS) {
      // The supervisor enforces the timeout itself; this only catches a stuck supervisor.
      try {
        process.kill(-rec.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      this.finalize(rec, 'TIMED_OUT', `no result within ${rec.timeoutMs} ms: process group killed`);
    }
  }

  private finalizeFromExit(rec: LocalRunRecord, exit: ExitFile): void {
    if (exit.timedOut) this.finalize(rec, 'TIMED_OUT', `no result within ${rec.timeoutMs} ms: process stopped`, exit);
    else if (exit.canceled || rec.cancelRequested) this.finalize(rec, 'CANCELED', 'cancelled', exit);
    else if (exit.error !== undefined)
      this.finalize(rec, 'FAILED', `could not run ${rec.command}: ${exit.error}`, exit);
    else if (exit.code === 0) this.finalize(rec, 'SUCCEEDED', 'exit code 0', exit);
    else
      this.finalize(
        rec,
        'FAILED',
        exit.code !== null ? `exit code ${exit.code}` : `killed by ${exit.signal ?? 'a signal'}`,
        exit,
      );
  }

  private finalize(rec: LocalRunRecord, state: JobState, reason: string, exit?: ExitFile): void {
    rec.state = state;
    rec.reason = reason;
    rec.endedAt = exit?.endedAt ?? new Date(this.now()).toISOString();
    if (exit?.code !== undefined && exit.code !== null) rec.exitCode = exit.code;
    this.store.write(rec);
  }

  private statusOf(rec: LocalRunRecord): JobStatus {
    const s: JobStatus = {
      ref: this.refOf(rec),
      state: rec.state,
      terminal: isTerminal(rec.state),
      resultSummary: rec.reason ? `${rec.state}: ${rec.reason}` : rec.state,
      outputTail: this.store.tail(rec.runId, this.options.tailBytes ?? 4096),
    };
    if (rec.exitCode !== undefined) s.exitCode = rec.exitCode;
    if (rec.endedAt !== undefined) s.endedAt = rec.endedAt;
    return s;
  }

  async cancel(ref: RunRef): Promise<void> {
    const rec = this.store.read(ref.runId);
    if (!rec)
      throw new NotFoundError('JOB_RUN_NOT_FOUND', `no local job run ${ref.runId}`, { details: { runId: ref.runId } });
    if (isTerminal(rec.state)) return;
    rec.cancelRequested = true;
    this.store.write(rec);
    if (rec.pid !== undefined && alive(rec.pid)) {
      try {
        process.kill(rec.pid, 'SIGTERM');
      } catch {
        /* exited meanwhile */
      }
    } else {
      this.reconcile(rec);
    }
  }
}
