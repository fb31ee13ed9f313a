import { NotFoundError, ValidationError } from '../../errors';
import { RestClient, type RestClientOptions } from '../http/rest-client';
import {
  isThreeLevelName,
  type UcModelVersion,
  type UcMlflowModelVersion,
  type UcRegisteredModel,
  UcResponses,
} from './types';

/**
 * Unity Catalog models over REST, as the Databricks SDK (`w.registered_models`, `w.model_versions`) and the MLflow
 * client's `databricks-uc` registry store call them:
 * - models, versions and aliases: `/api/2.1/unity-catalog/models/...` (RegisteredModelsAPI, ModelVersionsAPI);
 * - version tags (absent from the 2.1 API): `/api/2.0/mlflow/unity-catalog/model-versions/{get,set-tag,delete-tag}`.
 * Auth, 429/503 with Retry-After, bounded backoff and typed errors come from RestClient. Alias and tag writes are
 * set-to-value, so they are retried after ambiguous failures like reads.
 */
export type UcClientOptions = Omit<RestClientOptions, 'service'>;

const UC = '/api/2.1/unity-catalog/models';
const UC_MLFLOW = '/api/2.0/mlflow/unity-catalog';

function path(name: string, ...rest: string[]): string {
  if (!isThreeLevelName(name))
    throw new ValidationError(
      'UC_MODEL_NAME_INVALID',
      `Unity Catalog model names are catalog.schema.model; '${name}' is not`,
      { details: { field: 'name' } },
    );
  return [UC, encodeURIComponent(name), ...rest.map(encodeURIComponent)].join('/');
}

export class UnityCatalogClient {
  readonly http: RestClient;

  constructor(options: UcClientOptions) {
    this.http = new RestClient({ service: 'databricks-uc', ...options });
  }

  async getModel(name: string, signal?: AbortSignal): Promise<UcRegisteredModel> {
    return this.http.request({
      method: 'GET',
      path: path(name),
      query: { include_aliases: true },
      schema: UcResponses.model,
      signal,
    });
  }

  /** One page of the models of a schema (`GET /api/2.1/unity-catalog/models?catalog_name=&schema_name=`). */
  async listModels(
    catalog: string,
    schema: string,
    o: { maxResults?: number; pageToken?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ models: UcRegisteredModel[]; nextPageToken?: string }> {
    const r = await this.http.request({
      method: 'GET',
      path: UC,
      query: { catalog_name: catalog, schema_name: schema, max_results: o.maxResults, page_token: o.pageToken },
      schema: UcResponses.models,
      signal,
    });
    return r.next_page_token
      ? { models: r.registered_models, nextPageToken: r.next_page_token }
      : { models: r.registered_models };
  }

  async getVersion(name: string, version: string, signal?: AbortSignal): Promise<UcModelVersion> {
    return this.http.request({
      method: 'GET',
      path: path(name, 'versions', version),
      query: { include_aliases: true },
      schema: UcResponses.version,
      signal,
    });
  }

  /** One page of a model's versions (`GET .../models/{full_name}/versions`). */
  async listVersions(
    name: string,
    o: { maxResults?: number; pageToken?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ versions: UcModelVersion[]; nextPageToken?: string }> {
    const r = await this.http.request({
      method: 'GET',
      path: path(name, 'versions'),
      query: { max_results: o.maxResults, page_token: o.pageToken },
      schema: UcResponses.versions,
      signal,
    });
    return r.next_page_token
      ? { versions: r.model_versions, nextPageToken: r.next_page_token }
      : { versions: r.model_versions };
  }

  /** The version an alias points to, or undefined when the model exists and the alias is not set. */
  async getVersionByAlias(name: string, alias: string, signal?: AbortSignal): Promise<UcModelVersion | undefined> {
    try {
      return await this.http.request({
        method: 'GET',
        path: path(name, 'aliases', alias),
        query: { include_aliases: true },
        schema: UcResponses.version,
        signal,
      });
    } catch (e) {
      if (e instanceof NotFoundError) {
        await this.getModel(name, signal); // an unknown model stays NotFound
        return undefined;
      }
      throw e;
    }
  }

  /** `PUT .../aliases/{alias}` `{version_num}`: creates or moves the alias (owner or MANAGE on the model). */
  async setAlias(name: string, alias: string, version: string, signal?: AbortSignal): Promise<void> {
    if (!/^\d+$/.test(version))
      throw new ValidationError('UC_VERSION_INVALID', `Unity Catalog versions are integers; '${version}' is not`, {
        details: { field: 'version' },
      });
    await this.http.request({
      method: 'PUT',
      path: path(name, 'aliases', alias),
      body: { full_name: name, alias, version_num: Number(version) },
      schema: UcResponses.alias,
      signal,
    });
  }

  /** Removing an alias that is not set is done, not an error; an unknown model stays NotFound. */
  async deleteAlias(name: string, alias: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.http.request({ method: 'DELETE', path: path(name, 'aliases', alias), signal });
    } catch (e) {
      if (e instanceof NotFoundError) {
        await this.getModel(name, signal);
        return;
      }
      throw e;
    }
  }

  /** The MLflow view of a UC version: the only read that returns its tags. */
  async getVersionWithTags(name: string, version: string, signal?: AbortSignal): Promise<UcMlflowModelVersion> {
    if (!isThreeLevelName(name))
      throw new ValidationError(
        'UC_MODEL_NAME_INVALID',
        `Unity Catalog model names are catalog.schema.model; '${name}' is not`,
        { details: { field: 'name' } },
      );
    const r = await this.http.request({
      method: 'GET',
      path: `${UC_MLFLOW}/model-versions/get`,
      query: { name, version },
      schema: UcResponses.mlflowVersion,
      signal,
    });
    return r.model_version;
  }

  async setVersionTag(name: string, version: string, key: string, value: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${UC_MLFLOW}/model-versions/set-tag`,
      body: { name, version, key, value },
      idempotent: true,
      signal,
    });
  }

  async deleteVersionTag(name: string, version: string, key: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `${UC_MLFLOW}/model-versions/delete-tag`,
      query: { name, version, key },
      body: { name, version, key },
      signal,
    });
  }
}
