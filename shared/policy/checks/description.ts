import { z } from 'zod';
import { defineCheck } from './define';

/** The version's description, at least `minLength` characters. */
export const description = defineCheck(
  'description',
  { minLength: z.int().min(1).default(1) },
  {
    facts: [],
    evaluate: (check, facts) => {
      const len = (facts.version.description ?? '').trim().length;
      return len >= check.minLength
        ? { status: 'passed', message: `description present (${len} characters)` }
        : {
            status: 'failed',
            message:
              len === 0
                ? 'the version has no description'
                : `the description has ${len} characters; ${check.minLength} required`,
          };
    },
  },
);
