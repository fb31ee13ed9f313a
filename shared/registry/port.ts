/**
 * The one registry port the promotion reads and writes through. Three implementations, chosen per model by the
 * policy's `registry`:
 * - `mlflow` (default): open-source MLflow (`MLFLOW_TRACKING_URI`), shared/adapters/mlflow;
 * - `databricks-workspace`: the legacy workspace registry, the same MLflow REST API on the workspace host
 *   (`DATABRICKS_HOST`), stages and transition requests included;
 * - `unity-catalog`: Unity Catalog models (`catalog.schema.model`) through the UC REST APIs; no stages.
 *
 * Shapes are MLflow's (ModelVersion, RegisteredModel) so the promotion logic is one code path; each adapter maps
 * its registry's fields onto them (UC: `created_by` → `user_id`, `created_at` → `creation_timestamp`, alias
 * objects → alias names). Run reads (metrics, tags, artifacts) go to the MLflow tracking server of the registry
 * (for UC: the workspace's tracking server on the same host).
 */
import type { FileInfo, LegacyStage, ModelVersion, RegisteredModel, RunSummary } from '../adapters/mlflow';

export { REGISTRY_KINDS, REGISTRY_CAPABILITIES, type RegistryKind } from '../policy/registry-rules';
import type { RegistryKind } from '../policy/registry-rules';

export interface ModelRegistry {
  readonly kind: RegistryKind;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** NotFoundError for an unknown model or version. */
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  /** undefined when the model exists and the alias is not set. */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined>;
  setAlias(name: string, alias: string, version: string): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void>;
  /** Legacy stages: `mlflow` and `databricks-workspace` only (UC throws REGISTRY_UNSUPPORTED). */
  transitionStage(
    name: string,
    version: string,
    stage: LegacyStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion>;
  getLatestVersions(name: string, stages: readonly LegacyStage[]): Promise<ModelVersion[]>;
  getRunSummary(runId: string): Promise<RunSummary>;
  listArtifacts(
    runId: string,
    path?: string,
    pageToken?: string,
  ): Promise<{ rootUri?: string; files: FileInfo[]; nextPageToken?: string }>;
  artifactExists(runId: string, path: string): Promise<boolean>;
  downloadRunArtifact(runId: string, path: string): Promise<string>;
  downloadModelVersionArtifact(name: string, version: string, path: string): Promise<string>;
}
