import { z } from 'zod';

/**
 * MLflow REST shapes (protos/model_registry.proto, service.proto, webhooks.proto; protobuf-JSON: unset
 * fields omitted, enums as names, int64 as numbers, model versions as strings). Parsed leniently:
 * unknown fields are dropped, every optional field may be absent.
 */
const Tag = z.object({ key: z.string(), value: z.string().optional().default('') });

export const ModelVersion = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
  user_id: z.string().optional(),
  current_stage: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  status_message: z.string().optional(),
  tags: z.array(Tag).optional().default([]),
  run_link: z.string().optional(),
  aliases: z.array(z.string()).optional().default([]),
  model_id: z.string().optional(),
});
export type ModelVersion = z.output<typeof ModelVersion>;

export const RegisteredModel = z.object({
  name: z.string(),
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
  user_id: z.string().optional(),
  description: z.string().optional(),
  latest_versions: z.array(ModelVersion).optional().default([]),
  tags: z.array(Tag).optional().default([]),
  aliases: z
    .array(z.object({ alias: z.string(), version: z.string() }))
    .optional()
    .default([]),
});
export type RegisteredModel = z.output<typeof RegisteredModel>;

const Metric = z.object({
  key: z.string(),
  value: z.number(),
  timestamp: z.number().optional(),
  step: z.number().optional(),
});
const Param = z.object({ key: z.string(), value: z.string().optional().default('') });

export const Run = z.object({
  info: z.object({
    run_id: z.string().optional(),
    run_uuid: z.string().optional(),
    run_name: z.string().optional(),
    experiment_id: z.string().optional(),
    user_id: z.string().optional(),
    status: z.string().optional(),
    start_time: z.number().optional(),
    end_time: z.number().optional(),
    artifact_uri: z.string().optional(),
    lifecycle_stage: z.string().optional(),
  }),
  data: z
    .object({
      metrics: z.array(Metric).optional().default([]),
      params: z.array(Param).optional().default([]),
      tags: z.array(Tag).optional().default([]),
    })
    .optional()
    .default({ metrics: [], params: [], tags: [] }),
  inputs: z
    .object({
      dataset_inputs: z
        .array(
          z.object({
            dataset: z
              .object({
                name: z.string().optional(),
                digest: z.string().optional(),
                source_type: z.string().optional(),
              })
              .optional(),
            tags: z.array(Tag).optional().default([]),
          }),
        )
        .optional()
        .default([]),
    })
    .optional()
    .default({ dataset_inputs: [] }),
});
export type Run = z.output<typeof Run>;

export const FileInfo = z.object({
  path: z.string(),
  is_dir: z.boolean().optional().default(false),
  file_size: z.number().optional(),
});
export type FileInfo = z.output<typeof FileInfo>;

export const WebhookEvent = z.object({ entity: z.string(), action: z.string() });
export const Webhook = z.object({
  webhook_id: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  url: z.string().optional(),
  events: z.array(WebhookEvent).optional().default([]),
  status: z.string().optional(),
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
});
export type Webhook = z.output<typeof Webhook>;

export const Responses = {
  registeredModel: z.object({ registered_model: RegisteredModel }),
  registeredModels: z.object({
    registered_models: z.array(RegisteredModel).optional().default([]),
    next_page_token: z.string().optional(),
  }),
  modelVersion: z.object({ model_version: ModelVersion }),
  modelVersions: z.object({
    model_versions: z.array(ModelVersion).optional().default([]),
    next_page_token: z.string().optional(),
  }),
  run: z.object({ run: Run }),
  artifacts: z.object({
    root_uri: z.string().optional(),
    files: z.array(FileInfo).optional().default([]),
    next_page_token: z.string().optional(),
  }),
  webhook: z.object({ webhook: Webhook }),
  webhooks: z.object({ webhooks: z.array(Webhook).optional().default([]), next_page_token: z.string().optional() }),
  webhookTest: z.object({
    result: z.object({
      success: z.boolean().optional().default(false),
      response_status: z.number().optional(),
      response_body: z.string().optional(),
      error_message: z.string().optional(),
    }),
  }),
  downloadUri: z.object({ artifact_uri: z.string() }),
  empty: z.object({}),
};

/**
 * What an MLmodel file (YAML) says about the checks Stagecraft runs: a signature (inputs/outputs) and a
 * saved input example. Tolerant: an unreadable document has neither.
 */
export function inspectMLmodel(doc: unknown): { signature: boolean; inputExample: boolean; flavors: string[] } {
  if (typeof doc !== 'object' || doc === null) return { signature: false, inputExample: false, flavors: [] };
  const o = doc as Record<string, unknown>;
  const sig = o.signature;
  const signature = typeof sig === 'object' && sig !== null && ('inputs' in sig || 'outputs' in sig);
  const inputExample = o.saved_input_example_info !== undefined && o.saved_input_example_info !== null;
  const flavors = typeof o.flavors === 'object' && o.flavors !== null ? Object.keys(o.flavors) : [];
  return { signature, inputExample, flavors };
}

/** `[{key, value}]` lists (REST) to records. Later duplicates win. */
export function tagsToRecord(tags: readonly { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}

export function metricsToRecord(metrics: readonly { key: string; value: number }[]): Record<string, number> {
  return Object.fromEntries(metrics.map((m) => [m.key, m.value]));
}

/** A run's data as records, for threshold and champion decisions. */
export interface RunSummary {
  runId: string;
  status: string | undefined;
  artifactUri: string | undefined;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  datasets: { name: string | undefined; digest: string | undefined }[];
}

export function summarizeRun(run: Run): RunSummary {
  return {
    runId: run.info.run_id ?? run.info.run_uuid ?? '',
    status: run.info.status,
    artifactUri: run.info.artifact_uri,
    metrics: metricsToRecord(run.data.metrics),
    params: tagsToRecord(run.data.params),
    tags: tagsToRecord(run.data.tags),
    datasets: run.inputs.dataset_inputs.map((d) => ({ name: d.dataset?.name, digest: d.dataset?.digest })),
  };
}
