/**
 * The validation check types: one registry entry per type, each ONE definition (define.ts: policy schema, facts
 * needed, evaluation). The policy's `Check` schema, the facts the promotion gathers and the evaluation all come from
 * here, so a type cannot exist without declaring its facts and its evaluator.
 *
 * Adding a type: a file `<type>.ts` with `defineCheck('<type>', { ...fields }, { facts, evaluate })`, and one line
 * below. Then regenerate docs/policy.schema.json (npx tsx shared/policy/gen-schema.ts).
 */
import { z } from 'zod';
import { abTest } from './ab-test';
import { artifacts } from './artifacts';
import { champion } from './champion';
import { datasets } from './datasets';
import type { CheckDefinition, CheckEvaluation, CheckFacts, FactKind } from './define';
import { description } from './description';
import { inputExample } from './input-example';
import { job } from './job';
import { metricThreshold } from './metric-threshold';
import { requiredTags } from './required-tags';
import { signature } from './signature';

/** A definition of type `T`, whatever its own fields. */
interface DefinitionOf<T> {
  type: T;
  schema: z.ZodObject;
  facts: readonly FactKind[];
  evaluate(check: never, facts: CheckFacts): CheckEvaluation;
}

/** Every key must be its definition's `type`, so a lookup by `check.type` finds that type's definition. */
function registry<R extends { [K in keyof R]: DefinitionOf<K> }>(r: R): R {
  return r;
}

// Order = the order of the variants in the policy schema (docs/policy.schema.json).
export const CHECK_TYPES = registry({
  'required-tags': requiredTags,
  description,
  signature,
  'input-example': inputExample,
  'metric-threshold': metricThreshold,
  champion,
  artifacts,
  datasets,
  job,
  'ab-test': abTest,
});

type Definitions = typeof CHECK_TYPES;
export type CheckType = keyof Definitions;
type CheckSchemaOf<K extends CheckType> = Definitions[K]['schema'];
type AnyCheckSchema = CheckSchemaOf<CheckType>;

export const Check = z.discriminatedUnion(
  'type',
  Object.values(CHECK_TYPES).map((d) => d.schema) as unknown as [AnyCheckSchema, ...AnyCheckSchema[]],
);
export type Check = z.output<typeof Check>;

export type { CheckDefinition, CheckEvaluation, CheckFacts, FactKind };

/** Which facts a check needs, so the activity fetches only those. */
export function factsNeeded(check: Check): readonly FactKind[] {
  return CHECK_TYPES[check.type].facts;
}

export function evaluateCheck(check: Check, facts: CheckFacts): CheckEvaluation {
  // The registry pairs each key with the definition of that type (registry() above), so this check fits its evaluator.
  const def: DefinitionOf<CheckType> = CHECK_TYPES[check.type];
  return def.evaluate(check as never, facts);
}
