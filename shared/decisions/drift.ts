import { type Instant, toMs } from './time';

/**
 * "N of the last M windows beyond the threshold, and the latest one too" — whether a drift alert is
 * actionable for a model and metric.
 *
 * Invariants:
 * - Windows are identified by their start; several observations of the same window (an alert storm
 *   re-sending the same window) collapse to the last one given, so a storm counts once per window.
 * - "Last M" means the M most recent distinct windows by start time, whatever order they arrive in.
 * - With fewer than M windows known, the rule is evaluated on those (N must still be reached).
 * - `direction: 'above'` (default) means value > threshold drifts; 'below' means value < threshold
 *   drifts (for p-values). Equal to the threshold never drifts. NaN never drifts.
 */
export interface DriftRule {
  metric: string;
  threshold: number;
  n: number;
  m: number;
  requireLatest?: boolean;
  direction?: 'above' | 'below';
}

export interface DriftWindow {
  start: Instant;
  value: number;
}

export interface DriftDecision {
  actionable: boolean;
  metric: string;
  /** Windows beyond the threshold among the considered ones. */
  beyond: number;
  considered: number;
  latestBeyond: boolean;
  latestStartMs: number | undefined;
  reason: 'ACTIONABLE' | 'NO_WINDOWS' | 'TOO_FEW_BEYOND' | 'LATEST_WITHIN';
  message: string;
}

export function evaluateDrift(rule: DriftRule, windows: readonly DriftWindow[]): DriftDecision {
  const byStart = new Map<number, number>();
  for (const w of windows) byStart.set(toMs(w.start), w.value);
  const recent = [...byStart.entries()].sort((a, b) => b[0] - a[0]).slice(0, Math.max(1, rule.m));
  const isBeyond = (v: number) => (rule.direction === 'below' ? v < rule.threshold : v > rule.threshold);
  const beyond = recent.filter(([, v]) => isBeyond(v)).length;
  const latest = recent[0];
  const latestBeyond = latest !== undefined && isBeyond(latest[1]);
  const base = { metric: rule.metric, beyond, considered: recent.length, latestBeyond, latestStartMs: latest?.[0] };
  const side = rule.direction === 'below' ? 'below' : 'above';
  if (latest === undefined)
    return { ...base, actionable: false, reason: 'NO_WINDOWS', message: `no ${rule.metric} windows to evaluate` };
  if (beyond < rule.n) {
    return {
      ...base,
      actionable: false,
      reason: 'TOO_FEW_BEYOND',
      message: `${beyond} of the last ${recent.length} ${rule.metric} windows ${side} ${rule.threshold}; ${rule.n} needed`,
    };
  }
  if ((rule.requireLatest ?? true) && !latestBeyond) {
    return {
      ...base,
      actionable: false,
      reason: 'LATEST_WITHIN',
      message: `the latest ${rule.metric} window is not ${side} ${rule.threshold}`,
    };
  }
  return {
    ...base,
    actionable: true,
    reason: 'ACTIONABLE',
    message: `${beyond} of the last ${recent.length} ${rule.metric} windows ${side} ${rule.threshold}${latestBeyond ? ', latest included' : ''}`,
  };
}

/** Any rule actionable → actionable; the decisions of all rules are returned for the record. */
export function evaluateDriftRules(
  rules: readonly DriftRule[],
  windowsByMetric: Readonly<Record<string, readonly DriftWindow[]>>,
): { actionable: boolean; decisions: DriftDecision[] } {
  const decisions = rules.map((r) => evaluateDrift(r, windowsByMetric[r.metric] ?? []));
  return { actionable: decisions.some((d) => d.actionable), decisions };
}
