/**
 * Open-source MLflow 3.x model-registry webhooks. Envelope `{entity, action, timestamp, data[, workspace]}`;
 * `timestamp` is Python isoformat with `+00:00`. Prompt and budget events are valid but not Stagecraft's business.
 * No stage-transition events exist in OSS MLflow (stages are deprecated; aliases and tags drive promotion).
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events';
import { StandardWebhooksVerifier } from '../verifiers';
import { intWithDefault, list } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { event, eventsOf, ignored, parseWith } from './util';

const SOURCE = '/stagecraft/intake/mlflow';
const isoTime = z.iso.datetime({ offset: true });
const tags = z
  .record(z.string(), z.string())
  .nullish()
  .transform((t) => t ?? {});

const Envelope = z.looseObject({
  entity: z.string().min(1),
  action: z.string().min(1),
  timestamp: isoTime,
  data: z.looseObject({}),
});

const Schemas = {
  'registered_model.created': z.looseObject({ name: z.string().min(1), tags, description: z.string().nullish() }),
  'model_version.created': z.looseObject({
    name: z.string().min(1),
    version: z.string().min(1),
    source: z.string().nullish(),
    run_id: z.string().nullish(),
    tags,
    description: z.string().nullish(),
  }),
  'model_version_tag.set': z.looseObject({
    name: z.string().min(1),
    version: z.string().min(1),
    key: z.string().min(1),
    value: z.string(),
  }),
  'model_version_tag.deleted': z.looseObject({
    name: z.string().min(1),
    version: z.string().min(1),
    key: z.string().min(1),
  }),
  'model_version_alias.created': z.looseObject({
    name: z.string().min(1),
    alias: z.string().min(1),
    version: z.string().min(1),
  }),
  'model_version_alias.deleted': z.looseObject({ name: z.string().min(1), alias: z.string().min(1) }),
} as const;

type Handled = keyof typeof Schemas;

export const mlflowSource = defineSource({
  name: 'mlflow',
  eventSource: SOURCE,
  http: {
    route: 'webhooks/mlflow',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the sender (signature, shared secret or basic auth) before parsing',
    security: 'MLflow: `X-MLflow-Signature` HMAC over the body + timestamp window (`MLFLOW_WEBHOOK_SECRETS`)',
  },
  settings: {
    key: 'mlflow',
    env: {
      MLFLOW_WEBHOOK_SECRETS: {
        schema: list,
        secret: true,
        description:
          'MLflow webhook secrets, comma-separated; any one may match (rotation). Unset: the MLflow endpoint rejects every delivery.',
      },
      MLFLOW_WEBHOOK_TOLERANCE_SECONDS: {
        schema: intWithDefault(300, 1, 86_400),
        default: '300',
        description: 'Maximum age (and future skew) of `X-MLflow-Timestamp`, in seconds.',
      },
    },
    toConfig: (v) => ({ secrets: v.MLFLOW_WEBHOOK_SECRETS, toleranceSeconds: v.MLFLOW_WEBHOOK_TOLERANCE_SECONDS }),
  },
  verifier: (settings) =>
    new StandardWebhooksVerifier({ secrets: settings.secrets, toleranceSeconds: settings.toleranceSeconds }),
  deliveryId: (request) => request.headers.get('x-mlflow-delivery-id'),
  parse(body, ctx): ParseOutcome {
    const env = parseWith(Envelope, body, 'MLflow webhook payload');
    if (!env.ok) return env.outcome;
    const { entity, action, timestamp } = env.value;
    const name = `${entity}.${action}`;
    if (entity.startsWith('prompt')) return ignored(`${name}: prompt registry events are not used by Stagecraft`);
    if (!(name in Schemas)) return ignored(`${name}: event not handled by Stagecraft`);
    const handled = name as Handled;
    const data = parseWith(Schemas[handled], env.value.data, `MLflow ${name} data`, 'data');
    if (!data.ok) return data.outcome;
    const d = data.value as Record<string, unknown> & { name: string };
    const common = { registry: 'mlflow' as const, occurredAt: timestamp };
    return eventsOf(() => {
      switch (handled) {
        case 'registered_model.created':
          return [
            event(
              EVENT_TYPES.modelRegistered,
              { model: { name: d.name }, tags: d.tags, description: d.description ?? null, ...common },
              SOURCE,
              ctx,
              timestamp,
            ),
          ];
        case 'model_version.created':
          return [
            event(
              EVENT_TYPES.modelVersionCreated,
              {
                model: { name: d.name, version: d.version },
                source: d.source ?? null,
                runId: d.run_id ?? null,
                tags: d.tags,
                description: d.description ?? null,
                ...common,
              },
              SOURCE,
              ctx,
              timestamp,
            ),
          ];
        case 'model_version_tag.set':
          return [
            event(
              EVENT_TYPES.modelVersionTagSet,
              { model: { name: d.name, version: d.version }, key: d.key, value: d.value, ...common },
              SOURCE,
              ctx,
              timestamp,
            ),
          ];
        case 'model_version_tag.deleted':
          return [
            event(
              EVENT_TYPES.modelVersionTagDeleted,
              { model: { name: d.name, version: d.version }, key: d.key, ...common },
              SOURCE,
              ctx,
              timestamp,
            ),
          ];
        case 'model_version_alias.created':
          // MLflow emits `created` both for a new alias and for re-pointing an existing one.
          return [
            event(
              EVENT_TYPES.modelAliasChanged,
              { model: { name: d.name }, alias: d.alias, version: d.version, change: 'set', ...common },
              SOURCE,
              ctx,
              timestamp,
            ),
          ];
        case 'model_version_alias.deleted':
          return [
            event(
              EVENT_TYPES.modelAliasChanged,
              { model: { name: d.name }, alias: d.alias, version: null, change: 'deleted', ...common },
              SOURCE,
              ctx,
              timestamp,
            ),
          ];
      }
    });
  },
});
