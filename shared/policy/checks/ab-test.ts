import { z } from 'zod';
import { ChampionRule } from './champion';
import { defineCheck } from './define';

/** catalog.schema.table, each part a plain identifier (table names cannot be bound as SQL parameters). */
const UcTableName = z.string().regex(/^[A-Za-z0-9_]{1,255}\.[A-Za-z0-9_]{1,255}\.[A-Za-z0-9_]{1,255}$/, {
  message: 'must be catalog.schema.table (letters, digits, _)',
});
/** The champion rule language over the live metrics computed from the inference table. */
const AbRule = ChampionRule.extend({
  metric: z
    .enum(['error_rate', 'latency_mean_ms', 'latency_p95_ms'])
    .meta({ description: 'A live metric per served version from the inference table.' }),
});

/** Serving A/B gate (shared/serving/ab.ts): runs during a serving-endpoint rollout, not before approval. */
export const abTest = defineCheck(
  'ab-test',
  {
    inferenceTable: UcTableName.meta({
      description: 'The endpoint inference table, catalog.schema.table (AI Gateway or legacy auto-capture format).',
    }),
    tableFormat: z.enum(['ai-gateway', 'legacy']).default('ai-gateway').meta({
      description:
        'ai-gateway: joins system.serving.served_entities by served_entity_id; legacy: request_metadata.model_version.',
    }),
    warehouseId: z
      .string()
      .regex(/^[A-Za-z0-9]{1,64}$/)
      .optional()
      .meta({ description: 'SQL warehouse id (default: the DATABRICKS_WAREHOUSE_ID setting).' }),
    rules: z.array(AbRule).min(1),
    minSamples: z.int().min(1).default(100).meta({
      description: 'Requests each side needs in the window before the comparison counts; fewer is a failed gate.',
    }),
  },
  {
    facts: [],
    evaluate: () => ({
      status: 'error',
      message: 'ab-test checks run during a serving-endpoint rollout, not as built-in checks',
    }),
  },
);
