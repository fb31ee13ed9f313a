import { compareWithChampion } from '../decisions/champion';
import type { SqlParameter, StatementResult } from '../adapters/databricks-sql/client';
import type { CheckEvaluation } from '../promotion/checks';
import type { AbTestCheck } from './types';

/**
 * The A/B gate: live metrics per served version from the endpoint's inference table, compared with the champion
 * rule language (shared/decisions/champion.ts) plus a minimum sample count per side.
 *
 * Invariants: the table name is an identifier checked by the policy schema (catalog.schema.table, letters, digits
 * and _) and back-quoted; every value (endpoint, versions, window start) is a bound parameter. Too few samples on
 * either side fails the gate (a gate that cannot see evidence does not pass).
 */
export const AB_METRICS = ['error_rate', 'latency_mean_ms', 'latency_p95_ms'] as const;
export type AbMetric = (typeof AB_METRICS)[number];

function quoteTable(name: string): string {
  if (!/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(name))
    throw new RangeError(`not a catalog.schema.table name: ${name}`);
  return name
    .split('.')
    .map((p) => `\`${p}\``)
    .join('.');
}

export function abStatement(
  check: AbTestCheck,
  endpoint: string,
  championVersion: string,
  challengerVersion: string,
  since: string,
): { statement: string; parameters: SqlParameter[] } {
  const table = quoteTable(check.inferenceTable);
  const parameters: SqlParameter[] = [
    { name: 'endpoint', value: endpoint, type: 'STRING' },
    { name: 'champion', value: championVersion, type: 'STRING' },
    { name: 'challenger', value: challengerVersion, type: 'STRING' },
    { name: 'since', value: since, type: 'TIMESTAMP' },
  ];
  const statement =
    check.tableFormat === 'ai-gateway'
      ? [
          'SELECT s.entity_version AS version, COUNT(*) AS samples,',
          '  AVG(CASE WHEN t.status_code >= 400 THEN 1.0 ELSE 0.0 END) AS error_rate,',
          '  AVG(t.execution_duration_ms) AS latency_mean_ms,',
          '  PERCENTILE_APPROX(t.execution_duration_ms, 0.95) AS latency_p95_ms',
          `FROM ${table} t JOIN system.serving.served_entities s ON t.served_entity_id = s.served_entity_id`,
          'WHERE s.endpoint_name = :endpoint AND s.entity_version IN (:champion, :challenger) AND t.request_time >= :since',
          'GROUP BY s.entity_version',
        ].join('\n')
      : [
          "SELECT request_metadata['model_version'] AS version, COUNT(*) AS samples,",
          '  AVG(CASE WHEN status_code >= 400 THEN 1.0 ELSE 0.0 END) AS error_rate,',
          '  AVG(execution_time_ms) AS latency_mean_ms,',
          '  PERCENTILE_APPROX(execution_time_ms, 0.95) AS latency_p95_ms',
          `FROM ${table}`,
          "WHERE request_metadata['endpoint_name'] = :endpoint AND request_metadata['model_version'] IN (:champion, :challenger)",
          '  AND timestamp_ms >= unix_millis(:since)',
          "GROUP BY request_metadata['model_version']",
        ].join('\n');
  return { statement, parameters };
}

export interface SideMetrics {
  samples: number;
  metrics: Record<string, number>;
}

export function metricsByVersion(result: StatementResult): Map<string, SideMetrics> {
  const out = new Map<string, SideMetrics>();
  for (const row of result.rows) {
    const v = row['version'];
    if (v === null || v === undefined) continue;
    const metrics: Record<string, number> = {};
    for (const m of AB_METRICS) {
      const x = row[m];
      if (x !== null && x !== undefined && x !== '' && Number.isFinite(Number(x))) metrics[m] = Number(x);
    }
    out.set(v, { samples: Number(row['samples'] ?? 0) || 0, metrics });
  }
  return out;
}

export function abDecision(
  check: AbTestCheck,
  championVersion: string,
  challengerVersion: string,
  byVersion: Map<string, SideMetrics>,
): CheckEvaluation {
  const champ = byVersion.get(championVersion) ?? { samples: 0, metrics: {} };
  const chall = byVersion.get(challengerVersion) ?? { samples: 0, metrics: {} };
  const counts = `samples: challenger v${challengerVersion} ${chall.samples}, champion v${championVersion} ${champ.samples}`;
  if (chall.samples < check.minSamples || champ.samples < check.minSamples) {
    return {
      status: 'failed',
      message: `not enough live traffic to compare (${counts}; ${check.minSamples} required on each side)`,
    };
  }
  const cmp = compareWithChampion(chall.metrics, champ.metrics, check.rules);
  const bad = cmp.results.filter(
    (r) => r.status === 'failed' || r.status === 'missing' || r.status === 'champion-missing',
  );
  const passed = bad.length === 0;
  const message = passed
    ? `on live traffic, within limits of champion v${championVersion} (${counts}): ${cmp.results.map((r) => r.message).join('; ')}`
    : `on live traffic, worse than champion v${championVersion} (${counts}): ${bad.map((r) => r.message).join('; ')}`;
  return { status: passed ? 'passed' : 'failed', message, champion: { ...cmp, passed, championVersion } };
}
