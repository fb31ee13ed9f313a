/**
 * Typed activities and sub-orchestrations: a descriptor names an activity (or orchestrator), its input schema and
 * its output type; `call`/`callSub` schedule it and give the result its type, so a call is checked by the compiler
 * and registration (`orchestrations/activities/register.ts`) comes from the same descriptor.
 *
 * Invariants:
 * - Pure: no I/O imports (orchestrators import this; the determinism lint applies).
 * - A helper schedules exactly what the hand-written call did (`callActivity` without retry options,
 *   `callActivityWithRetry` with them; same name, same input object), so histories are unchanged.
 * - The one cast from the SDK's `unknown` result to the declared output lives here.
 */
import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { z } from 'zod';

/** An activity: its registered name (never change it: in-flight histories name it), input schema, output type. */
export interface ActivityDescriptor<I, O> {
  readonly kind: 'activity';
  readonly name: string;
  /** Checked at the activity boundary; the handler receives the input as sent (the history's copy). */
  readonly input: z.ZodType;
  /** Type-level only. */
  readonly __types?: { input: I; output: O };
}

/** An orchestrator called as a sub-orchestration: its registered name, input and output types. */
export interface OrchestratorDescriptor<I, O> {
  readonly kind: 'orchestrator';
  readonly name: string;
  readonly __types?: { input: I; output: O };
}

export type InputOf<D> = D extends ActivityDescriptor<infer I, unknown> | OrchestratorDescriptor<infer I, unknown>
  ? I
  : never;
export type OutputOf<D> = D extends ActivityDescriptor<unknown, infer O> | OrchestratorDescriptor<unknown, infer O>
  ? O
  : never;

/**
 * `activity(name, schema).returns<Output, Input>()`. Input defaults to what the schema accepts; a declared Input
 * must be assignable to it (the compiler refuses a schema stricter than the type callers build).
 * @example export const rollbackPlan = activity('rollbackPlan', RollbackInput).returns<RollbackPlan>();
 */
export function activity<S extends z.ZodType>(
  name: string,
  input: S,
): { returns<O, I extends z.input<S> = z.input<S>>(): ActivityDescriptor<I, O> } {
  return {
    returns: <O, I extends z.input<S> = z.input<S>>(): ActivityDescriptor<I, O> => ({ kind: 'activity', name, input }),
  };
}

/** @example export const runJob = orchestrator<RunJobInput, RunJobOutput>('runJob'); */
export function orchestrator<I, O>(name: string): OrchestratorDescriptor<I, O> {
  return { kind: 'orchestrator', name };
}

/** A scheduled task whose result has a known type (for fan-out with `all`, or yielding later with `awaitTask`). */
export type TypedTask<O> = Task & { readonly __output?: O };

/** The task of one activity call, not yet yielded (`callActivity` without retry options, else `callActivityWithRetry`). */
export function activityTask<I, O>(
  context: OrchestrationContext,
  def: ActivityDescriptor<I, O>,
  input: I,
  retry?: RetryOptions,
): TypedTask<O> {
  return retry ? context.df.callActivityWithRetry(def.name, retry, input) : context.df.callActivity(def.name, input);
}

/** The task of one sub-orchestration call, not yet yielded. */
export function subTask<I, O>(
  context: OrchestrationContext,
  def: OrchestratorDescriptor<I, O>,
  input: I,
  instanceId?: string,
  retry?: RetryOptions,
): TypedTask<O> {
  return retry
    ? context.df.callSubOrchestratorWithRetry(def.name, retry, input, instanceId)
    : context.df.callSubOrchestrator(def.name, input, instanceId);
}

/** Yield a typed task; its result has the task's type. */
export function* awaitTask<O>(task: TypedTask<O>): Generator<Task, O, unknown> {
  return (yield task) as O;
}

/** `const plan = yield* call(context, A.rollbackPlan, input, retry)`: schedule an activity and type its result. */
export function* call<I, O>(
  context: OrchestrationContext,
  def: ActivityDescriptor<I, O>,
  input: I,
  retry?: RetryOptions,
): Generator<Task, O, unknown> {
  return yield* awaitTask(activityTask(context, def, input, retry));
}

/** `const out = yield* callSub(context, O.runJob, jobInput, childId)`: run a sub-orchestration and type its output. */
export function* callSub<I, O>(
  context: OrchestrationContext,
  def: OrchestratorDescriptor<I, O>,
  input: I,
  instanceId?: string,
  retry?: RetryOptions,
): Generator<Task, O, unknown> {
  return yield* awaitTask(subTask(context, def, input, instanceId, retry));
}

/** `Task.all` over typed tasks (fails fast on the first failure, as the SDK does). */
export function* all<O>(context: OrchestrationContext, tasks: readonly TypedTask<O>[]): Generator<Task, O[], unknown> {
  return (yield context.df.Task.all([...tasks])) as O[];
}

/** A nested object the activity validates itself (any non-array object): for parts the schema does not spell out. */
export const anObject: z.ZodType<object> = z.custom<object>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  { error: 'must be an object' },
);
