/**
 * Azure ML dataset drift (v1 dataset monitors) through Event Grid in the CloudEvents 1.0 schema:
 * `Microsoft.MachineLearningServices.DatasetDriftDetected` with data `{dataDriftId, dataDriftName, runId,
 * baseDatasetId, targetDatasetId, driftCoefficient, startTime, endTime}`. Other event types are acknowledged and
 * ignored. AZUREML_DRIFT_MODELS maps the monitor (dataDriftName or dataDriftId) to a model. Event Grid delivers one
 * event per request by default; a batch (array) is read event by event. The CloudEvents validation handshake
 * (OPTIONS + WebHook-Request-Origin) is answered by this source's HTTP step.
 * The drift feature is `dataset` / metric `drift_coefficient` (the drift rule's `metric`), window start–end.
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events';
import { SharedSecretVerifier } from '../verifiers';
import type { StagecraftConfig } from '../../config';
import type { DeliveryRequest } from '../request';
import { normalizeRequest } from '../request';
import { list, mapping } from '../../setting-values';
import { defineSource, type IntakeHttpStep, type ParseOutcome } from './types';
import { event, eventsOf, ignored, parseWith } from './util';

const SOURCE = '/stagecraft/intake/azureml';
export const AZUREML_DRIFT_TYPE = 'Microsoft.MachineLearningServices.DatasetDriftDetected';
const isoTime = z.iso.datetime({ offset: true });

const CloudEvent = z.looseObject({
  specversion: z.literal('1.0', {
    error: 'must be "1.0": set the Event Grid subscription to the CloudEvents v1.0 schema',
  }),
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  subject: z.string().optional(),
  time: isoTime.optional(),
  data: z.unknown(),
});
const DriftData = z.looseObject({
  dataDriftId: z.string().min(1),
  dataDriftName: z.string().min(1),
  runId: z.string().optional(),
  baseDatasetId: z.string().optional(),
  targetDatasetId: z.string().optional(),
  driftCoefficient: z.number(),
  startTime: isoTime,
  endTime: isoTime,
});

/** OPTIONS is Event Grid's validation handshake (after the same key check); POST delivers like every source. */
const handshakeStep: IntakeHttpStep = async (request, _context, deliver, deps) => {
  if ((request.method ?? 'POST').toUpperCase() !== 'OPTIONS') return deliver(request);
  return eventGridHandshake(
    normalizeRequest({ headers: [...request.headers], rawBody: '', query: request.query }),
    deps.config,
  );
};

export const azureMlSource = defineSource({
  name: 'azureml',
  eventSource: SOURCE,
  http: {
    route: 'events/azureml',
    methods: ['POST', 'OPTIONS'],
    auth: 'signature',
    note: 'key in ?key= or X-Stagecraft-Key (AZUREML_EVENTGRID_KEYS), also on the OPTIONS validation handshake',
    security:
      'Azure ML drift via Event Grid (CloudEvents): key in `?key=` or `X-Stagecraft-Key` (`AZUREML_EVENTGRID_KEYS`), on the OPTIONS validation handshake too',
    step: handshakeStep,
  },
  settings: {
    key: 'azureMl',
    env: {
      AZUREML_EVENTGRID_KEYS: {
        schema: list,
        secret: true,
        description:
          'Keys an Event Grid subscription must present (`key` query parameter or `X-Stagecraft-Key` header) at `/api/events/azureml`, comma-separated; also checked on the CloudEvents validation handshake. Unset: every delivery is refused.',
      },
      AZUREML_DRIFT_MODELS: {
        schema: mapping,
        description:
          'Which model an Azure ML dataset drift monitor is about: `<dataDriftName or dataDriftId>=<model>,...`. An unmapped monitor is acknowledged and ignored.',
      },
    },
    toConfig: (v) => ({ keys: v.AZUREML_EVENTGRID_KEYS, models: v.AZUREML_DRIFT_MODELS }),
  },
  verifier: (settings) =>
    new SharedSecretVerifier({ secrets: settings.keys, queryParams: ['key'], headers: ['X-Stagecraft-Key'] }),
  deliveryId: (_request, body) => {
    const one = Array.isArray(body) ? (body.length === 1 ? (body[0] as unknown) : undefined) : body;
    const id = (one as { id?: unknown } | null | undefined)?.id;
    return typeof id === 'string' && id ? id : undefined;
  },
  parse(body, ctx): ParseOutcome {
    const items = Array.isArray(body) ? body : [body];
    const events: Array<{ data: Record<string, unknown>; time: string }> = [];
    const skipped: string[] = [];
    for (const [i, item] of items.entries()) {
      const ce = parseWith(CloudEvent, item, 'CloudEvent', Array.isArray(body) ? `[${i}].` : '');
      if (!ce.ok) return ce.outcome;
      if (ce.value.type !== AZUREML_DRIFT_TYPE) {
        skipped.push(`${ce.value.type} is not a drift event`);
        continue;
      }
      const d = parseWith(DriftData, ce.value.data, 'DatasetDriftDetected data', 'data.');
      if (!d.ok) return d.outcome;
      const models = ctx.settings.models;
      const model = models[d.value.dataDriftName] ?? models[d.value.dataDriftId];
      if (!model) {
        skipped.push(`monitor ${d.value.dataDriftName} is not mapped to a model (AZUREML_DRIFT_MODELS)`);
        continue;
      }
      const data = {
        model: { name: model },
        detector: { tool: 'azureml-dataset-monitor', ref: d.value.runId ?? d.value.dataDriftId },
        window: { start: d.value.startTime, end: d.value.endTime },
        severity: 'Sev3' as const,
        datasetDrift: true,
        features: [{ name: 'dataset', metric: 'drift_coefficient', value: d.value.driftCoefficient, drifted: true }],
        detectedAt: ce.value.time ?? ctx.now,
      };
      events.push({ data, time: ce.value.time ?? ctx.now });
    }
    if (!events.length) return ignored(skipped.join('; ') || 'no events');
    return eventsOf(() => events.map((e) => event(EVENT_TYPES.driftDetected, e.data, SOURCE, ctx, e.time)));
  },
});

/**
 * Event Grid's CloudEvents abuse-protection handshake: `OPTIONS` with `WebHook-Request-Origin`; the endpoint
 * allows the origin by echoing it in `WebHook-Allowed-Origin`. The same key as deliveries is required (Event Grid
 * calls the subscription URL, `?key=` included), so nobody else can make the endpoint accept their subscription.
 */
export function eventGridHandshake(
  request: DeliveryRequest,
  config: StagecraftConfig,
): { status: number; headers: Record<string, string>; jsonBody?: unknown } {
  const verdict = azureMlSource.verifier(config).verify(request, Date.now());
  if (!verdict.ok)
    return {
      status: 401,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      jsonBody: { status: 'rejected', code: verdict.code, message: verdict.reason },
    };
  const origin = request.headers.get('webhook-request-origin')?.trim();
  if (!origin || !/^[A-Za-z0-9.-]{1,253}$/.test(origin))
    return {
      status: 400,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      jsonBody: {
        status: 'rejected',
        code: 'WEBHOOK_ORIGIN_MISSING',
        message: 'WebHook-Request-Origin header (a host name) is required',
      },
    };
  return { status: 200, headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '120' } };
}
