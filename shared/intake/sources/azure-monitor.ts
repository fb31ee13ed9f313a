/**
 * Azure Monitor action-group webhooks with the common alert schema. Plain webhooks carry no signature and no
 * custom headers, so the key travels in the URL (`?key=`); Secure Webhook (Entra token) is validated by the
 * platform in Azure. `Resolved` notifications reuse the alertId and are acknowledged but ignored.
 * The model, when the rule names one, comes from custom properties or the rule's properties
 * (`model_name`/`model`, `model_version`, `model_alias`).
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events';
import { SharedSecretVerifier } from '../verifiers';
import { list } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { event, eventsOf, ignored, parseWith } from './util';

const SOURCE = '/stagecraft/intake/azure-monitor';
const props = z.record(z.string(), z.unknown()).nullish();

const Alert = z.looseObject({
  schemaId: z.literal('azureMonitorCommonAlertSchema', {
    error: 'must be "azureMonitorCommonAlertSchema": enable the common alert schema on the action group',
  }),
  data: z.looseObject({
    essentials: z.looseObject({
      alertId: z.string().min(1),
      alertRule: z.string().min(1),
      severity: z.enum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']),
      signalType: z.string(),
      monitorCondition: z.string().min(1),
      monitoringService: z.string(),
      alertTargetIDs: z.array(z.string()).optional(),
      firedDateTime: z.iso.datetime({ offset: true }),
      description: z.string().nullish(),
    }),
    alertContext: z
      .looseObject({
        properties: props,
        condition: z
          .looseObject({
            allOf: z
              .array(
                z.looseObject({
                  metricName: z.string().optional(),
                  metricMeasureColumn: z.string().nullish(),
                  metricValue: z.number().nullish(),
                  threshold: z.union([z.string(), z.number()]).nullish(),
                  operator: z.string().nullish(),
                }),
              )
              .optional(),
          })
          .nullish(),
      })
      .nullish(),
    customProperties: props,
  }),
});

function stringProps(...sources: Array<Record<string, unknown> | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of sources)
    for (const [k, v] of Object.entries(src ?? {}))
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  return out;
}

export const azureMonitorSource = defineSource({
  name: 'azure-monitor',
  eventSource: SOURCE,
  http: {
    route: 'alerts/azure-monitor',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the sender (signature, shared secret or basic auth) before parsing',
    security: 'Azure Monitor action group: key (`AZURE_MONITOR_WEBHOOK_KEYS`)',
  },
  settings: {
    key: 'azureMonitor',
    env: {
      AZURE_MONITOR_WEBHOOK_KEYS: {
        schema: list,
        secret: true,
        description:
          'Keys accepted from Azure Monitor action groups in the `key` query parameter or `X-Stagecraft-Key` header, comma-separated.',
      },
    },
    toConfig: (v) => ({ keys: v.AZURE_MONITOR_WEBHOOK_KEYS }),
  },
  verifier: (settings) =>
    new SharedSecretVerifier({ secrets: settings.keys, queryParams: ['key'], headers: ['X-Stagecraft-Key'] }),
  deliveryId: (_request, body) => {
    const e = (body as { data?: { essentials?: { alertId?: unknown; monitorCondition?: unknown } } } | null)?.data
      ?.essentials;
    return typeof e?.alertId === 'string' && typeof e.monitorCondition === 'string'
      ? `${e.alertId}:${e.monitorCondition}`
      : undefined;
  },
  parse(body, ctx): ParseOutcome {
    const p = parseWith(Alert, body, 'Azure Monitor alert');
    if (!p.ok) return p.outcome;
    const { essentials: e, alertContext, customProperties } = p.value.data;
    if (e.monitorCondition !== 'Fired') return ignored(`alert ${e.alertRule} is ${e.monitorCondition}, not Fired`);
    const properties = stringProps(alertContext?.properties, customProperties);
    const modelName = properties.model_name ?? properties.model;
    const cond = alertContext?.condition?.allOf?.[0];
    const data: Record<string, unknown> = {
      alertId: e.alertId,
      rule: e.alertRule,
      severity: e.severity,
      signalType: e.signalType,
      monitoringService: e.monitoringService,
      firedAt: e.firedDateTime,
      targets: e.alertTargetIDs ?? [],
      properties,
    };
    if (e.description) data.description = e.description;
    if (modelName !== undefined) {
      data.model = {
        name: modelName,
        ...(properties.model_version ? { version: properties.model_version } : {}),
        ...(properties.model_alias ? { alias: properties.model_alias } : {}),
      };
    }
    if (cond) {
      data.metric = {
        name: cond.metricName ?? cond.metricMeasureColumn ?? 'value',
        ...(typeof cond.metricValue === 'number' ? { value: cond.metricValue } : {}),
        ...(cond.threshold !== null && cond.threshold !== undefined ? { threshold: String(cond.threshold) } : {}),
        ...(cond.operator ? { operator: cond.operator } : {}),
      };
    }
    return eventsOf(() => [event(EVENT_TYPES.alertFired, data, SOURCE, ctx, e.firedDateTime)]);
  },
});
