import { defineCheck } from './define';

/** The model's MLmodel declares a signature. */
export const signature = defineCheck(
  'signature',
  {},
  {
    facts: ['mlmodel'],
    evaluate: (_check, facts) => {
      if (facts.mlmodel?.signature === undefined)
        return { status: 'failed', message: "the model's MLmodel file could not be read, so its signature is unknown" };
      return facts.mlmodel.signature
        ? { status: 'passed', message: 'the model declares a signature' }
        : { status: 'failed', message: 'the model was logged without a signature' };
    },
  },
);
