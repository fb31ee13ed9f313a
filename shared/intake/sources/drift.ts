/**
 * Generic drift payload. Producers (a Databricks job over Lakehouse Monitoring `_drift_metrics`, an Evidently
 * report step, anything else) post one JSON object:
 * ```json
 * { "model": "fraud-detector" | {"name", "version"?, "alias"?},
 *   "tool": "evidently", "ref": "...", "severity": "Sev2",
 *   "window": {"start","end"}, "comparison": {"type": "CONSECUTIVE"},
 *   // one of:
 *   "feature": "merchant_category", "metric": "js_distance", "value": 0.31, "threshold": 0.2,
 *   "features": [{"name","metric","value","threshold"?,"drifted"?}],
 *   "lakehouseMonitoring": {"rows": [<_drift_metrics rows>], "thresholds": {"js_distance": 0.2}},
 *   "evidently": <report.as_dict() or snapshot.dict()> }
 * ```
 * A feature drifts when `drifted` says so, else when value > threshold (p-value metrics: value < threshold).
 * Nothing drifted → 202 ignored.
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events';
import { list } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { optionalKeyVerifier } from './cloudevents';
import { event, eventsOf, ignored, invalid, parseWith } from './util';
import { ValidationError } from '../../errors';

const SOURCE = '/stagecraft/intake/drift';
const isoTime = z.iso.datetime({ offset: true });
const Window = z.object({ start: isoTime, end: isoTime });

const Feature = z.object({
  name: z.string().min(1),
  metric: z.string().min(1),
  value: z.number(),
  threshold: z.number().optional(),
  drifted: z.boolean().optional(),
});

const LakehouseRow = z.looseObject({
  column_name: z.string().min(1),
  window: Window.optional(),
  drift_type: z.string().optional(),
  js_distance: z.number().nullish(),
  ks_test: z.object({ statistic: z.number().nullish(), pvalue: z.number().nullish() }).nullish(),
  wasserstein_distance: z.number().nullish(),
  population_stability_index: z.number().nullish(),
  chi_squared_test: z.object({ statistic: z.number().nullish(), pvalue: z.number().nullish() }).nullish(),
  tv_distance: z.number().nullish(),
  l_infinity_distance: z.number().nullish(),
});

const Payload = z.looseObject({
  model: z.union([
    z
      .string()
      .min(1)
      .transform((name) => ({ name })),
    z.object({
      name: z.string().min(1),
      version: z.union([z.string(), z.number()]).transform(String).nullish(),
      alias: z.string().nullish(),
    }),
  ]),
  tool: z.string().min(1).optional(),
  ref: z.string().optional(),
  severity: z.enum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']).default('Sev3'),
  window: Window.optional(),
  comparison: z.object({ type: z.string().min(1), window: Window.optional() }).optional(),
  detectedAt: isoTime.optional(),
  datasetDrift: z.boolean().optional(),
  shareOfDriftedColumns: z.number().min(0).max(1).optional(),
  feature: z.string().min(1).optional(),
  metric: z.string().min(1).optional(),
  value: z.number().optional(),
  threshold: z.number().optional(),
  features: z.array(Feature).optional(),
  lakehouseMonitoring: z
    .object({ rows: z.array(LakehouseRow).min(1), thresholds: z.record(z.string(), z.number()).optional() })
    .optional(),
  evidently: z.looseObject({ metrics: z.array(z.unknown()) }).optional(),
});

type FeatureIn = z.output<typeof Feature>;
const LOWER_IS_WORSE = /p_?value/i;

function drifted(f: FeatureIn): boolean {
  if (f.drifted !== undefined) return f.drifted;
  if (f.threshold === undefined) return false;
  return LOWER_IS_WORSE.test(f.metric) ? f.value < f.threshold : f.value > f.threshold;
}

const LAKEHOUSE_DEFAULTS: Record<string, number> = {
  js_distance: 0.2,
  chi_squared_pvalue: 0.05,
  ks_pvalue: 0.05,
  population_stability_index: 0.2,
  tv_distance: 0.2,
};

function lakehouseFeatures(rows: z.output<typeof LakehouseRow>[], thresholds: Record<string, number>): FeatureIn[] {
  const t = { ...LAKEHOUSE_DEFAULTS, ...thresholds };
  const out: FeatureIn[] = [];
  for (const r of rows) {
    const metrics: Array<[string, number | null | undefined]> = [
      ['js_distance', r.js_distance],
      ['chi_squared_pvalue', r.chi_squared_test?.pvalue],
      ['ks_pvalue', r.ks_test?.pvalue],
      ['population_stability_index', r.population_stability_index],
      ['wasserstein_distance', r.wasserstein_distance],
      ['tv_distance', r.tv_distance],
      ['l_infinity_distance', r.l_infinity_distance],
    ];
    for (const [metric, value] of metrics) {
      if (typeof value !== 'number') continue;
      const threshold = t[metric];
      out.push({ name: r.column_name, metric, value, ...(threshold !== undefined ? { threshold } : {}) });
    }
  }
  return out;
}

const EvidentlyColumn = z.looseObject({
  column_name: z.string().optional(),
  stattest_name: z.string().optional(),
  stattest_threshold: z.number().nullish(),
  drift_score: z.number(),
  drift_detected: z.boolean(),
});

/** Legacy (≤0.6) DataDriftTable `drift_by_columns`, and ≥0.7 `ValueDrift(column=x)` metrics; parsed by name, not position. */
function evidentlyFeatures(report: { metrics: unknown[] }): FeatureIn[] {
  const out: FeatureIn[] = [];
  for (const m of report.metrics) {
    if (typeof m !== 'object' || m === null) continue;
    const rec = m as Record<string, unknown>;
    const result = rec.result as Record<string, unknown> | undefined;
    const byColumns = result?.drift_by_columns;
    if (typeof byColumns === 'object' && byColumns !== null) {
      for (const [column, raw] of Object.entries(byColumns)) {
        const c = EvidentlyColumn.safeParse(raw);
        if (!c.success) continue;
        out.push({
          name: c.data.column_name ?? column,
          metric: c.data.stattest_name ?? 'drift_score',
          value: c.data.drift_score,
          ...(typeof c.data.stattest_threshold === 'number' ? { threshold: c.data.stattest_threshold } : {}),
          drifted: c.data.drift_detected,
        });
      }
    }
    const metricId = typeof rec.metric_id === 'string' ? rec.metric_id : undefined;
    const column = metricId ? /^ValueDrift\(column=([^,)]+)/.exec(metricId)?.[1] : undefined;
    const value = typeof rec.value === 'number' ? rec.value : (rec.value as { value?: unknown } | undefined)?.value;
    if (column !== undefined && typeof value === 'number') out.push({ name: column, metric: 'drift_score', value });
  }
  return out;
}

export const driftSource = defineSource({
  name: 'drift',
  eventSource: SOURCE,
  http: {
    route: 'events/drift',
    methods: ['POST'],
    auth: 'function-key',
    note: 'function key (+ DRIFT_WEBHOOK_KEYS when set)',
    security: 'function key (+ `DRIFT_WEBHOOK_KEYS` when set)',
  },
  settings: {
    key: 'drift',
    env: {
      DRIFT_WEBHOOK_KEYS: {
        schema: list,
        secret: true,
        description:
          'Optional extra keys for the drift endpoint (`key` query or `X-Stagecraft-Key` header), comma-separated, on top of the function key. Unset: the function key is the only gate.',
      },
    },
    toConfig: (v) => ({ keys: v.DRIFT_WEBHOOK_KEYS }),
  },
  // Same gate as the CloudEvents endpoint: the function key, plus DRIFT_WEBHOOK_KEYS when set.
  verifier: (settings) => optionalKeyVerifier(settings.keys),
  deliveryId: () => undefined,
  parse(body, ctx): ParseOutcome {
    const p = parseWith(Payload, body, 'drift payload');
    if (!p.ok) return p.outcome;
    const v = p.value;
    let tool = v.tool;
    let features: FeatureIn[] = [...(v.features ?? [])];
    if (v.feature !== undefined || v.metric !== undefined || v.value !== undefined) {
      if (v.feature === undefined || v.metric === undefined || v.value === undefined) {
        const missing = (['feature', 'metric', 'value'] as const).filter((k) => v[k] === undefined);
        return invalid(
          new ValidationError(
            'INTAKE_PAYLOAD_INVALID',
            `drift payload is invalid: ${missing.join(', ')}: required with a single-feature payload`,
            {
              details: { fields: missing.map((path) => ({ path, message: 'required with feature/metric/value' })) },
            },
          ),
        );
      }
      features.push({
        name: v.feature,
        metric: v.metric,
        value: v.value,
        ...(v.threshold !== undefined ? { threshold: v.threshold } : {}),
      });
    }
    let window = v.window;
    let comparison = v.comparison;
    if (v.lakehouseMonitoring) {
      tool ??= 'databricks-lakehouse-monitoring';
      features = features.concat(lakehouseFeatures(v.lakehouseMonitoring.rows, v.lakehouseMonitoring.thresholds ?? {}));
      const first = v.lakehouseMonitoring.rows[0];
      window ??= first?.window;
      if (comparison === undefined && first?.drift_type) comparison = { type: first.drift_type };
    }
    if (v.evidently) {
      tool ??= 'evidently';
      features = features.concat(evidentlyFeatures(v.evidently));
    }
    if (features.length === 0) {
      return invalid(
        new ValidationError(
          'INTAKE_PAYLOAD_INVALID',
          'drift payload is invalid: features: give feature/metric/value, features[], lakehouseMonitoring.rows or evidently',
          {
            details: { fields: [{ path: 'features', message: 'no drift metrics found' }] },
          },
        ),
      );
    }
    const judged = features.map((f) => ({ ...f, drifted: drifted(f) }));
    if (!judged.some((f) => f.drifted) && v.datasetDrift !== true)
      return ignored(`no feature of ${v.model.name} exceeds its drift threshold`);
    const data: Record<string, unknown> = {
      model: v.model,
      detector: { tool: tool ?? 'custom', ...(v.ref !== undefined ? { ref: v.ref } : {}) },
      severity: v.severity,
      features: judged,
      detectedAt: v.detectedAt ?? ctx.now,
    };
    if (window) data.window = window;
    if (comparison) data.comparison = comparison;
    if (v.datasetDrift !== undefined) data.datasetDrift = v.datasetDrift;
    if (v.shareOfDriftedColumns !== undefined) data.shareOfDriftedColumns = v.shareOfDriftedColumns;
    return eventsOf(() => [event(EVENT_TYPES.driftDetected, data, SOURCE, ctx)]);
  },
});
