/**
 * The process-wide JobRunner for activities, from settings. Each runner kind is built lazily, the first time a job
 * of that kind is started, observed or cancelled:
 * - `databricks`: when DATABRICKS_HOST is set; DATABRICKS_TOKEN, else a Microsoft Entra token from the managed
 *   identity (shared/adapters/databricks/from-env.ts). Touches no file system.
 * - `local` (embedded mode only): state in STAGECRAFT_JOBS_DIR, else `<host state dir>/jobs` (STAGECRAFT_HOST_STATE_DIR,
 *   published by the local host); commands resolved against STAGECRAFT_JOBS_BASE_DIR (default: the directory of the
 *   policy file, else cwd). Never under the app root: in Azure the app root is a read-only package, so a local job
 *   there fails with LOCAL_JOBS_NOT_IN_AZURE, and without a state dir setting with LOCAL_JOBS_STATE_DIR_UNSET.
 * One instance per process: the local runner tracks its child processes.
 */
import type { TokenCredential } from '@azure/identity';
import { dirname, join, resolve } from 'node:path';
import { databricksClientFromEnv } from '../adapters/databricks';
import { DatabricksJobRunner, LocalJobRunner, type JobRunner, type JobStatus, type RunRef } from '../adapters/jobs';
import { getEventPublisher } from '../bus/publisher';
import { loadConfig } from '../config';
import { runningInAzure } from '../config/azure';
import { StagecraftError, ValidationError } from '../errors';
import { EVENT_TYPES, makeEvent } from '../events';
import type { JobSpec } from '../policy/job-spec';

/**
 * A local run that ended becomes a `job.finished` event on the bus, the same path as a Databricks run notification:
 * the router raises it into the owning orchestration, which polls at once instead of at its next backoff step.
 * Best effort: the orchestration's own polls stay the source of truth, so a lost event only costs latency.
 */
async function publishLocalJobFinished(s: JobStatus, env: Env): Promise<void> {
  if (!s.terminal) return;
  const config = loadConfig(env);
  const time = new Date().toISOString();
  const data = { provider: 'local', jobId: s.ref.key, runId: s.ref.runId, outcome: s.state === 'SUCCEEDED' ? 'success' : 'failure', resultState: s.state };
  await getEventPublisher(config.serviceBus).publish([makeEvent(EVENT_TYPES.jobFinished, data, { source: '/stagecraft/jobs/local', time })]);
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface JobRunnerOptions {
  /** Working directory for relative paths (default process.cwd()); never written to. */
  cwd?: string;
  /** Entra credential for Databricks when DATABRICKS_TOKEN is unset (default: DefaultAzureCredential). */
  credential?: TokenCredential;
}

type Kind = RunRef['runner'];

function buildLocal(env: Env, cwd: string): JobRunner {
  if (runningInAzure(env)) {
    throw new ValidationError('LOCAL_JOBS_NOT_IN_AZURE', "jobs with 'runner: local' run only under the local host, not in Azure; declare the job with 'runner: databricks' for deployed apps", { status: 422 });
  }
  const explicit = env['STAGECRAFT_JOBS_DIR']?.trim();
  const hostState = env['STAGECRAFT_HOST_STATE_DIR']?.trim();
  if (!explicit && !hostState) {
    throw new StagecraftError('LOCAL_JOBS_STATE_DIR_UNSET', 'local jobs need a state directory outside the app: set STAGECRAFT_JOBS_DIR (the local host sets STAGECRAFT_HOST_STATE_DIR itself)', { details: { setting: 'STAGECRAFT_JOBS_DIR' } });
  }
  const stateDir = resolve(cwd, explicit || join(hostState!, 'jobs'));
  const policyFile = env['STAGECRAFT_POLICY_PATH']?.trim();
  const baseDir = resolve(cwd, env['STAGECRAFT_JOBS_BASE_DIR']?.trim() || (policyFile ? dirname(resolve(cwd, policyFile)) : cwd));
  return new LocalJobRunner({
    stateDir,
    baseDir,
    onFinished: (s) => {
      publishLocalJobFinished(s, env).catch((e: unknown) => {
        // Not fatal: the owner's next poll sees the state.
        console.warn(JSON.stringify({ msg: 'local job-finished event not published; the orchestration will see it at its next poll', runId: s.ref.runId, error: e instanceof Error ? e.message : String(e) }));
      });
    },
  });
}

function buildDatabricks(env: Env, credential: TokenCredential | undefined): JobRunner {
  const client = databricksClientFromEnv(env, credential);
  if (!client) throw new ValidationError('JOB_RUNNER_UNAVAILABLE', "no Databricks workspace is configured: set DATABRICKS_HOST (and DATABRICKS_TOKEN, or give the app's managed identity access) to run 'runner: databricks' jobs");
  return new DatabricksJobRunner(client);
}

/** Routes each run to the runner of its kind, building that runner on first use (and keeping it). */
export function createJobRunner(env: Env = process.env, options: JobRunnerOptions = {}): JobRunner {
  const cwd = options.cwd ?? process.cwd();
  const built = new Map<Kind, JobRunner>();
  const pick = (kind: Kind): JobRunner => {
    let r = built.get(kind);
    if (!r) {
      r = kind === 'local' ? buildLocal(env, cwd) : buildDatabricks(env, options.credential);
      built.set(kind, r);
    }
    return r;
  };
  return {
    start: async (spec: JobSpec, key: string, signal?: AbortSignal) => pick(spec.runner).start(spec, key, signal),
    get: async (ref: RunRef, signal?: AbortSignal) => pick(ref.runner).get(ref, signal),
    cancel: async (ref: RunRef, signal?: AbortSignal) => pick(ref.runner).cancel(ref, signal),
  };
}

const SETTINGS = ['STAGECRAFT_JOBS_DIR', 'STAGECRAFT_HOST_STATE_DIR', 'STAGECRAFT_JOBS_BASE_DIR', 'STAGECRAFT_POLICY_PATH', 'DATABRICKS_HOST', 'DATABRICKS_TOKEN', 'AZURE_CLIENT_ID', 'WEBSITE_INSTANCE_ID', 'WEBSITE_SKU'];
let runner: { key: string; runner: JobRunner } | undefined;

/** The process-wide runner (rebuilt only when a setting it reads changes, e.g. between tests). */
export function jobRunnerFromEnv(env: Env = process.env): JobRunner {
  const key = SETTINGS.map((n) => (n === 'DATABRICKS_TOKEN' ? (env[n] ? 'set' : '') : env[n] ?? '')).join('|');
  if (runner?.key === key) return runner.runner;
  runner = { key, runner: createJobRunner(env) };
  return runner.runner;
}
