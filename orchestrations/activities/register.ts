/**
 * Registers an activity from its descriptor (orchestrations/contracts/): the name and the input check come from the
 * same place the orchestrators call it through, so a caller and its handler cannot disagree on either.
 *
 * Invariants:
 * - The input is checked against the descriptor's schema before the handler runs; a failure throws
 *   `ActivityInputError` (code `ACTIVITY_INPUT_INVALID`, non-retryable, naming the activity and the field). The
 *   orchestrator's retry policy still runs its attempts (durable-functions JS has no non-retriable failure), each
 *   failing the same way at once, and the orchestrator sees the code in the failure message.
 * - The handler receives the input as sent (the history's copy), not the schema's output: validation never changes
 *   what an activity sees.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityOptions, RegisteredActivity } from 'durable-functions';
import { ValidationError } from '../../shared/errors';
import type { ActivityDescriptor } from '../lib/typed';

export class ActivityInputError extends ValidationError {
  readonly activity: string;
  readonly field: string;

  constructor(activity: string, field: string, message: string) {
    super(
      'ACTIVITY_INPUT_INVALID',
      `ACTIVITY_INPUT_INVALID: activity '${activity}' input${field === '(input)' ? '' : `.${field}`}: ${message}`,
      { details: { activity, field } },
    );
    this.activity = activity;
    this.field = field;
  }
}

/** Checks an activity input against its descriptor; throws ActivityInputError naming the first bad field. */
export function checkActivityInput<I, O>(def: ActivityDescriptor<I, O>, input: unknown): I {
  const r = def.input.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue && issue.path.length ? issue.path.map(String).join('.') : '(input)';
    throw new ActivityInputError(def.name, field, issue?.message ?? 'invalid');
  }
  return input as I;
}

export type ActivityHandler<I, O> = (input: I, context: InvocationContext) => Promise<O> | O;

/** `registerActivity(A.rollbackPlan, { handler })` → `df.app.activity('rollbackPlan', …)` with the input checked first. */
export function registerActivity<I, O>(
  def: ActivityDescriptor<I, O>,
  options: Omit<ActivityOptions, 'handler'> & { handler: ActivityHandler<I, O> },
): RegisteredActivity {
  const { handler, ...rest } = options;
  return df.app.activity(def.name, {
    ...rest,
    handler: (input: unknown, context: InvocationContext) => handler(checkActivityInput(def, input), context),
  });
}
