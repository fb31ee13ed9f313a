/** ModelRegistry over the MLflow REST client: open-source MLflow and the Databricks workspace registry alike. */
import type { MlflowClient } from '../adapters/mlflow';
import type { ModelRegistry, RegistryKind } from './port';

export function mlflowModelRegistry(
  client: MlflowClient,
  kind: Exclude<RegistryKind, 'unity-catalog'> = 'mlflow',
): ModelRegistry {
  return {
    kind,
    getRegisteredModel: (n) => client.getRegisteredModel(n),
    getModelVersion: (n, v) => client.getModelVersion(n, v),
    getModelVersionByAlias: (n, a) => client.getModelVersionByAlias(n, a),
    setAlias: (n, a, v) => client.setAlias(n, a, v),
    deleteAlias: (n, a) => client.deleteAlias(n, a),
    setModelVersionTag: (n, v, k, val) => client.setModelVersionTag(n, v, k, val),
    deleteModelVersionTag: (n, v, k) => client.deleteModelVersionTag(n, v, k),
    transitionStage: (n, v, s, archive) => client.transitionStage(n, v, s, archive),
    getLatestVersions: (n, s) => client.getLatestVersions(n, s),
    getRunSummary: (r) => client.getRunSummary(r),
    listArtifacts: (r, p, t) => client.listArtifacts(r, p, t),
    artifactExists: (r, p) => client.artifactExists(r, p),
    downloadRunArtifact: (r, p) => client.downloadRunArtifact(r, p),
    downloadModelVersionArtifact: (n, v, p) => client.downloadModelVersionArtifact(n, v, p),
  };
}
