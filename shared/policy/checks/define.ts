/**
 * What one validation check type is: its policy schema, the facts it needs gathered from the registry, and its
 * evaluation over those facts. Pure (importable from orchestrators): schemas and decisions only.
 *
 * Fail closed: a fact that could not be established (no run, no MLmodel) fails the check with a message saying so,
 * never passes it silently.
 */
import { z } from 'zod';
import type { ChampionComparison } from '../../decisions/champion';
import type { ThresholdResult } from '../../decisions/thresholds';
import type { CheckStatus } from '../../decisions/verdict';
import { Duration } from '../schema-common';

/** Fields every check has (severity, retries, ...), after its own. */
export const checkBase = {
  severity: z
    .enum(['blocking', 'advisory'])
    .default('blocking')
    .meta({ description: 'blocking: a failure stops promotion; advisory: recorded only.' }),
  enabled: z.boolean().default(true),
  description: z.string().optional(),
  timeout: Duration.optional().meta({
    description: 'Time allowed for the check (job checks: per attempt; default the job timeout).',
  }),
  retries: z.int().min(0).max(10).default(0),
  backoff: Duration.default('10s'),
};

/** Facts the promotion's check activity can gather (shared/promotion/facts.ts); the version itself is always there. */
export type FactKind = 'run' | 'champion' | 'artifacts' | 'mlmodel' | 'datasets';

export interface CheckFacts {
  version: { description: string | undefined; tags: Record<string, string> };
  /** Tags of the version's run (empty without a run). */
  runTags: Record<string, string>;
  /** Latest metrics of the version's run; undefined when the version has no run. */
  runMetrics: Record<string, number> | undefined;
  /** The version the champion alias points to with its run's metrics; null when there is no champion. */
  champion?: { version: string; metrics: Record<string, number> } | null;
  /** Artifact paths present under the run's artifact root (files, relative, '/'-separated). */
  artifacts?: string[];
  /** Signature: what the model's MLmodel declares (undefined when it could not be read); input example: file or MLmodel. */
  mlmodel?: { signature: boolean | undefined; inputExample: boolean };
  /** Names of the datasets logged as the run's inputs. */
  datasets?: string[];
}

export interface CheckEvaluation {
  status: CheckStatus;
  message: string;
  thresholds?: ThresholdResult[];
  champion?: ChampionComparison & { championVersion?: string };
  missing?: string[];
}

/** The policy schema of a check type: `type`, its own fields, then the common ones. */
type CheckSchema<T extends string, S extends z.ZodRawShape> = z.ZodObject<
  { type: z.ZodLiteral<T> } & S & typeof checkBase,
  z.core.$strict
>;

export interface CheckDefinition<T extends string = string, S extends z.ZodRawShape = z.ZodRawShape> {
  type: T;
  schema: CheckSchema<T, S>;
  /** Facts gathered before `evaluate` runs (an empty list: the version alone). */
  facts: readonly FactKind[];
  evaluate(check: z.output<CheckSchema<T, S>>, facts: CheckFacts): CheckEvaluation;
}

/** One check type. `shape`: its own policy fields (the common ones are added). */
export function defineCheck<T extends string, S extends z.ZodRawShape>(
  type: T,
  shape: S,
  d: {
    facts: readonly FactKind[];
    evaluate: (check: z.output<CheckSchema<T, S>>, facts: CheckFacts) => CheckEvaluation;
  },
): CheckDefinition<T, S> {
  const schema = z.strictObject({ type: z.literal(type), ...shape, ...checkBase }) as unknown as CheckSchema<T, S>;
  return { type, schema, facts: d.facts, evaluate: d.evaluate };
}
