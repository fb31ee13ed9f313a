/**
 * Databricks workspace (legacy) model-registry webhooks. Payloads are minimal:
 * `{event, webhook_id, event_timestamp (ms), model_name, version, [to_stage, from_stage], [tags], text}`.
 * Signed with `X-Databricks-Signature` (hex HMAC of the raw body); no delivery id, so the body hash serves.
 */
import { z } from 'zod';
import { EVENT_TYPES, type AnyStagecraftEvent } from '../../events';
import { HexHmacVerifier } from '../verifiers';
import { list } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { ValidationError } from '../../errors';
import { event, eventsOf, ignored, invalid, msToIso, parseWith } from './util';

const SOURCE = '/stagecraft/intake/databricks';
const id = z.union([z.string().min(1), z.number()]).transform(String);

const Payload = z.looseObject({
  event: z.string().min(1),
  webhook_id: z.string().optional(),
  event_timestamp: z.union([z.number(), z.string().regex(/^\d+$/)]),
  model_name: z.string().min(1),
  version: id.optional(),
  to_stage: z.string().optional(),
  from_stage: z.string().nullish(),
  tags: z.array(z.object({ key: z.string().min(1), value: z.string() })).optional(),
  text: z.string().optional(),
});

const STAGE_IN_EVENT: Record<string, string> = { STAGING: 'Staging', PRODUCTION: 'Production', ARCHIVED: 'Archived' };

export const databricksSource = defineSource({
  name: 'databricks',
  eventSource: SOURCE,
  http: {
    route: 'webhooks/databricks',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the sender (signature, shared secret or basic auth) before parsing',
    security: 'Databricks registry webhook: `X-Databricks-Signature` (`DATABRICKS_WEBHOOK_SECRETS`)',
  },
  settings: {
    key: 'databricks',
    env: {
      DATABRICKS_WEBHOOK_SECRETS: {
        schema: list,
        secret: true,
        description: 'Databricks registry webhook secrets (`http_url_spec.secret`), comma-separated for rotation.',
      },
    },
    toConfig: (v) => ({ secrets: v.DATABRICKS_WEBHOOK_SECRETS }),
  },
  verifier: (settings) => new HexHmacVerifier({ header: 'X-Databricks-Signature', secrets: settings.secrets }),
  deliveryId: () => undefined,
  parse(body, ctx): ParseOutcome {
    const p = parseWith(Payload, body, 'Databricks registry webhook payload');
    if (!p.ok) return p.outcome;
    const v = p.value;
    const time = msToIso(v.event_timestamp);
    const common = { registry: 'databricks' as const, occurredAt: time };
    const transition = /^MODEL_VERSION_TRANSITIONED_(?:TO_(STAGING|PRODUCTION|ARCHIVED)|STAGE)$/.exec(v.event);
    const request = /^TRANSITION_REQUEST_(?:TO_(STAGING|PRODUCTION|ARCHIVED)_)?CREATED$/.exec(v.event);
    const versionEvents =
      v.event === 'MODEL_VERSION_CREATED' ||
      v.event === 'MODEL_VERSION_TAG_SET' ||
      transition !== null ||
      request !== null;
    if (!versionEvents && v.event !== 'REGISTERED_MODEL_CREATED')
      return ignored(`${v.event}: event not handled by Stagecraft`);
    if (versionEvents && v.version === undefined) {
      return invalid(
        new ValidationError(
          'INTAKE_PAYLOAD_INVALID',
          `Databricks registry webhook payload is invalid: version: required for ${v.event}`,
          {
            details: { fields: [{ path: 'version', message: `required for ${v.event}` }] },
          },
        ),
      );
    }
    if (v.event === 'MODEL_VERSION_TAG_SET' && (v.tags ?? []).length === 0)
      return ignored('MODEL_VERSION_TAG_SET without tags');
    const model = { name: v.model_name, version: v.version ?? '' };
    return eventsOf((): AnyStagecraftEvent[] => {
      if (v.event === 'MODEL_VERSION_CREATED') {
        return [
          event(
            EVENT_TYPES.modelVersionCreated,
            { model, source: null, runId: null, tags: {}, description: null, ...common },
            SOURCE,
            ctx,
            time,
          ),
        ];
      }
      if (v.event === 'REGISTERED_MODEL_CREATED') {
        return [
          event(
            EVENT_TYPES.modelRegistered,
            { model: { name: v.model_name }, tags: {}, description: null, ...common },
            SOURCE,
            ctx,
            time,
          ),
        ];
      }
      if (v.event === 'MODEL_VERSION_TAG_SET') {
        return (v.tags ?? []).map((t) =>
          event(EVENT_TYPES.modelVersionTagSet, { model, key: t.key, value: t.value, ...common }, SOURCE, ctx, time),
        );
      }
      const m = (transition ?? request)!;
      const toStage = v.to_stage ?? (m[1] ? STAGE_IN_EVENT[m[1]] : undefined);
      const type = transition ? EVENT_TYPES.modelVersionStageTransitioned : EVENT_TYPES.modelTransitionRequested;
      const data: Record<string, unknown> = { model, fromStage: v.from_stage ?? null, toStage, ...common };
      if (v.text !== undefined) data.text = v.text;
      return [event(type, data, SOURCE, ctx, time)];
    });
  },
});
