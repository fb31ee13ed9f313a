import { z } from 'zod';
import { defineCheck } from './define';

/** Dataset inputs the run logged: at least `min`, including every one of `names`. */
export const datasets = defineCheck(
  'datasets',
  { min: z.int().min(1).default(1), names: z.array(z.string().min(1)).default([]) },
  {
    facts: ['run', 'datasets'],
    evaluate: (check, facts) => {
      const names = facts.datasets ?? [];
      const missing = check.names.filter((n) => !names.includes(n));
      if (names.length < check.min)
        return {
          status: 'failed',
          message: `the run logged ${names.length} dataset input(s); ${check.min} required`,
          missing,
        };
      if (missing.length)
        return { status: 'failed', message: `missing dataset input(s): ${missing.join(', ')}`, missing };
      return { status: 'passed', message: `dataset inputs: ${names.join(', ')}` };
    },
  },
);
