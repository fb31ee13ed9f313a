/**
 * Challenger vs champion comparison, per metric, direction-aware.
 *
 * `improvement` is signed so that positive is always better: (challenger - champion) for
 * `higher` metrics, (champion - challenger) for `lower` ones. In `relative` mode it is divided by
 * |champion|. A rule may require `minImprovement` (improvement >= value) and/or allow at most
 * `maxRegression` (improvement >= -value). A rule with neither means "not worse" (improvement >= 0).
 *
 * Invariants:
 * - No champion at all (first version of a model) passes every rule, with status 'no-champion' and a note.
 * - A metric missing on the challenger fails; missing on the champion only passes with 'champion-missing'
 *   (the champion cannot be compared, which must not block a model forever) and says so.
 * - Relative mode against a champion value of 0 cannot divide: it falls back to absolute and says so.
 * - Comparisons tolerate floating-point noise (1e-9 relative): 0.9 - 0.8 meets a required 0.1.
 */
export type MetricDirection = 'higher' | 'lower';
export type ComparisonMode = 'absolute' | 'relative';

export interface ChampionRule {
  metric: string;
  direction: MetricDirection;
  mode?: ComparisonMode;
  minImprovement?: number;
  maxRegression?: number;
}

export type ComparisonStatus = 'passed' | 'failed' | 'no-champion' | 'champion-missing' | 'missing';

export interface ComparisonResult {
  metric: string;
  status: ComparisonStatus;
  challenger: number | undefined;
  champion: number | undefined;
  /** Signed improvement (positive = better), absolute units. */
  delta: number | undefined;
  /** Signed improvement relative to |champion|, when computable. */
  relativeDelta: number | undefined;
  message: string;
}

export interface ChampionComparison {
  passed: boolean;
  hasChampion: boolean;
  results: ComparisonResult[];
  note?: string;
}

function read(metrics: Readonly<Record<string, number>> | undefined, key: string): number | undefined {
  if (!metrics || !Object.prototype.hasOwnProperty.call(metrics, key)) return undefined;
  const v = metrics[key];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

function fmt(n: number, mode: ComparisonMode): string {
  return mode === 'relative' ? `${(n * 100).toFixed(2)}%` : String(Number(n.toPrecision(6)));
}

export function compareMetric(
  challengerMetrics: Readonly<Record<string, number>>,
  championMetrics: Readonly<Record<string, number>> | undefined,
  rule: ChampionRule,
): ComparisonResult {
  const challenger = read(challengerMetrics, rule.metric);
  const base = {
    metric: rule.metric,
    challenger,
    champion: undefined as number | undefined,
    delta: undefined as number | undefined,
    relativeDelta: undefined as number | undefined,
  };
  if (championMetrics === undefined) {
    return { ...base, status: 'no-champion', message: `no champion to compare ${rule.metric} with (first version)` };
  }
  const champion = read(championMetrics, rule.metric);
  base.champion = champion;
  if (challenger === undefined) {
    return { ...base, status: 'missing', message: `metric '${rule.metric}' was not logged on the challenger's run` };
  }
  if (champion === undefined) {
    return { ...base, status: 'champion-missing', message: `the champion has no '${rule.metric}'; not compared` };
  }
  const sign = rule.direction === 'higher' ? 1 : -1;
  const delta = (challenger - champion) * sign;
  const relativeDelta = champion === 0 ? undefined : delta / Math.abs(champion);
  base.delta = delta;
  base.relativeDelta = relativeDelta;
  let mode: ComparisonMode = rule.mode ?? 'absolute';
  let fallback = '';
  if (mode === 'relative' && relativeDelta === undefined) {
    mode = 'absolute';
    fallback = ' (champion is 0: compared in absolute terms)';
  }
  const improvement = mode === 'relative' ? relativeDelta! : delta;
  const eps = 1e-9 * Math.max(1, Math.abs(challenger), Math.abs(champion));
  const below = (required: number) => improvement < required - eps;
  const better = rule.direction === 'higher' ? 'higher' : 'lower';
  const desc = `${rule.metric}: challenger ${challenger} vs champion ${champion} (${better} is better), improvement ${fmt(improvement, mode)}${fallback}`;
  if (rule.minImprovement !== undefined && below(rule.minImprovement)) {
    return { ...base, status: 'failed', message: `${desc} is below the required ${fmt(rule.minImprovement, mode)}` };
  }
  if (rule.maxRegression !== undefined && below(-rule.maxRegression)) {
    return {
      ...base,
      status: 'failed',
      message: `${desc} regresses more than the allowed ${fmt(rule.maxRegression, mode)}`,
    };
  }
  if (rule.minImprovement === undefined && rule.maxRegression === undefined && below(0)) {
    return { ...base, status: 'failed', message: `${desc} is worse than the champion` };
  }
  return { ...base, status: 'passed', message: desc };
}

/**
 * @param championMetrics the champion run's metrics, or undefined when the model has no champion yet.
 */
export function compareWithChampion(
  challengerMetrics: Readonly<Record<string, number>>,
  championMetrics: Readonly<Record<string, number>> | undefined,
  rules: readonly ChampionRule[],
): ChampionComparison {
  const results = rules.map((r) => compareMetric(challengerMetrics, championMetrics, r));
  const passed = results.every((r) => r.status !== 'failed' && r.status !== 'missing');
  if (championMetrics === undefined) {
    return { passed: true, hasChampion: false, results, note: 'no champion yet: first version passes the comparison' };
  }
  return { passed, hasChampion: true, results };
}
