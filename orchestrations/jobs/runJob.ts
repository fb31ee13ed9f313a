/**
 * `runJob`: start a job with an idempotency key, then wait for it with durable timers (exponential backoff),
 * woken early by a job-finished event, until it ends or the overall timeout passes (then the job is cancelled).
 *
 * Invariants:
 * - One external-event waiter at a time per run: a waiter that lost a race stays pending and is reused, because
 *   the SDK hands a raised event to the oldest waiter of that name.
 * - Every timer that loses a race is cancelled.
 * - A job-finished event only wakes the loop; the state always comes from a status poll (the event may be early,
 *   duplicated or lack the result).
 * - The input names the job by reference into the policy; the start activity resolves it. A reference the policy
 *   does not declare throws `JOB_NOT_IN_POLICY: ...` (nothing was started); a strict input refuses any `job`/command.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { jobFinishedEventName } from '../../shared/router/plan';
import { nextPollAt, pollPolicy } from '../../shared/jobs/backoff';
import { dateAt } from '../../shared/jobs/time';
import {
  RUN_JOB,
  RunJobInput,
  type JobStartInput,
  type JobStatusResult,
  type RunJobOutput,
} from '../../shared/jobs/contract';
import { JobActivities as JA } from '../contracts/jobs';
import { call } from '../lib/typed';

const startRetry = new df.RetryOptions(2_000, 4);
startRetry.backoffCoefficient = 2;
const pollRetry = new df.RetryOptions(1_000, 3);
pollRetry.backoffCoefficient = 2;

function* runJob(context: OrchestrationContext): Generator<Task, RunJobOutput, unknown> {
  const parsed = RunJobInput.safeParse(context.df.getInput());
  if (!parsed.success)
    throw new Error(
      `RUN_JOB_INPUT_INVALID: runJob input is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}${i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')}; a job is named by ref, never given as a command)` : ''}`).join('; ')}`,
    );
  const input = parsed.data;
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const startMs = context.df.currentUtcDateTime.getTime();
  const poll = pollPolicy(input.pollInitialSeconds, input.pollMaxSeconds);

  context.df.setCustomStatus({ step: 'starting', label: input.label });
  const startInput: JobStartInput = {
    ref: input.ref,
    vars: input.vars,
    idempotencyKey: input.idempotencyKey,
    label: input.label,
    ownerInstanceId: context.df.instanceId,
  };
  const result = yield* call(context, JA.start, startInput, startRetry);
  if ('refused' in result) {
    context.df.setCustomStatus({ step: 'refused', label: input.label, code: result.refused.code });
    throw new Error(`${result.refused.code}: ${result.refused.message}`);
  }
  const started = result;
  const timeoutSeconds = input.timeoutSeconds ?? Math.max(1, Math.ceil(started.ref.timeoutMs / 1000));
  const deadlineMs = startMs + timeoutSeconds * 1000;
  const runRef = started.runRef;
  const done = (state: RunJobOutput['state'], s?: JobStatusResult): RunJobOutput => {
    const out: RunJobOutput = { runRef, state, startedAt, finishedAt: context.df.currentUtcDateTime.toISOString() };
    if (s?.resultSummary !== undefined) out.resultSummary = s.resultSummary;
    if (s?.outputTail !== undefined) out.outputTail = s.outputTail;
    return out;
  };

  let finishedEvent: Task | undefined;
  let last: JobStatusResult | undefined;
  for (let n = 0; ; n++) {
    context.df.setCustomStatus({
      step: 'waiting',
      label: input.label,
      runRef,
      polls: n,
      state: last?.state ?? 'PENDING',
    });
    try {
      last = yield* call(context, JA.status, { ref: started.ref }, pollRetry);
    } catch {
      // The status endpoint failing is not the job failing: keep waiting until the deadline.
    }
    if (last && last.state !== 'PENDING' && last.state !== 'RUNNING') return done(last.state, last);

    const nowMs = context.df.currentUtcDateTime.getTime();
    if (nowMs >= deadlineMs) {
      context.df.setCustomStatus({ step: 'cancelling', label: input.label, runRef });
      try {
        yield* call(context, JA.cancel, { ref: started.ref }, pollRetry);
      } catch {
        // Best effort: the run is reported TIMED_OUT either way.
      }
      const tail = last?.outputTail;
      const out = done('TIMED_OUT', last);
      out.resultSummary = `no result within ${timeoutSeconds} s; the run was cancelled`;
      if (tail !== undefined) out.outputTail = tail;
      return out;
    }
    finishedEvent ??= context.df.waitForExternalEvent(jobFinishedEventName(runRef));
    const timer: TimerTask = context.df.createTimer(dateAt(nextPollAt(poll, n, nowMs, deadlineMs)));
    const winner = (yield context.df.Task.any([finishedEvent, timer])) as Task;
    if (winner === finishedEvent) {
      timer.cancel();
      finishedEvent = undefined;
    }
  }
}

df.app.orchestration(RUN_JOB, runJob);
