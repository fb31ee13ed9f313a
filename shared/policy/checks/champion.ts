import { z } from 'zod';
import { compareWithChampion } from '../../decisions/champion';
import { defineCheck } from './define';

export const ChampionRule = z.strictObject({
  metric: z.string().min(1),
  direction: z.enum(['higher', 'lower']).meta({ description: 'Which way is better for this metric.' }),
  mode: z
    .enum(['absolute', 'relative'])
    .default('absolute')
    .meta({ description: 'relative: improvement divided by |champion| (0.01 = 1%).' }),
  minImprovement: z
    .number()
    .optional()
    .meta({ description: 'Challenger must beat the champion by at least this much.' }),
  maxRegression: z.number().min(0).optional().meta({ description: 'Challenger may be worse by at most this much.' }),
});

/** The run's metrics compared with the champion's (the `champion` fact reads `alias`). */
export const champion = defineCheck(
  'champion',
  {
    alias: z.string().min(1).optional().meta({
      description:
        'Alias of the version to compare with (default: promotion.championAlias, or the Production stage in stages mode).',
    }),
    rules: z.array(ChampionRule).min(1),
  },
  {
    facts: ['run', 'champion'],
    evaluate: (check, facts) => {
      if (!facts.runMetrics)
        return { status: 'failed', message: 'the version has no run, so it cannot be compared with the champion' };
      const champ = facts.champion ?? null;
      const cmp = compareWithChampion(facts.runMetrics, champ?.metrics, check.rules);
      const bad = cmp.results.filter((r) => r.status === 'failed' || r.status === 'missing');
      const message = !cmp.hasChampion
        ? (cmp.note ?? 'no champion yet')
        : cmp.passed
          ? `better than or within limits of champion v${champ!.version}: ${cmp.results.map((r) => r.message).join('; ')}`
          : `worse than champion v${champ!.version}: ${bad.map((r) => r.message).join('; ')}`;
      return {
        status: cmp.passed ? 'passed' : 'failed',
        message,
        champion: champ ? { ...cmp, championVersion: champ.version } : cmp,
      };
    },
  },
);
