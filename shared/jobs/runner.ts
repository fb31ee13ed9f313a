/**
 * The JobRunner for activities, from settings (the composition root, shared/services.ts `jobRunner()`, keeps one
 * per process). Each runner kind is built lazily, the first time a job of that kind is started, observed or
 * cancelled:
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
import { databricksClientFromEnv, type DatabricksJobsClient } from '../adapters/databricks';
import { DatabricksJobRunner, LocalJobRunner, type JobRunner, type JobStatus, type RunRef } from '../adapters/jobs';
import { getEventPublisher } from '../bus/publisher';
import { serviceBusSection } from '../config/core';
import { jobsSection } from '../config/jobs';
import { loadSection } from '../config/section';
import { StagecraftError, ValidationError } from '../errors';
import { EVENT_TYPES, makeEvent } from '../events';
import type { JobSpec } from '../policy/job-spec';
import type { Env } from '../config/env';

/**
 * A local run that ended becomes a `job.finished` event on the bus, the same path as a Databricks run notification:
 * the router raises it into the owning orchestration, which polls at once instead of at its next backoff step.
 * Best effort: the orchestration's own polls stay the source of truth, so a lost event only costs latency.
 */
async function publishLocalJobFinished(s: JobStatus, env: Env): Promise<void> {
  if (!s.terminal) return;
  const config = loadSection(serviceBusSection, env);
  const time = new Date().toISOString();
  const data = {
    provider: 'local',
    jobId: s.ref.key,
    runId: s.ref.runId,
    outcome: s.state === 'SUCCEEDED' ? 'success' : 'failure',
    resultState: s.state,
  };
  await getEventPublisher(config).publish([
    makeEvent(EVENT_TYPES.jobFinished, data, { source: '/stagecraft/jobs/local', time }),
  ]);
}

export type { Env } from '../config/env';

export interface JobRunnerOptions {
  /** Working directory for relative paths (default process.cwd()); never written to. */
  cwd?: string;
  /** Entra credential for Databricks when DATABRICKS_TOKEN is unset (default: DefaultAzureCredential). */
  credential?: TokenCredential;
  /** The Databricks Jobs client (the composition root's); default: built from the settings with `credential`. */
  databricks?: () => DatabricksJobsClient | undefined;
}

type Kind = RunRef['runner'];

function buildLocal(env: Env, cwd: string): JobRunner {
  const settings = loadSection(jobsSection, env);
  if (settings.inAzure) {
    throw new ValidationError(
      'LOCAL_JOBS_NOT_IN_AZURE',
      "jobs with 'runner: local' run only under the local host, not in Azure; declare the job with 'runner: databricks' for deployed apps",
      { status: 422 },
    );
  }
  const explicit = settings.jobsDir;
  const hostState = settings.hostStateDir;
  if (!explicit && !hostState) {
    throw new StagecraftError(
      'LOCAL_JOBS_STATE_DIR_UNSET',
      'local jobs need a state directory outside the app: set STAGECRAFT_JOBS_DIR (the local host sets STAGECRAFT_HOST_STATE_DIR itself)',
      { details: { setting: 'STAGECRAFT_JOBS_DIR' } },
    );
  }
  const stateDir = resolve(cwd, explicit || join(hostState!, 'jobs'));
  const policyFile = settings.policyPath;
  const baseDir = resolve(cwd, settings.baseDir || (policyFile ? dirname(resolve(cwd, policyFile)) : cwd));
  return new LocalJobRunner({
    stateDir,
    baseDir,
    onFinished: (s) => {
      publishLocalJobFinished(s, env).catch((e: unknown) => {
        // Not fatal: the owner's next poll sees the state.
        console.warn(
          JSON.stringify({
            msg: 'local job-finished event not published; the orchestration will see it at its next poll',
            runId: s.ref.runId,
            error: e instanceof Error ? e.message : String(e),
          }),
        );
      });
    },
  });
}

function buildDatabricks(env: Env, options: JobRunnerOptions): JobRunner {
  const client = options.databricks ? options.databricks() : databricksClientFromEnv(env, options.credential);
  if (!client)
    throw new ValidationError(
      'JOB_RUNNER_UNAVAILABLE',
      "no Databricks workspace is configured: set DATABRICKS_HOST (and DATABRICKS_TOKEN, or give the app's managed identity access) to run 'runner: databricks' jobs",
    );
  return new DatabricksJobRunner(client);
}

/** Routes each run to the runner of its kind, building that runner on first use (and keeping it). */
export function createJobRunner(env: Env = process.env, options: JobRunnerOptions = {}): JobRunner {
  const cwd = options.cwd ?? process.cwd();
  const built = new Map<Kind, JobRunner>();
  const pick = (kind: Kind): JobRunner => {
    let r = built.get(kind);
    if (!r) {
      r = kind === 'local' ? buildLocal(env, cwd) : buildDatabricks(env, options);
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
