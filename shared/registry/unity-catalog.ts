/**
 * ModelRegistry over Unity Catalog. Versions, aliases and the creator come from the UC models API; tags from the
 * MLflow UC endpoint (the 2.1 API has none); runs from the workspace's MLflow tracking server on the same host.
 *
 * Invariants:
 * - `user_id` of a mapped version is UC's `created_by` (the MLflow UC API calls the same person `user_id`), so the
 *   approval's author rule reads the registry's creator (`authorSource: registry-user-id`), never a run tag first.
 * - Stages do not exist in UC: stage calls fail with REGISTRY_UNSUPPORTED (policy check refuses such policies).
 * - Model version artifacts live in UC volumes/storage behind temporary credentials Stagecraft does not request:
 *   `downloadModelVersionArtifact` is unsupported, so MLmodel facts come from the source run or are "unknown".
 */
import { ValidationError } from '../errors';
import type { MlflowClient, ModelVersion, RegisteredModel } from '../adapters/mlflow';
import type { UcModelVersion } from '../adapters/databricks-uc/types';
import type { UnityCatalogClient } from '../adapters/databricks-uc/client';
import type { ModelRegistry } from './port';

export function ucVersionToMlflow(
  name: string,
  v: UcModelVersion,
  tags: readonly { key: string; value: string }[] = [],
): ModelVersion {
  const mv: ModelVersion = {
    name,
    version: v.version,
    tags: [...tags],
    aliases: v.aliases.map((a) => a.alias_name),
  };
  if (v.created_at !== undefined) mv.creation_timestamp = v.created_at;
  if (v.updated_at !== undefined) mv.last_updated_timestamp = v.updated_at;
  if (v.created_by) mv.user_id = v.created_by;
  if (v.comment !== undefined) mv.description = v.comment;
  if (v.source) mv.source = v.source;
  if (v.run_id) mv.run_id = v.run_id;
  if (v.status) mv.status = v.status;
  return mv;
}

function unsupported(what: string): never {
  throw new ValidationError(
    'REGISTRY_UNSUPPORTED',
    `${what} is not supported by Unity Catalog models (use aliases; set registry: databricks-workspace for stages)`,
    { details: { registry: 'unity-catalog' } },
  );
}

export function unityCatalogRegistry(uc: UnityCatalogClient, tracking: MlflowClient): ModelRegistry {
  return {
    kind: 'unity-catalog',
    async getRegisteredModel(name): Promise<RegisteredModel> {
      const m = await uc.getModel(name);
      const rm: RegisteredModel = {
        name,
        latest_versions: [],
        tags: [],
        aliases: m.aliases
          .filter((a) => a.version_num !== undefined)
          .map((a) => ({ alias: a.alias_name, version: a.version_num! })),
      };
      if (m.created_at !== undefined) rm.creation_timestamp = m.created_at;
      if (m.created_by) rm.user_id = m.created_by;
      if (m.comment !== undefined) rm.description = m.comment;
      return rm;
    },
    async getModelVersion(name, version) {
      const v = await uc.getVersion(name, version);
      // Tags only exist in the MLflow view; a version still registering may not be visible there yet.
      const tagged = v.status === 'READY' ? await uc.getVersionWithTags(name, version) : undefined;
      return ucVersionToMlflow(name, v, tagged?.tags ?? []);
    },
    async getModelVersionByAlias(name, alias) {
      const v = await uc.getVersionByAlias(name, alias);
      return v ? ucVersionToMlflow(name, v) : undefined;
    },
    setAlias: (n, a, v) => uc.setAlias(n, a, v),
    deleteAlias: (n, a) => uc.deleteAlias(n, a),
    setModelVersionTag: (n, v, k, val) => uc.setVersionTag(n, v, k, val),
    deleteModelVersionTag: (n, v, k) => uc.deleteVersionTag(n, v, k),
    transitionStage: async () => unsupported('transitioning a stage'),
    getLatestVersions: async () => unsupported('reading stages'),
    getRunSummary: (r) => tracking.getRunSummary(r),
    listArtifacts: (r, p, t) => tracking.listArtifacts(r, p, t),
    artifactExists: (r, p) => tracking.artifactExists(r, p),
    downloadRunArtifact: (r, p) => tracking.downloadRunArtifact(r, p),
    downloadModelVersionArtifact: async () => unsupported('downloading model version artifacts'),
  };
}
