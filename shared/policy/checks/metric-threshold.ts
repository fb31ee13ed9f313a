import { z } from 'zod';
import { evaluateThresholds } from '../../decisions/thresholds';
import { defineCheck } from './define';

const ThresholdRule = z
  .strictObject({ metric: z.string().min(1), min: z.number().optional(), max: z.number().optional() })
  .superRefine((t, ctx) => {
    if (t.min === undefined && t.max === undefined)
      ctx.addIssue({ code: 'custom', message: 'set min, max or both', path: [] });
    if (t.min !== undefined && t.max !== undefined && t.min > t.max)
      ctx.addIssue({ code: 'custom', message: `min ${t.min} is above max ${t.max}`, path: ['min'] });
  });

/** The run's metrics within bounds. */
export const metricThreshold = defineCheck(
  'metric-threshold',
  { thresholds: z.array(ThresholdRule).min(1) },
  {
    facts: ['run'],
    evaluate: (check, facts) => {
      if (!facts.runMetrics) return { status: 'failed', message: 'the version has no run, so its metrics are unknown' };
      const out = evaluateThresholds(facts.runMetrics, check.thresholds);
      const failed = out.results.filter((r) => r.status !== 'passed');
      return {
        status: out.passed ? 'passed' : 'failed',
        message: out.passed ? out.results.map((r) => r.message).join('; ') : failed.map((r) => r.message).join('; '),
        thresholds: out.results,
      };
    },
  },
);
