import { defineCheck } from './define';

/** The model was logged with an input example (file or MLmodel entry). */
export const inputExample = defineCheck(
  'input-example',
  {},
  {
    facts: ['mlmodel'],
    evaluate: (_check, facts) => {
      if (!facts.mlmodel)
        return {
          status: 'failed',
          message: "the model's MLmodel file could not be read, so its input example is unknown",
        };
      return facts.mlmodel.inputExample
        ? { status: 'passed', message: 'the model has an input example' }
        : { status: 'failed', message: 'the model was logged without an input example' };
    },
  },
);
