/** RegistryPort over the MLflow REST client (search by model name, newest first, paging until older than `since`). */
import type { MlflowClient } from '../adapters/mlflow/client';
import type { ModelVersion } from '../adapters/mlflow/types';
import type { RegistryPort } from './reconcile';

function quote(name: string): string {
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function mlflowRegistry(client: MlflowClient, pageSize = 100): RegistryPort {
  return {
    async versionsSince(model, sinceMs) {
      const out: ModelVersion[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < 100; page++) {
        const r = await client.searchModelVersions({
          filter: `name=${quote(model)}`,
          maxResults: pageSize,
          orderBy: ['creation_timestamp DESC'],
          ...(pageToken ? { pageToken } : {}),
        });
        out.push(...r.versions);
        const oldest = r.versions[r.versions.length - 1]?.creation_timestamp;
        if (!r.nextPageToken || oldest === undefined || oldest < sinceMs) break;
        pageToken = r.nextPageToken;
      }
      return out.filter((v) => (v.creation_timestamp ?? 0) >= sinceMs);
    },
  };
}
