/**
 * The one-minute schedule evaluator behind functions/schedules.ts. A function cannot be registered per cron at
 * run time, so one timer evaluates every cron of the policy (`jobs.*.schedule` and each model's
 * `retraining.schedule`) over the window (from, to] and starts what is due.
 *
 * Invariants:
 * - A scheduled job run has the instance id `scheduledJob:<job>:<scheduled minute>`: an overlapping tick or a
 *   restart that evaluates the same minute again finds the existing instance and starts nothing.
 * - A model's schedule tick carries its scheduled minute; the coordinator ignores a tick it already decided.
 * - Model schedules apply to models named exactly in the policy (a glob names no model to retrain): the policy
 *   refuses `retraining.schedule` in `defaults` or on a glob entry (shared/policy/parse.ts), so each exact entry's
 *   effective schedule is its own and glob keys have none to evaluate.
 */
import { nextCronTime, parseCron } from '../decisions/cron';
import type { DurablePort } from '../durable/port';
import { type Policy, tryResolvePolicy } from '../policy';
import { hasWildcard } from '../policy/glob';
import { instanceIdFor } from '../router/instance-id';
import { signalCoordinator } from '../retraining/signal';
import type { ScheduledJobInput } from './contract';
import { PIPELINES } from './names';

export interface DueSchedules {
  jobs: Array<{ name: string; scheduledFor: string }>;
  models: Array<{ model: string; scheduledFor: string }>;
}

const MAX_PER_JOB = 60;

function dueTimes(cron: string, fromMs: number, toMs: number): number[] {
  const c = parseCron(cron);
  const out: number[] = [];
  for (
    let t = nextCronTime(c, fromMs);
    t !== undefined && t <= toMs && out.length < MAX_PER_JOB;
    t = nextCronTime(c, t)
  )
    out.push(t);
  return out;
}

export function dueSchedules(policy: Policy, fromMs: number, toMs: number): DueSchedules {
  const due: DueSchedules = { jobs: [], models: [] };
  for (const [name, job] of Object.entries(policy.jobs)) {
    if (!job.enabled || !job.schedule) continue;
    for (const t of dueTimes(job.schedule, fromMs, toMs))
      due.jobs.push({ name, scheduledFor: new Date(t).toISOString() });
  }
  for (const key of Object.keys(policy.models)) {
    if (hasWildcard(key)) continue;
    const r = tryResolvePolicy(policy, key);
    const schedule = r.ok ? r.value.policy.retraining : undefined;
    if (!schedule?.enabled || !schedule.schedule) continue;
    // Only the latest missed tick matters for retraining: one run catches up.
    const last = dueTimes(schedule.schedule, fromMs, toMs).pop();
    if (last !== undefined) due.models.push({ model: key, scheduledFor: new Date(last).toISOString() });
  }
  return due;
}

/** The longest window one tick evaluates: a timer catching up after downtime, or an operator's `POST /api/schedules/tick`. */
export const MAX_TICK_CATCH_UP_MS = 24 * 3_600_000;

/**
 * Start of the window a timer tick evaluates: since the last run (catching up at most 24 h after downtime), or the
 * last minute when the timer never ran. Before a first run the Functions runtime reports `last` as .NET's
 * default date (0001-01-01), which must not read as "24 h overdue": a fresh install starts nothing retroactively.
 */
export function tickWindowStart(lastRun: string | undefined, to: number): number {
  const last = lastRun ? Date.parse(lastRun) : NaN;
  const ranBefore = Number.isFinite(last) && new Date(last).getUTCFullYear() > 1970 && last < to;
  return ranBefore ? Math.max(last, to - MAX_TICK_CATCH_UP_MS) : to - 60_000;
}

export interface TickResult {
  window: { from: string; to: string };
  jobs: Array<{ name: string; scheduledFor: string; instanceId: string; started: boolean }>;
  models: Array<{ model: string; scheduledFor: string; coordinatorId: string }>;
  errors: Array<{ what: string; error: string }>;
}

export async function runDueSchedules(
  durable: Pick<DurablePort, 'startOnce' | 'ensureRunning' | 'raise'>,
  policy: Policy,
  fromMs: number,
  toMs: number,
): Promise<TickResult> {
  const due = dueSchedules(policy, fromMs, toMs);
  const result: TickResult = {
    window: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
    jobs: [],
    models: [],
    errors: [],
  };
  for (const j of due.jobs) {
    const instanceId = instanceIdFor('scheduledJob', j.name, j.scheduledFor.slice(0, 16));
    const input: ScheduledJobInput = { job: j.name, scheduledFor: j.scheduledFor, trigger: 'schedule' };
    try {
      result.jobs.push({
        ...j,
        instanceId,
        started: (await durable.startOnce(PIPELINES.scheduled, instanceId, input)) === 'started',
      });
    } catch (e) {
      result.errors.push({ what: `job ${j.name}`, error: e instanceof Error ? e.message : String(e) });
    }
  }
  for (const m of due.models) {
    try {
      const coordinatorId = await signalCoordinator(durable, m.model, {
        kind: 'schedule',
        scheduledFor: m.scheduledFor,
      });
      result.models.push({ ...m, coordinatorId });
    } catch (e) {
      result.errors.push({ what: `model ${m.model}`, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return result;
}
