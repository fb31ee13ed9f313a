/**
 * `promotionCheck`: one validation of a promotion, with the retries its policy allows, recorded when it ends.
 * Never throws for a check outcome: a check that could not run is an `error` result (the gate fails closed on
 * blocking errors), so the parent's fan-in (Task.all, which fails fast) always sees every result.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { parseDuration } from '../../shared/decisions/duration';
import { retryDelayMs } from '../../shared/jobs/backoff';
import { dateAt } from '../../shared/jobs/time';
import type { RunJobInput } from '../../shared/jobs/contract';
import { jobTimeoutSeconds } from '../../shared/policy/job-spec';
import type { PromotionCheckInput, RecordValidationInput, RunCheckInput } from '../../shared/promotion/messages';
import { PROMOTION_CHECK } from '../../shared/promotion/names';
import type { CheckEvaluation } from '../../shared/promotion/checks';
import type { ValidationResult } from '../../shared/promotion/types';
import { PromotionActivities as PA } from '../contracts/promotion';
import { Orchestrators as O } from '../contracts/orchestrators';
import { call, callSub } from '../lib/typed';

const recordRetry = new df.RetryOptions(2_000, 5);
recordRetry.backoffCoefficient = 2;

function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // Durable wraps activity failures as "Activity function 'x' failed: <message> \n {json}"; keep the message.
  return m
    .replace(/^Activity function '[^']*' failed:\s*/, '')
    .split('\n')[0]!
    .trim()
    .slice(0, 500);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

function* promotionCheck(context: OrchestrationContext): Generator<Task, ValidationResult, unknown> {
  const input = context.df.getInput<PromotionCheckInput>();
  const { check, id } = input;
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const retries = check.type === 'job' && check.retries === 0 ? check.job.retries : check.retries;
  const backoffMs = parseDuration(check.type === 'job' && check.retries === 0 ? check.job.backoff : check.backoff);
  const attemptsAllowed = retries + 1;
  let attempts = 0;
  let evaluation: CheckEvaluation & { job?: ValidationResult['job'] } = { status: 'error', message: 'not run' };

  if (check.type === 'job') {
    for (let attempt = 1; attempt <= attemptsAllowed; attempt++) {
      attempts = attempt;
      context.df.setCustomStatus({ step: 'job', check: id, attempt });
      // The job is named by reference: jobStart resolves the check in the policy (a made-up command cannot run).
      const timeoutSeconds = jobTimeoutSeconds(check.job, check.timeout);
      const jobInput: RunJobInput = {
        ref: { kind: 'model-validation', model: input.model.name, check: id },
        vars: input.vars,
        idempotencyKey: `${input.promotionInstanceId}:${id}:${attempt}`,
        label: `${input.model.name} v${input.model.version} check ${id}`,
        timeoutSeconds,
        pollInitialSeconds: clamp(timeoutSeconds / 20, 1, 5),
        pollMaxSeconds: clamp(timeoutSeconds / 4, 5, 60),
      };
      try {
        const out = yield* callSub(context, O.runJob, jobInput, `${context.df.instanceId}:job:${attempt}`);
        const job = {
          runRef: out.runRef,
          state: out.state,
          ...(out.resultSummary !== undefined ? { resultSummary: out.resultSummary } : {}),
          ...(out.outputTail !== undefined ? { outputTail: out.outputTail } : {}),
        };
        if (out.state === 'SUCCEEDED') {
          evaluation = { status: 'passed', message: out.resultSummary ?? 'the job succeeded', job };
          break;
        }
        evaluation =
          out.state === 'TIMED_OUT'
            ? { status: 'error', message: `the job did not finish within ${timeoutSeconds} s and was cancelled`, job }
            : {
                status: 'failed',
                message: `the job ended ${out.state}${out.resultSummary ? `: ${out.resultSummary}` : ''}`,
                job,
              };
      } catch (e) {
        evaluation = { status: 'error', message: `the job could not be run: ${errorText(e)}` };
        // A refused reference or bad template does not get better with retries.
        if (/\b(JOB_NOT_IN_POLICY|TEMPLATE_UNKNOWN_PLACEHOLDER|RUN_JOB_INPUT_INVALID):/.test(errorText(e))) break;
      }
      if (attempt < attemptsAllowed)
        yield context.df.createTimer(
          dateAt(context.df.currentUtcDateTime.getTime() + retryDelayMs(backoffMs, attempt)),
        );
    }
  } else {
    const runInput: RunCheckInput = { id, check, model: input.model, promotion: input.promotion };
    attempts = 1;
    try {
      if (attemptsAllowed > 1) {
        const opts = new df.RetryOptions(Math.max(1, backoffMs), attemptsAllowed);
        opts.backoffCoefficient = 2;
        evaluation = yield* call(context, PA.runCheck, runInput, opts);
      } else {
        evaluation = yield* call(context, PA.runCheck, runInput);
      }
    } catch (e) {
      attempts = attemptsAllowed;
      evaluation = { status: 'error', message: `the check could not run: ${errorText(e)}` };
    }
  }

  const result: ValidationResult = {
    id,
    type: check.type,
    severity: check.severity,
    ...evaluation,
    startedAt,
    finishedAt: context.df.currentUtcDateTime.toISOString(),
    attempts,
  };
  const rec: RecordValidationInput = {
    promotionInstanceId: input.promotionInstanceId,
    model: input.model.name,
    version: input.model.version,
    result,
  };
  try {
    yield* call(context, PA.recordValidation, rec, recordRetry);
  } catch {
    // The promotion record carries every result too; a lost row here must not lose the check.
  }
  return result;
}

df.app.orchestration(PROMOTION_CHECK, promotionCheck);
