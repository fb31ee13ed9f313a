/**
 * Unity Catalog model events, relayed. UC has no registry webhooks; a Databricks job with a model update trigger
 * (integrations/databricks/relay) receives `{{job.trigger.model.updates}}`, a JSON list of
 * `{full_name, version, alias_name}`, and posts it here signed (databricks-uc-verifier.ts):
 *
 *   { "condition": "MODEL_VERSION_READY" | "MODEL_ALIAS_SET" | "MODEL_CREATED", "updates": [...],
 *     "job_id"?: ..., "run_id"?: ..., "workspace_url"?: ..., "triggered_at"?: RFC 3339 }
 *
 * Each update becomes the event any other registry's change would: a ready version is `model.version.created`
 * with the business key (name, version) that the MLflow webhook and the reconcilers use, so the relay, a retried
 * relay run and the UC reconciler's poll all start one workflow. An alias update is `model.alias.changed`; a
 * created model is `model.registered`. Unknown fields are ignored (the trigger's payload may grow).
 */
import { z } from 'zod';
import { EVENT_TYPES, type AnyStagecraftEvent } from '../../events';
import { isThreeLevelName } from '../../adapters/databricks-uc/types';
import { intWithDefault, list } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { event, eventsOf, ignored, parseWith } from './util';
import { UC_RELAY_HEADERS, UcRelayVerifier } from './databricks-uc-verifier';

const SOURCE = '/stagecraft/intake/databricks-uc';
const version = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'must be a version number')])
  .transform(String);

/** At most this many updates per delivery (the trigger hands a run about 9; a relay batch is small). */
export const MAX_UPDATES = 100;

const Update = z.looseObject({
  full_name: z.string().refine(isThreeLevelName, 'must be a three-level name catalog.schema.model'),
  version: version.nullish(),
  alias_name: z.string().min(1).nullish(),
});

/** The trigger's list may arrive as a JSON array or as its string form (job parameters are strings). */
const Updates = z.union([
  z.array(Update).max(MAX_UPDATES),
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not a JSON list' });
        return z.NEVER;
      }
    })
    .pipe(z.array(Update).max(MAX_UPDATES)),
]);

const Relay = z.looseObject({
  condition: z.string().min(1).optional(),
  updates: Updates,
  triggered_at: z.iso.datetime({ offset: true }).optional(),
});

export const databricksUcSource = defineSource({
  name: 'databricks-uc',
  eventSource: SOURCE,
  http: {
    route: 'webhooks/databricks-uc',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the relay signature (HMAC over timestamp.body, replay window) before parsing',
    security:
      'Unity Catalog relay job: `X-Stagecraft-Signature` `v1=<hex HMAC>` over `timestamp.body` + timestamp window (`DATABRICKS_UC_WEBHOOK_SECRETS`)',
  },
  settings: {
    key: 'databricksUc',
    env: {
      DATABRICKS_UC_WEBHOOK_SECRETS: {
        schema: list,
        secret: true,
        description:
          'Secrets of the Unity Catalog relay job (integrations/databricks: HMAC of `timestamp.body`, kept in a Databricks secret scope), comma-separated; any one may match (rotation). Unset: the endpoint rejects every delivery.',
      },
      DATABRICKS_UC_WEBHOOK_TOLERANCE_SECONDS: {
        schema: intWithDefault(300, 1, 86_400),
        default: '300',
        description: "Maximum age (and future skew) of the relay's `X-Stagecraft-Timestamp`, in seconds.",
      },
    },
    toConfig: (v) => ({
      secrets: v.DATABRICKS_UC_WEBHOOK_SECRETS,
      toleranceSeconds: v.DATABRICKS_UC_WEBHOOK_TOLERANCE_SECONDS,
    }),
  },
  verifier: (settings) =>
    new UcRelayVerifier({ secrets: settings.secrets, toleranceSeconds: settings.toleranceSeconds }),
  deliveryId: (request) => request.headers.get(UC_RELAY_HEADERS.deliveryId),
  parse(body, ctx): ParseOutcome {
    const p = parseWith(Relay, body, 'Unity Catalog relay payload');
    if (!p.ok) return p.outcome;
    const { updates } = p.value;
    if (updates.length === 0) return ignored('the relay sent no updates');
    const at = p.value.triggered_at ?? ctx.now;
    const common = { registry: 'databricks' as const, occurredAt: at };
    return eventsOf(() => {
      const out: AnyStagecraftEvent[] = [];
      for (const u of updates) {
        if (u.alias_name && u.version) {
          out.push(
            event(
              EVENT_TYPES.modelAliasChanged,
              { model: { name: u.full_name }, alias: u.alias_name, version: u.version, change: 'set', ...common },
              SOURCE,
              ctx,
              at,
            ),
          );
        } else if (u.version) {
          out.push(
            event(
              EVENT_TYPES.modelVersionCreated,
              {
                model: { name: u.full_name, version: u.version },
                source: null,
                runId: null,
                tags: {},
                description: null,
                ...common,
              },
              SOURCE,
              ctx,
              at,
            ),
          );
        } else if (!u.alias_name) {
          out.push(
            event(
              EVENT_TYPES.modelRegistered,
              { model: { name: u.full_name }, tags: {}, description: null, ...common },
              SOURCE,
              ctx,
              at,
            ),
          );
        }
      }
      return out;
    });
  },
});
