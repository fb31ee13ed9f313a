import { z } from 'zod';

/**
 * Unity Catalog model shapes, from databricks-sdk-py `service/catalog.py` (RegisteredModelInfo, ModelVersionInfo,
 * RegisteredModelAlias) and mlflow `protos/databricks_uc_registry_messages.proto` (the `/api/2.0/mlflow/unity-catalog`
 * ModelVersion, which carries the version tags). Parsed leniently: unknown fields dropped, optional fields absent.
 * `version_num`/`version` are integers in the UC API and strings in the MLflow one; both are kept as strings.
 */
const num = z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform((v) => String(v));

export const UcAlias = z.object({ alias_name: z.string(), version_num: num.optional() });
export type UcAlias = z.output<typeof UcAlias>;

export const UcVersionStatus = z
  .string()
  .describe('PENDING_REGISTRATION | READY | FAILED_REGISTRATION | MODEL_VERSION_STATUS_UNKNOWN');

export const UcModelVersion = z.object({
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  model_name: z.string().optional(),
  version: num,
  status: UcVersionStatus.optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  run_workspace_id: z.union([z.number(), z.string()]).optional(),
  comment: z.string().optional(),
  created_at: z.number().optional(),
  created_by: z.string().optional(),
  updated_at: z.number().optional(),
  updated_by: z.string().optional(),
  storage_location: z.string().optional(),
  aliases: z.array(UcAlias).optional().default([]),
  id: z.string().optional(),
});
export type UcModelVersion = z.output<typeof UcModelVersion>;

export const UcRegisteredModel = z.object({
  full_name: z.string().optional(),
  name: z.string().optional(),
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  owner: z.string().optional(),
  comment: z.string().optional(),
  created_at: z.number().optional(),
  created_by: z.string().optional(),
  updated_at: z.number().optional(),
  aliases: z.array(UcAlias).optional().default([]),
});
export type UcRegisteredModel = z.output<typeof UcRegisteredModel>;

const Tag = z.object({ key: z.string(), value: z.string().optional().default('') });

/** `/api/2.0/mlflow/unity-catalog/model-versions/get` → `model_version` (has tags; `user_id` is the creator). */
export const UcMlflowModelVersion = z.object({
  name: z.string(),
  version: num,
  creation_timestamp: z.number().optional(),
  user_id: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  status_message: z.string().optional(),
  tags: z.array(Tag).optional().default([]),
  aliases: z
    .array(z.object({ alias: z.string(), version: num.optional() }))
    .optional()
    .default([]),
});
export type UcMlflowModelVersion = z.output<typeof UcMlflowModelVersion>;

export const UcResponses = {
  version: UcModelVersion,
  model: UcRegisteredModel,
  alias: z.object({ alias_name: z.string().optional(), version_num: num.optional() }).loose(),
  versions: z.object({
    model_versions: z.array(UcModelVersion).optional().default([]),
    next_page_token: z.string().optional(),
  }),
  models: z.object({
    registered_models: z.array(UcRegisteredModel).optional().default([]),
    next_page_token: z.string().optional(),
  }),
  mlflowVersion: z.object({ model_version: UcMlflowModelVersion }),
};

/** `catalog.schema.model`: three non-empty parts without dots inside. */
export const THREE_LEVEL = /^[^.\s/]+\.[^.\s/]+\.[^.\s/]+$/;

export function isThreeLevelName(name: string): boolean {
  return THREE_LEVEL.test(name);
}
