import { z } from 'zod';
import { defineCheck } from './define';

/** Files that must exist under the run's artifact root. */
export const artifacts = defineCheck(
  'artifacts',
  {
    paths: z
      .array(z.string().min(1))
      .min(1)
      .meta({ description: "Paths relative to the run's artifact root that must exist." }),
  },
  {
    facts: ['artifacts'],
    evaluate: (check, facts) => {
      if (!facts.artifacts) return { status: 'failed', message: "the run's artifacts could not be listed" };
      const present = new Set(facts.artifacts.map((p) => p.replace(/^\/+/, '')));
      const missing = check.paths.filter((p) => !present.has(p.replace(/^\/+/, '')));
      return missing.length === 0
        ? { status: 'passed', message: `artifacts present: ${check.paths.join(', ')}` }
        : { status: 'failed', message: `missing artifact(s): ${missing.join(', ')}`, missing };
    },
  },
);
