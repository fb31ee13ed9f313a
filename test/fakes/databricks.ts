import { HttpError, type JsonServer, type RecordedRequest, params, startJsonServer, str } from './json-server';

/**
 * Fake Databricks Jobs API 2.2 (2.1 paths too), from the documented API (databricks-sdk service/jobs,
 * Jobs API reference): run-now and runs/submit with `idempotency_token` (one run per token: the second
 * call answers the first run's id), runs/get, runs/cancel, jobs/get, jobs/reset, jobs/create.
 *
 * Run lifecycle: PENDING → RUNNING → TERMINATED(result). By default it advances on a schedule computed
 * from the run's creation (pendingMs, runningMs per job or globally) each time it is observed; with
 * `manual: true` it only moves when the test calls `advance(runId, ...)`. A finished run optionally posts
 * the documented job notification (`jobs.on_success` / `jobs.on_failure`) to `notificationUrl`.
 * Unknown job/run errors follow the SDK's error shape; their exact codes are not confirmed by docs.
 */
export type ResultState = 'SUCCESS' | 'FAILED' | 'TIMEDOUT' | 'CANCELED' | 'SUCCESS_WITH_FAILURES' | 'INTERNAL_ERROR';

export interface RunBehavior {
  pendingMs?: number;
  runningMs?: number;
  result?: ResultState;
  message?: string;
  manual?: boolean;
}

export interface FakeJob {
  job_id: number;
  created_time: number;
  creator_user_name: string;
  settings: Record<string, unknown>;
  behavior?: RunBehavior;
}

export interface FakeRun {
  run_id: number;
  job_id?: number;
  run_name: string;
  run_type: 'JOB_RUN' | 'SUBMIT_RUN';
  idempotency_token?: string;
  job_parameters: Record<string, string>;
  tasks: unknown[];
  created: number;
  behavior: Required<Omit<RunBehavior, 'message'>> & { message?: string };
  /** Set once the run is terminal (by schedule, advance() or cancel). */
  terminal?: { result: ResultState; message: string; at: number };
  /** Manual mode: the phase the test moved it to. */
  phase: 'PENDING' | 'RUNNING';
  notified: boolean;
}

export interface FakeDatabricksState {
  jobs: Map<number, FakeJob>;
  runs: Map<number, FakeRun>;
  tokens: Map<string, number>;
  /** jobs/reset history: what each job's settings were before and after. */
  resets: { job_id: number; before: Record<string, unknown>; after: Record<string, unknown>; at: number }[];
  defaults: Required<Omit<RunBehavior, 'message'>>;
  notificationUrl?: string;
  notifications: { url: string; payload: unknown; status?: number; error?: string }[];
}

export interface FakeDatabricks extends Omit<JsonServer, 'close'> {
  state: FakeDatabricksState;
  seedJob(settings?: Record<string, unknown>, o?: { jobId?: number; behavior?: RunBehavior }): FakeJob;
  /** Manual mode (or to force): move a run to RUNNING or finish it with a result. */
  advance(runId: number, to: 'RUNNING' | ResultState, message?: string): void;
  /** Lifecycle as runs/get would report it now. */
  lifecycle(runId: number): { life_cycle_state: string; result_state?: string };
  close(): Promise<void>;
}

export async function startFakeDatabricks(
  o: { defaults?: RunBehavior; notificationUrl?: string; tickMs?: number } = {},
): Promise<FakeDatabricks> {
  const state: FakeDatabricksState = {
    jobs: new Map(),
    runs: new Map(),
    tokens: new Map(),
    resets: [],
    notifications: [],
    defaults: {
      pendingMs: o.defaults?.pendingMs ?? 50,
      runningMs: o.defaults?.runningMs ?? 100,
      result: o.defaults?.result ?? 'SUCCESS',
      manual: o.defaults?.manual ?? false,
    },
    ...(o.notificationUrl ? { notificationUrl: o.notificationUrl } : {}),
  };
  let nextJobId = 1001;
  let nextRunId = 5_000_001;
  const now = () => Date.now();
  const pending = new Set<Promise<void>>();

  const seedJob: FakeDatabricks['seedJob'] = (settings = {}, opts = {}) => {
    const job: FakeJob = {
      job_id: opts.jobId ?? nextJobId++,
      created_time: now(),
      creator_user_name: 'sp-stagecraft@example.com',
      settings: { name: 'job', ...settings },
    };
    if (opts.behavior) job.behavior = opts.behavior;
    state.jobs.set(job.job_id, job);
    return job;
  };

  const finish = (run: FakeRun, result: ResultState, message: string, at: number) => {
    if (run.terminal) return;
    run.terminal = { result, message, at };
  };

  /** Applies the schedule (auto mode) and fires the notification once. */
  const observe = (run: FakeRun): void => {
    if (!run.terminal && !run.behavior.manual) {
      const t = now() - run.created;
      if (t >= run.behavior.pendingMs + run.behavior.runningMs)
        finish(
          run,
          run.behavior.result,
          run.behavior.message ?? '',
          run.created + run.behavior.pendingMs + run.behavior.runningMs,
        );
    }
    if (run.terminal && !run.notified && state.notificationUrl) {
      run.notified = true;
      const ok = run.terminal.result === 'SUCCESS' || run.terminal.result === 'SUCCESS_WITH_FAILURES';
      const payload = {
        event_type: ok ? 'jobs.on_success' : 'jobs.on_failure',
        workspace_id: '1234567890123456',
        run: { run_id: String(run.run_id) },
        job: { job_id: String(run.job_id ?? ''), name: run.run_name },
      };
      const url = state.notificationUrl;
      const entry: FakeDatabricksState['notifications'][number] = { url, payload };
      state.notifications.push(entry);
      const p = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(5000),
      })
        .then((res) => {
          entry.status = res.status;
        })
        .catch((e: unknown) => {
          entry.error = (e as Error).message;
        })
        .finally(() => pending.delete(p));
      pending.add(p);
    }
  };

  const lifecycle = (run: FakeRun): { life_cycle_state: string; result_state?: string; state_message: string } => {
    observe(run);
    if (run.terminal)
      return { life_cycle_state: 'TERMINATED', result_state: run.terminal.result, state_message: run.terminal.message };
    if (run.behavior.manual) return { life_cycle_state: run.phase, state_message: '' };
    return {
      life_cycle_state: now() - run.created < run.behavior.pendingMs ? 'PENDING' : 'RUNNING',
      state_message: '',
    };
  };

  const runJson = (run: FakeRun) => {
    const lc = lifecycle(run);
    const terminal = run.terminal;
    const statusCode = terminal
      ? (
          {
            SUCCESS: 'SUCCESS',
            SUCCESS_WITH_FAILURES: 'SUCCESS_WITH_FAILURES',
            CANCELED: 'CANCELED',
            FAILED: 'RUN_EXECUTION_ERROR',
            TIMEDOUT: 'RUN_EXECUTION_ERROR',
            INTERNAL_ERROR: 'INTERNAL_ERROR',
          } as const
        )[terminal.result]
      : undefined;
    return {
      ...(run.job_id !== undefined ? { job_id: run.job_id } : {}),
      run_id: run.run_id,
      number_in_job: run.run_id,
      original_attempt_run_id: run.run_id,
      attempt_number: 0,
      run_name: run.run_name,
      run_type: run.run_type,
      trigger: 'ONE_TIME',
      creator_user_name: 'sp-stagecraft@example.com',
      run_page_url: `https://adb-1234567890123456.7.azuredatabricks.net/?o=1234567890123456#job/${run.job_id ?? 0}/run/${run.run_id}`,
      start_time: run.created,
      end_time: terminal ? terminal.at : 0,
      state: {
        life_cycle_state: lc.life_cycle_state,
        ...(lc.result_state ? { result_state: lc.result_state } : {}),
        state_message: lc.state_message,
        user_cancelled_or_timedout: terminal?.result === 'CANCELED' || terminal?.result === 'TIMEDOUT',
      },
      status: terminal
        ? {
            state: 'TERMINATED',
            termination_details: {
              code: statusCode,
              type:
                terminal.result === 'SUCCESS' || terminal.result === 'SUCCESS_WITH_FAILURES'
                  ? 'SUCCESS'
                  : terminal.result === 'CANCELED'
                    ? 'SUCCESS'
                    : 'CLIENT_ERROR',
              message: terminal.message,
            },
          }
        : { state: lc.life_cycle_state },
      job_parameters: Object.entries(run.job_parameters).map(([name, value]) => ({ name, default: '', value })),
      tasks: run.tasks,
    };
  };

  const newRun = (
    p: Record<string, unknown>,
    kind: FakeRun['run_type'],
    job?: FakeJob,
  ): { run_id: number; number_in_job?: number } => {
    const token = typeof p.idempotency_token === 'string' ? p.idempotency_token : undefined;
    if (token !== undefined && token.length > 64)
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'idempotency_token must be at most 64 characters.');
    if (token !== undefined) {
      const existing = state.tokens.get(token);
      if (existing !== undefined)
        return kind === 'JOB_RUN' ? { run_id: existing, number_in_job: existing } : { run_id: existing };
    }
    const behavior = { ...state.defaults, ...job?.behavior };
    const run: FakeRun = {
      run_id: nextRunId++,
      run_name: str(p.run_name) || str(job?.settings.name) || 'run',
      run_type: kind,
      job_parameters: (p.job_parameters as Record<string, string> | undefined) ?? {},
      tasks: (p.tasks as unknown[] | undefined) ?? [],
      created: now(),
      behavior: {
        pendingMs: behavior.pendingMs,
        runningMs: behavior.runningMs,
        result: behavior.result,
        manual: behavior.manual,
        ...(behavior.message ? { message: behavior.message } : {}),
      },
      phase: 'PENDING',
      notified: false,
    };
    if (job) run.job_id = job.job_id;
    if (token !== undefined) {
      run.idempotency_token = token;
      state.tokens.set(token, run.run_id);
    }
    state.runs.set(run.run_id, run);
    return kind === 'JOB_RUN' ? { run_id: run.run_id, number_in_job: run.run_id } : { run_id: run.run_id };
  };

  const runOf = (p: Record<string, unknown>): FakeRun => {
    if (p.run_id === undefined) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Missing required field: run_id');
    const run = state.runs.get(Number(p.run_id));
    if (!run) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Run ${str(p.run_id)} does not exist.`);
    return run;
  };
  const jobOf = (p: Record<string, unknown>, status: 400 | 404): FakeJob => {
    if (p.job_id === undefined) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Missing required field: job_id');
    const job = state.jobs.get(Number(p.job_id));
    if (!job)
      throw new HttpError(
        status,
        status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : 'INVALID_PARAMETER_VALUE',
        `Job ${str(p.job_id)} does not exist.`,
      );
    return job;
  };

  const routes: Record<string, (r: RecordedRequest) => unknown> = {
    'POST /run-now': (r) => {
      const p = params(r);
      return newRun(p, 'JOB_RUN', jobOf(p, 400));
    },
    'POST /runs/submit': (r) => {
      const p = params(r);
      if (!Array.isArray(p.tasks) || p.tasks.length === 0)
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'At least one task is required.');
      return newRun(p, 'SUBMIT_RUN');
    },
    'GET /runs/get': (r) => runJson(runOf(params(r))),
    'POST /runs/cancel': (r) => {
      const run = runOf(params(r));
      observe(run);
      finish(run, 'CANCELED', 'Run cancelled.', now());
      return {};
    },
    'GET /get': (r) => {
      const job = jobOf(params(r), 404);
      return {
        job_id: job.job_id,
        creator_user_name: job.creator_user_name,
        created_time: job.created_time,
        settings: job.settings,
      };
    },
    'POST /reset': (r) => {
      const p = params(r);
      const job = jobOf(p, 400);
      if (typeof p.new_settings !== 'object' || p.new_settings === null)
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Missing required field: new_settings');
      state.resets.push({
        job_id: job.job_id,
        before: job.settings,
        after: p.new_settings as Record<string, unknown>,
        at: now(),
      });
      job.settings = p.new_settings as Record<string, unknown>;
      return {};
    },
    'POST /create': (r) => ({ job_id: seedJob(params(r)).job_id }),
  };

  const server = await startJsonServer((method, path) => {
    const m = /^\/api\/2\.[12]\/jobs(\/.*)$/.exec(path);
    return m ? routes[`${method} ${m[1]!}`] : undefined;
  });

  const ticker = o.tickMs
    ? setInterval(() => {
        for (const run of state.runs.values()) observe(run);
      }, o.tickMs)
    : undefined;

  return {
    ...server,
    state,
    seedJob,
    advance(runId, to, message) {
      const run = state.runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      if (to === 'RUNNING') run.phase = 'RUNNING';
      else {
        finish(run, to, message ?? '', now());
        observe(run);
      }
    },
    lifecycle(runId) {
      const run = state.runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      const { state_message: _m, ...rest } = lifecycle(run);
      return rest;
    },
    async close() {
      if (ticker) clearInterval(ticker);
      await Promise.allSettled([...pending]);
      await server.close();
    },
  };
}
