/**
 * zod schemas for the `data` of each Stagecraft event type. These are the contract between intake and workflows;
 * JSON Schemas in docs/schemas/ are generated from them (scripts/gen-schemas.ts).
 * Field names are camelCase; identifiers from source systems are kept as strings (MLflow versions are strings,
 * Databricks run ids exceed 2^53 in some workspaces).
 */
import { z } from 'zod';
import { identifier } from './identifiers';
import { EVENT_TYPES, type EventType } from './types';

/** Free-form names (rules, detectors, features, metrics, stages, people): bounded, no control characters. */
const nonEmpty = identifier('name');
const isoTime = z.iso.datetime({ offset: true, local: false });
const registry = z.enum(['mlflow', 'databricks']).describe('Which registry emitted the change');
const tags = z.record(z.string(), z.string());

export const ModelRef = z.object({ name: identifier('modelName') }).describe('A registered model');
export const ModelVersionRef = z
  .object({ name: identifier('modelName'), version: identifier('version') })
  .describe('One version of a registered model');

export const ModelRegisteredData = z.object({
  model: ModelRef,
  tags,
  description: z.string().nullable(),
  registry,
  occurredAt: isoTime,
});

export const ModelVersionCreatedData = z.object({
  model: ModelVersionRef,
  source: z.string().nullable().describe('Artifact or logged-model URI, e.g. models:/m-<id>'),
  runId: z.string().nullable(),
  tags,
  description: z.string().nullable(),
  registry,
  occurredAt: isoTime,
});

export const ModelAliasChangedData = z.object({
  model: ModelRef,
  alias: identifier('alias'),
  version: identifier('version')
    .nullable()
    .describe('Version the alias now points to; null when the alias was deleted'),
  change: z.enum(['set', 'deleted']),
  registry,
  occurredAt: isoTime,
});

export const ModelVersionTagSetData = z.object({
  model: ModelVersionRef,
  key: identifier('tagKey'),
  value: z.string(),
  registry,
  occurredAt: isoTime,
});

export const ModelVersionTagDeletedData = z.object({
  model: ModelVersionRef,
  key: identifier('tagKey'),
  registry,
  occurredAt: isoTime,
});

export const ModelVersionStageTransitionedData = z.object({
  model: ModelVersionRef,
  fromStage: z.string().nullable(),
  toStage: nonEmpty,
  registry,
  occurredAt: isoTime,
  text: z.string().optional(),
});

export const ModelTransitionRequestedData = z.object({
  model: ModelVersionRef,
  fromStage: z.string().nullable(),
  toStage: nonEmpty,
  registry,
  occurredAt: isoTime,
  text: z.string().optional(),
});

const gitProvider = z.enum(['github', 'azure-devops']);
const GitRepository = z.object({
  id: identifier('repository').describe(
    'Provider-unique repository name: owner/name (GitHub) or project/name (Azure DevOps)',
  ),
  url: z.string().optional(),
});

export const GitMergedData = z.object({
  provider: gitProvider,
  repository: GitRepository,
  branch: identifier('branch').describe('Target branch without refs/heads/'),
  commit: identifier('commit').describe('Commit that landed on the branch (merge, squash or rebase result)'),
  via: z.enum(['pull_request', 'push']),
  pullRequest: z
    .object({
      number: z.number().int(),
      title: z.string().optional(),
      url: z.string().optional(),
      sourceBranch: z.string().optional(),
    })
    .optional(),
  actor: z.string().optional(),
  occurredAt: isoTime.optional(),
});

export const GitReleasePushedData = z.object({
  provider: gitProvider,
  repository: GitRepository,
  branch: identifier('branch'),
  commit: identifier('commit'),
  actor: z.string().optional(),
  occurredAt: isoTime.optional(),
});

const severity = z.enum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']);
const Window = z.object({ start: isoTime, end: isoTime });

export const DriftDetectedData = z.object({
  model: z.object({
    name: identifier('modelName'),
    version: identifier('version').nullable().optional(),
    alias: identifier('alias').nullable().optional(),
  }),
  detector: z.object({
    tool: nonEmpty.describe('e.g. databricks-lakehouse-monitoring, evidently, custom'),
    ref: z.string().optional(),
  }),
  window: Window.optional(),
  comparison: z.object({ type: nonEmpty, window: Window.optional() }).optional(),
  severity,
  datasetDrift: z.boolean().optional(),
  shareOfDriftedColumns: z.number().min(0).max(1).optional(),
  features: z
    .array(
      z.object({
        name: nonEmpty.describe('Feature (column) or metric name'),
        metric: nonEmpty,
        value: z.number(),
        threshold: z.number().optional(),
        drifted: z.boolean(),
      }),
    )
    .min(1),
  detectedAt: isoTime,
});

export const AlertFiredData = z.object({
  alertId: identifier('id'),
  rule: nonEmpty,
  severity,
  signalType: z.string(),
  monitoringService: z.string(),
  firedAt: isoTime,
  description: z.string().optional(),
  model: z
    .object({
      name: identifier('modelName'),
      version: identifier('version').optional(),
      alias: identifier('alias').optional(),
    })
    .optional(),
  targets: z.array(z.string()),
  properties: z.record(z.string(), z.string()),
  metric: z
    .object({
      name: z.string(),
      value: z.number().optional(),
      threshold: z.string().optional(),
      operator: z.string().optional(),
    })
    .optional(),
});

export const RetrainRequestedData = z.object({
  model: ModelRef,
  reason: z.string().min(1),
  requestedBy: nonEmpty,
  requestId: identifier('id').optional().describe('Caller idempotency key; repeats with the same id are one request'),
  parameters: z.record(z.string(), z.string()).optional(),
});

export const PromoteRequestedData = z.object({
  model: ModelVersionRef,
  targetAlias: identifier('alias'),
  requestedBy: nonEmpty,
  requestId: identifier('id').optional(),
  reason: z.string().optional(),
});

export const JobFinishedData = z.object({
  provider: z
    .enum(['databricks', 'local'])
    .describe('databricks: a job run notification; local: the embedded local job runner'),
  jobId: identifier('id').describe('Databricks job id, or the local run key'),
  runId: identifier('runId').describe('Job run id (or task run id with parentRunId)'),
  parentRunId: identifier('runId').optional(),
  taskKey: z.string().optional(),
  jobName: z.string().optional(),
  outcome: z.enum(['success', 'failure']),
  resultState: z
    .string()
    .optional()
    .describe('Databricks result state when the producer knows it; notifications do not carry it'),
  workspaceId: z.string().optional(),
});

export const ModelPromotedData = z.object({
  model: ModelVersionRef,
  alias: identifier('alias'),
  previousVersion: identifier('version').nullable(),
  promotionId: identifier('id'),
  promotedAt: isoTime,
});

export const EVENT_DATA_SCHEMAS = {
  [EVENT_TYPES.modelRegistered]: ModelRegisteredData,
  [EVENT_TYPES.modelVersionCreated]: ModelVersionCreatedData,
  [EVENT_TYPES.modelAliasChanged]: ModelAliasChangedData,
  [EVENT_TYPES.modelVersionTagSet]: ModelVersionTagSetData,
  [EVENT_TYPES.modelVersionTagDeleted]: ModelVersionTagDeletedData,
  [EVENT_TYPES.modelVersionStageTransitioned]: ModelVersionStageTransitionedData,
  [EVENT_TYPES.modelTransitionRequested]: ModelTransitionRequestedData,
  [EVENT_TYPES.gitMerged]: GitMergedData,
  [EVENT_TYPES.gitReleasePushed]: GitReleasePushedData,
  [EVENT_TYPES.driftDetected]: DriftDetectedData,
  [EVENT_TYPES.alertFired]: AlertFiredData,
  [EVENT_TYPES.retrainRequested]: RetrainRequestedData,
  [EVENT_TYPES.promoteRequested]: PromoteRequestedData,
  [EVENT_TYPES.jobFinished]: JobFinishedData,
  [EVENT_TYPES.modelPromoted]: ModelPromotedData,
} as const satisfies Record<EventType, z.ZodType>;

export type EventDataMap = { [K in EventType]: z.output<(typeof EVENT_DATA_SCHEMAS)[K]> };
export type EventData<T extends EventType> = EventDataMap[T];
