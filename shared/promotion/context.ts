/**
 * Step 1 of a promotion: read the triggering event, the model's policy and the model version. Every way this can
 * fail is a value with a code and a reason the promotion record keeps (fail fast, never a silent stop).
 */
import { EVENT_TYPES, type AnyStagecraftEvent } from '../events';
import { ModelVersionCreatedData, PromoteRequestedData } from '../events/data';
import { NotFoundError } from '../errors';
import type { ModelVersion } from '../adapters/mlflow';
import type { ModelRegistry, RegistryKind } from '../registry/port';
import { tagsToRecord } from '../adapters/mlflow';
import { PolicyFileError, PolicyInvalidError, tryResolvePolicy } from '../policy';
import { loadPolicy } from '../policy/load';
import type { AuthorSource } from '../decisions/approval';
import type { LoadContextResult, TriggerInfo, VersionInfo } from './types';

/** Version tags that link a version to the retraining run that produced it (first present wins). */
export const RETRAINING_RUN_TAGS = ['stagecraft.retraining_run_id', 'stagecraft.retraining_run', 'retraining_run_id'];
export const GIT_COMMIT_TAGS = ['git_commit', 'mlflow.source.git.commit', 'git.commit'];

function first(tags: Record<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (tags[k]) return tags[k];
  return undefined;
}

/** MLflow's system tag naming the user who created a run (set by the client even where user_id is not). */
export const RUN_USER_TAG = 'mlflow.user';

/**
 * The version's author: the registry's `user_id` (the workspace registry fills it; Unity Catalog's `created_by` is
 * mapped onto it by shared/registry/unity-catalog.ts, as the MLflow UC API itself does; open-source
 * MLflow never does), else the source run's `mlflow.user` tag, else unknown. A tag is a claim made by whoever
 * logged the run; it is recorded as such (`authorSource`).
 */
export function authorOf(
  mv: ModelVersion,
  runTags: Record<string, string>,
): { author: string | undefined; authorSource: AuthorSource } {
  const registry = mv.user_id?.trim();
  if (registry) return { author: registry, authorSource: 'registry-user-id' };
  const run = runTags[RUN_USER_TAG]?.trim();
  if (run) return { author: run, authorSource: 'run-mlflow-user' };
  return { author: undefined, authorSource: 'unknown' };
}

export function versionInfo(mv: ModelVersion, runTags: Record<string, string> = {}): VersionInfo {
  const tags = tagsToRecord(mv.tags);
  const { author, authorSource } = authorOf(mv, runTags);
  return {
    name: mv.name,
    version: mv.version,
    status: mv.status ?? 'UNKNOWN',
    runId: mv.run_id || undefined,
    source: mv.source || undefined,
    author,
    authorSource,
    description: mv.description || undefined,
    tags,
    aliases: mv.aliases,
    currentStage: mv.current_stage || undefined,
    createdAt: mv.creation_timestamp === undefined ? undefined : new Date(mv.creation_timestamp).toISOString(),
    gitCommit: first(tags, GIT_COMMIT_TAGS) ?? first(runTags, GIT_COMMIT_TAGS),
    retrainingRun: first(tags, RETRAINING_RUN_TAGS),
  };
}

function triggerOf(
  event: AnyStagecraftEvent,
): { model: { name: string; version: string }; trigger: TriggerInfo } | undefined {
  if (event.type === EVENT_TYPES.modelVersionCreated) {
    const d = ModelVersionCreatedData.safeParse(event.data);
    if (!d.success) return undefined;
    return {
      model: d.data.model,
      trigger: {
        kind: 'model-version-created',
        eventId: event.id,
        triggeredBy: undefined,
        requestId: undefined,
        reason: undefined,
        targetAlias: undefined,
      },
    };
  }
  if (event.type === EVENT_TYPES.promoteRequested) {
    const d = PromoteRequestedData.safeParse(event.data);
    if (!d.success) return undefined;
    return {
      model: d.data.model,
      trigger: {
        kind: 'promote-requested',
        eventId: event.id,
        triggeredBy: d.data.requestedBy,
        requestId: d.data.requestId,
        reason: d.data.reason,
        targetAlias: d.data.targetAlias,
      },
    };
  }
  return undefined;
}

export async function loadPromotionContext(
  event: AnyStagecraftEvent | undefined,
  deps: { registry: (kind: RegistryKind) => ModelRegistry; policyFile: string },
): Promise<LoadContextResult> {
  const t = event && typeof event === 'object' ? triggerOf(event) : undefined;
  if (!t)
    return {
      ok: false,
      code: 'EVENT_INVALID',
      reason: `the input event is not a model.version.created or promote.requested event with valid data`,
    };
  const { model, trigger } = t;
  let policy;
  try {
    policy = await loadPolicy(deps.policyFile);
  } catch (e) {
    if (e instanceof PolicyInvalidError || e instanceof PolicyFileError)
      return { ok: false, code: 'POLICY_INVALID', reason: e.message, model, trigger };
    throw e;
  }
  const resolved = tryResolvePolicy(policy, model.name);
  if (!resolved.ok) return { ok: false, code: resolved.error.code, reason: resolved.error.message, model, trigger };
  // The model's policy chooses its registry (mlflow, databricks-workspace or unity-catalog).
  const client = deps.registry(resolved.value.policy.registry);
  let mv: ModelVersion;
  try {
    mv = await client.getModelVersion(model.name, model.version);
  } catch (e) {
    if (e instanceof NotFoundError)
      return {
        ok: false,
        code: 'VERSION_NOT_FOUND',
        reason: `model ${model.name} version ${model.version} does not exist in the registry`,
        model,
        trigger,
      };
    throw e;
  }
  if (mv.status !== 'READY') {
    return {
      ok: false,
      code: 'VERSION_NOT_READY',
      reason: `model ${model.name} version ${model.version} is ${mv.status ?? 'in an unknown state'}${mv.status_message ? ` (${mv.status_message})` : ''}, not READY`,
      model,
      trigger,
    };
  }
  let runTags: Record<string, string> = {};
  if (mv.run_id) {
    try {
      runTags = (await client.getRunSummary(mv.run_id)).tags;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  return { ok: true, model: versionInfo(mv, runTags), policy: resolved.value, trigger, policySource: deps.policyFile };
}
