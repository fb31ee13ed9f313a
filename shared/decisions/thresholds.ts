/**
 * Metric thresholds on a model version's run. A threshold names a metric and a bound on either side;
 * `min` is "at least" (inclusive), `max` is "at most" (inclusive), which makes direction explicit:
 * accuracy uses `min`, latency or log-loss uses `max`.
 *
 * Invariant: a metric the run did not log FAILS its threshold (fail closed), with status 'missing',
 * so a renamed metric cannot silently pass a gate. NaN counts as missing.
 */
export interface MetricThreshold {
  metric: string;
  min?: number;
  max?: number;
}

export type ThresholdStatus = 'passed' | 'failed' | 'missing';

export interface ThresholdResult {
  metric: string;
  status: ThresholdStatus;
  value: number | undefined;
  min: number | undefined;
  max: number | undefined;
  message: string;
}

export function evaluateThreshold(metrics: Readonly<Record<string, number>>, t: MetricThreshold): ThresholdResult {
  const raw = Object.prototype.hasOwnProperty.call(metrics, t.metric) ? metrics[t.metric] : undefined;
  const value = raw === undefined || Number.isNaN(raw) ? undefined : raw;
  const base = { metric: t.metric, value, min: t.min, max: t.max };
  if (value === undefined) {
    return { ...base, status: 'missing', message: `metric '${t.metric}' was not logged on the run` };
  }
  if (t.min !== undefined && value < t.min) {
    return { ...base, status: 'failed', message: `${t.metric} = ${value} is below the minimum ${t.min}` };
  }
  if (t.max !== undefined && value > t.max) {
    return { ...base, status: 'failed', message: `${t.metric} = ${value} is above the maximum ${t.max}` };
  }
  const bounds = [t.min !== undefined ? `>= ${t.min}` : undefined, t.max !== undefined ? `<= ${t.max}` : undefined]
    .filter(Boolean)
    .join(' and ');
  return { ...base, status: 'passed', message: `${t.metric} = ${value} is ${bounds || 'unbounded'}` };
}

export interface ThresholdsOutcome {
  passed: boolean;
  results: ThresholdResult[];
}

/** Passed only when every threshold passed; an empty list passes. */
export function evaluateThresholds(
  metrics: Readonly<Record<string, number>>,
  thresholds: readonly MetricThreshold[],
): ThresholdsOutcome {
  const results = thresholds.map((t) => evaluateThreshold(metrics, t));
  return { passed: results.every((r) => r.status === 'passed'), results };
}
