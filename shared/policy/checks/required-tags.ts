import { z } from 'zod';
import { defineCheck } from './define';

/** Tags the version (or its run) must carry, non-empty. */
export const requiredTags = defineCheck(
  'required-tags',
  { tags: z.array(z.string().min(1)).min(1) },
  {
    facts: ['run'],
    evaluate: (check, facts) => {
      const have = { ...facts.runTags, ...facts.version.tags };
      const missing = check.tags.filter((t) => have[t] === undefined || have[t] === '');
      return missing.length === 0
        ? { status: 'passed', message: `all required tags present (${check.tags.join(', ')})` }
        : { status: 'failed', message: `missing tag(s): ${missing.join(', ')}`, missing };
    },
  },
);
