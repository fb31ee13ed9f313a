/**
 * The process-wide JobRunner for activities, from settings:
 * - local jobs (embedded mode) always: state in STAGECRAFT_JOBS_DIR (default `<host state dir>/jobs`), commands
 *   resolved against STAGECRAFT_JOBS_BASE_DIR (default: the directory of the policy file, else cwd);
 * - Databricks jobs when DATABRICKS_HOST and DATABRICKS_TOKEN are set.
 * One instance per process: the local runner tracks its child processes.
 */
import { dirname, join, resolve } from 'node:path';
import { DatabricksJobsClient } from '../adapters/databricks';
import { bearerAuth } from '../adapters/http';
import { CompositeJobRunner, DatabricksJobRunner, LocalJobRunner, type JobRunner, type JobStatus } from '../adapters/jobs';
import { getEventPublisher } from '../bus/publisher';
import { loadConfig } from '../config';
import { localStateDir } from '../config/local-state';
import { EVENT_TYPES, makeEvent } from '../events';

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

let runner: { key: string; runner: JobRunner } | undefined;

export function jobRunnerFromEnv(env: Env = process.env): JobRunner {
  const jobsDir = resolve(env['STAGECRAFT_JOBS_DIR']?.trim() || join(localStateDir(env), 'jobs'));
  const policyFile = env['STAGECRAFT_POLICY_PATH']?.trim();
  const baseDir = resolve(env['STAGECRAFT_JOBS_BASE_DIR']?.trim() || (policyFile ? dirname(resolve(policyFile)) : process.cwd()));
  const host = env['DATABRICKS_HOST']?.trim();
  const token = env['DATABRICKS_TOKEN']?.trim();
  const key = `${jobsDir}|${baseDir}|${host ?? ''}|${token ? 'token' : ''}`;
  if (runner?.key === key) return runner.runner;
  const local = new LocalJobRunner({
    stateDir: jobsDir,
    baseDir,
    onFinished: (s) => {
      publishLocalJobFinished(s, env).catch((e: unknown) => {
        // Not fatal: the owner's next poll sees the state.
        console.warn(JSON.stringify({ msg: 'local job-finished event not published; the orchestration will see it at its next poll', runId: s.ref.runId, error: e instanceof Error ? e.message : String(e) }));
      });
    },
  });
  const runners: ConstructorParameters<typeof CompositeJobRunner>[0] = { local };
  if (host && token) {
    const baseUrl = /^https?:\/\//i.test(host) ? host : `https://${host}`;
    runners.databricks = new DatabricksJobRunner(new DatabricksJobsClient({ baseUrl, auth: bearerAuth(token) }));
  }
  runner = { key, runner: new CompositeJobRunner(runners) };
  return runner.runner;
}
