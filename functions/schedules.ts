/**
 * Schedules of the policy (feature refresh / batch scoring jobs, model retraining crons):
 * - timer `schedulesTick` every minute: evaluates every cron over (last tick, now] and starts what is due
 *   (deterministic instance ids, so overlapping ticks and restarts never double-run);
 * - `POST /api/schedules/tick` `{ at?, from? }`: the same evaluation for a given window (operators, tests);
 * - `POST /api/jobs/{name}/run` `{ requestId? }`: run a declared job now (instance `scheduledJob:<name>:http:<id>`).
 */
import { randomUUID } from 'node:crypto';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { validationErrorFrom } from '../shared/events';
import { loadPolicy } from '../shared/policy/load';
import type { ScheduledJobInput } from '../shared/pipelines/contract';
import { PIPELINES } from '../shared/pipelines/names';
import { MAX_TICK_CATCH_UP_MS, runDueSchedules, tickWindowStart } from '../shared/pipelines/schedules';
import { durablePortFor } from '../shared/durable/durable-functions';
import { instanceIdFor } from '../shared/router/instance-id';
import { errorAnswer, readJson } from '../shared/runs/http';
import { runsSettings } from '../shared/runs/settings';
import { NotFoundError } from '../shared/errors';
import { rawRoute } from './lib/route';

export async function schedulesTick(timer: Timer, context: InvocationContext): Promise<void> {
  const to = Date.now();
  const from = tickWindowStart(timer.scheduleStatus?.last, to);
  const result = await runDueSchedules(durablePortFor(context), await loadPolicy(runsSettings().policyPath), from, to);
  if (result.jobs.length || result.models.length || result.errors.length) {
    context.info('schedules due', {
      from: result.window.from,
      to: result.window.to,
      jobs: result.jobs.length,
      models: result.models.length,
      errors: result.errors.length,
    });
  }
  for (const e of result.errors) context.warn('schedule start failed', e);
}

const TickBody = z.strictObject({
  at: z.iso.datetime({ offset: true }).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
});

export async function schedulesTickHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const parsed = TickBody.safeParse(readJson(await request.text()) ?? {});
    if (!parsed.success) throw validationErrorFrom('SCHEDULE_TICK_INVALID', 'tick request body', parsed.error.issues);
    const to = parsed.data.at ? Date.parse(parsed.data.at) : Date.now();
    const from = parsed.data.from ? Date.parse(parsed.data.from) : to - 60_000;
    if (!(from < to) || to - from > MAX_TICK_CATCH_UP_MS)
      throw validationErrorFrom('SCHEDULE_TICK_INVALID', 'tick request body', [
        { code: 'custom', path: ['from'], message: 'must be before at, by at most 24h', input: undefined },
      ]);
    const result = await runDueSchedules(
      durablePortFor(context),
      await loadPolicy(runsSettings().policyPath),
      from,
      to,
    );
    return { status: 200, jsonBody: result };
  } catch (e) {
    return errorAnswer(e, context.invocationId, (m, f) => context.error(m, f));
  }
}

const RunBody = z.strictObject({
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, { message: 'must be 1-64 letters, digits, _ . : -' })
    .optional(),
});

export async function jobsRun(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const name = decodeURIComponent(request.params['name'] ?? '');
    const parsed = RunBody.safeParse(readJson(await request.text()) ?? {});
    if (!parsed.success) throw validationErrorFrom('JOB_RUN_INVALID', 'job run request body', parsed.error.issues);
    const policy = await loadPolicy(runsSettings().policyPath);
    if (!policy.jobs[name])
      throw new NotFoundError('JOB_NOT_DECLARED', `no job '${name}' under jobs in the policy`, {
        details: { job: name, declared: Object.keys(policy.jobs) },
      });
    const requestId = parsed.data.requestId ?? randomUUID();
    const instanceId = instanceIdFor('scheduledJob', name, 'http', requestId);
    const input: ScheduledJobInput = { job: name, trigger: 'http' };
    const started = (await durablePortFor(context).startOnce(PIPELINES.scheduled, instanceId, input)) === 'started';
    return { status: 202, jsonBody: { job: name, instanceId, started, requestId } };
  } catch (e) {
    return errorAnswer(e, context.invocationId, (m, f) => context.error(m, f));
  }
}

const client = df.input.durableClient();
app.timer('schedulesTick', { schedule: '0 * * * * *', extraInputs: [client], handler: schedulesTick });
rawRoute('schedulesTickHttp', {
  methods: ['POST'],
  auth: 'function-key',
  note: 'function key',
  route: 'schedules/tick',
  durable: true,
  raw: schedulesTickHttp,
});
rawRoute('jobsRun', {
  methods: ['POST'],
  auth: 'function-key',
  note: 'function key',
  route: 'jobs/{name}/run',
  durable: true,
  raw: jobsRun,
});
