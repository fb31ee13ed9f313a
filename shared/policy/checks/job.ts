import { JobDef } from '../schema-common';
import { defineCheck } from './define';

/** A validation job (orchestrations/promotion/promotionCheck.ts runs it through `runJob`); never evaluated from facts. */
export const job = defineCheck(
  'job',
  { job: JobDef },
  {
    facts: [],
    evaluate: () => ({ status: 'error', message: 'job checks run as jobs, not as built-in checks' }),
  },
);
