/**
 * Databricks SQL alert webhooks (data quality monitoring alerts on `_drift_metrics` / `_profile_metrics` tables),
 * delivered by a webhook notification destination:
 * `{"event":"alert_state_change","url_base":…,"alert":{"title","description","alert":{"id","name","owner",…,
 * "query_text","warehouse_id","evaluations":[{"source":{"name"},"comparison_operator","threshold"}]}}}`.
 * Unknown fields are ignored. The payload names no model: DATABRICKS_ALERT_MODELS maps the alert id or name to
 * one (an unmapped alert is acknowledged and ignored). A state that says the alert is OK is ignored.
 * Auth: a shared key in `?key=` or `X-Stagecraft-Key`, like the Azure Monitor source.
 * Each evaluation becomes a drift feature: metric = the evaluated column (the drift rule's `metric`), value = the
 * observed value when the delivery carries one, else the threshold it crossed (flagged drifted).
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events';
import { SharedSecretVerifier } from '../verifiers';
import { list, mapping } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { event, eventsOf, ignored, parseWith } from './util';

const SOURCE = '/stagecraft/intake/databricks-alerts';

const num = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/)
    .transform(Number),
]);
/** A threshold as documented variants give it: a number, or `{ value: { double_value } }`. */
const Threshold = z
  .union([
    num,
    z
      .looseObject({ value: z.looseObject({ double_value: num.optional() }).optional() })
      .transform((t) => t.value?.double_value),
  ])
  .nullish();

const Evaluation = z.looseObject({
  source: z.looseObject({ name: z.string().min(1) }),
  comparison_operator: z.string().optional(),
  threshold: Threshold,
  value: num.nullish(),
  current_value: num.nullish(),
  state: z.string().optional(),
});

const Payload = z.looseObject({
  event: z.literal('alert_state_change', { error: 'must be "alert_state_change" (a Databricks SQL alert webhook)' }),
  url_base: z.string().optional(),
  alert: z.looseObject({
    title: z.string().optional(),
    description: z.string().nullish(),
    state: z.string().optional(),
    alert: z.looseObject({
      id: z.string().min(1),
      name: z.string().optional(),
      display_name: z.string().optional(),
      owner: z.string().optional(),
      state: z.string().optional(),
      warehouse_id: z.string().optional(),
      evaluations: z.array(Evaluation).optional(),
      evaluation: Evaluation.optional(),
    }),
  }),
});

export const databricksAlertsSource = defineSource({
  name: 'databricks-alerts',
  eventSource: SOURCE,
  http: {
    route: 'alerts/databricks',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the key (?key= or X-Stagecraft-Key, DATABRICKS_ALERT_WEBHOOK_KEYS) before parsing',
    security:
      'Databricks SQL alert webhook destination: key in `?key=` or `X-Stagecraft-Key` (`DATABRICKS_ALERT_WEBHOOK_KEYS`); unmapped alerts ignored',
  },
  settings: {
    key: 'databricksAlerts',
    env: {
      DATABRICKS_ALERT_WEBHOOK_KEYS: {
        schema: list,
        secret: true,
        description:
          'Keys a Databricks SQL alert webhook destination must present (`key` query parameter or `X-Stagecraft-Key` header) at `/api/alerts/databricks`, comma-separated. Unset: every delivery is refused.',
      },
      DATABRICKS_ALERT_MODELS: {
        schema: mapping,
        description:
          'Which model a Databricks alert (data quality monitoring) is about: `<alert id or name>=<model>,...`. An unmapped alert is acknowledged and ignored.',
      },
    },
    toConfig: (v) => ({ keys: v.DATABRICKS_ALERT_WEBHOOK_KEYS, models: v.DATABRICKS_ALERT_MODELS }),
  },
  verifier: (settings) =>
    new SharedSecretVerifier({ secrets: settings.keys, queryParams: ['key'], headers: ['X-Stagecraft-Key'] }),
  deliveryId: () => undefined,
  parse(body, ctx): ParseOutcome {
    const p = parseWith(Payload, body, 'Databricks alert');
    if (!p.ok) return p.outcome;
    const outer = p.value.alert;
    const a = outer.alert;
    const name = a.display_name ?? a.name ?? outer.title ?? a.id;
    const state = (a.state ?? outer.state ?? a.evaluation?.state ?? '').toUpperCase();
    if (state === 'OK' || state === 'UNKNOWN') return ignored(`alert ${name} is ${state}, not TRIGGERED`);
    const models = ctx.settings.models;
    const model =
      models[a.id] ??
      (a.name ? models[a.name] : undefined) ??
      (a.display_name ? models[a.display_name] : undefined) ??
      (outer.title ? models[outer.title] : undefined);
    if (!model) return ignored(`alert ${name} (${a.id}) is not mapped to a model (DATABRICKS_ALERT_MODELS)`);
    const evaluations = [...(a.evaluations ?? []), ...(a.evaluation ? [a.evaluation] : [])];
    if (!evaluations.length) return ignored(`alert ${name} carries no evaluation (no metric to compare)`);
    const features = evaluations.map((e) => {
      const observed = e.value ?? e.current_value ?? undefined;
      const threshold = e.threshold ?? undefined;
      return {
        name: e.source.name,
        metric: e.source.name,
        value: observed ?? threshold ?? 0,
        ...(threshold !== undefined ? { threshold } : {}),
        drifted: true,
      };
    });
    const data = {
      model: { name: model },
      detector: { tool: 'databricks-sql-alert', ref: a.id },
      severity: 'Sev3' as const,
      features,
      detectedAt: ctx.now,
    };
    return eventsOf(() => [event(EVENT_TYPES.driftDetected, data, SOURCE, ctx, ctx.now)]);
  },
});
