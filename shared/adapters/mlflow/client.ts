import { RestClient, type RestClientOptions } from '../http/rest-client';
import { NotFoundError, ValidationError } from '../../errors';
import { remoteErrorCode } from '../http/errors';
import {
  type FileInfo,
  type ModelVersion,
  type RegisteredModel,
  type Run,
  type RunSummary,
  type Webhook,
  Responses,
  summarizeRun,
} from './types';

/**
 * MLflow REST client for open-source MLflow and Databricks-hosted MLflow (workspace registry): the same
 * `/api/2.0/mlflow/...` paths on both. Auth, retries and typed errors come from RestClient.
 *
 * Idempotency: set/delete alias, set/delete tag, update and transition-stage are set-to-value writes, so
 * they are retried after ambiguous failures like GETs. Webhook creation is not (it would create twice).
 */
export type MlflowClientOptions = Omit<RestClientOptions, 'service'>;

export interface SearchOptions {
  filter?: string;
  maxResults?: number;
  orderBy?: readonly string[];
  pageToken?: string;
}

export type LegacyStage = 'None' | 'Staging' | 'Production' | 'Archived';

export type WebhookEntity =
  | 'REGISTERED_MODEL'
  | 'MODEL_VERSION'
  | 'MODEL_VERSION_TAG'
  | 'MODEL_VERSION_ALIAS'
  | 'PROMPT'
  | 'PROMPT_VERSION'
  | 'PROMPT_TAG'
  | 'PROMPT_VERSION_TAG'
  | 'PROMPT_ALIAS';
export type WebhookAction = 'CREATED' | 'UPDATED' | 'DELETED' | 'SET';

const API = '/api/2.0/mlflow';

function isMissingAlias(e: unknown): boolean {
  return (
    e instanceof ValidationError &&
    remoteErrorCode(e) === 'INVALID_PARAMETER_VALUE' &&
    /alias .* not found/i.test(e.message)
  );
}

export class MlflowClient {
  readonly http: RestClient;

  constructor(options: MlflowClientOptions) {
    this.http = new RestClient({ service: 'mlflow', ...options });
  }

  async getRegisteredModel(name: string, signal?: AbortSignal): Promise<RegisteredModel> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/registered-models/get`,
      query: { name },
      schema: Responses.registeredModel,
      signal,
    });
    return r.registered_model;
  }

  async searchRegisteredModels(
    o: SearchOptions = {},
    signal?: AbortSignal,
  ): Promise<{ models: RegisteredModel[]; nextPageToken?: string }> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/registered-models/search`,
      schema: Responses.registeredModels,
      signal,
      query: { filter: o.filter, max_results: o.maxResults, order_by: o.orderBy, page_token: o.pageToken },
    });
    return r.next_page_token
      ? { models: r.registered_models, nextPageToken: r.next_page_token }
      : { models: r.registered_models };
  }

  async getModelVersion(name: string, version: string, signal?: AbortSignal): Promise<ModelVersion> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/model-versions/get`,
      query: { name, version },
      schema: Responses.modelVersion,
      signal,
    });
    return r.model_version;
  }

  async searchModelVersions(
    o: SearchOptions = {},
    signal?: AbortSignal,
  ): Promise<{ versions: ModelVersion[]; nextPageToken?: string }> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/model-versions/search`,
      schema: Responses.modelVersions,
      signal,
      query: { filter: o.filter, max_results: o.maxResults, order_by: o.orderBy, page_token: o.pageToken },
    });
    return r.next_page_token
      ? { versions: r.model_versions, nextPageToken: r.next_page_token }
      : { versions: r.model_versions };
  }

  async updateModelVersion(
    name: string,
    version: string,
    description: string,
    signal?: AbortSignal,
  ): Promise<ModelVersion> {
    const r = await this.http.request({
      method: 'PATCH',
      path: `${API}/model-versions/update`,
      body: { name, version, description },
      schema: Responses.modelVersion,
      signal,
    });
    return r.model_version;
  }

  /** Points `alias` at `version` (creates or moves it). */
  async setAlias(name: string, alias: string, version: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${API}/registered-models/alias`,
      body: { name, alias, version },
      idempotent: true,
      signal,
    });
  }

  /**
   * Removes `alias`. MLflow reads DELETE parameters from the JSON body (it ignores the query string);
   * Databricks reads the query string: both are sent. Removing an alias that is not set is done, not an
   * error (MLflow 3.17 answers 200; servers that answer "not found" for it are treated the same).
   */
  async deleteAlias(name: string, alias: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.http.request({
        method: 'DELETE',
        path: `${API}/registered-models/alias`,
        query: { name, alias },
        body: { name, alias },
        signal,
      });
    } catch (e) {
      if (isMissingAlias(e) || (e instanceof NotFoundError && (await this.modelExists(name, signal)))) return;
      throw e;
    }
  }

  /**
   * The version an alias points to, or undefined when the alias is not set; NotFound for an unknown model.
   * MLflow 3.17 answers a missing alias with 400 INVALID_PARAMETER_VALUE "Registered model alias X not
   * found." (an unknown model with 404); other servers may answer 404 for both, told apart by a model lookup.
   */
  async getModelVersionByAlias(name: string, alias: string, signal?: AbortSignal): Promise<ModelVersion | undefined> {
    try {
      const r = await this.http.request({
        method: 'GET',
        path: `${API}/registered-models/alias`,
        query: { name, alias },
        schema: Responses.modelVersion,
        signal,
      });
      return r.model_version;
    } catch (e) {
      if (isMissingAlias(e) || (e instanceof NotFoundError && (await this.modelExists(name, signal)))) return undefined;
      throw e;
    }
  }

  async setModelVersionTag(
    name: string,
    version: string,
    key: string,
    value: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${API}/model-versions/set-tag`,
      body: { name, version, key, value },
      idempotent: true,
      signal,
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `${API}/model-versions/delete-tag`,
      query: { name, version, key },
      body: { name, version, key },
      signal,
    });
  }

  /** Legacy stages (deprecated since MLflow 2.9, still used by some workspaces). */
  async transitionStage(
    name: string,
    version: string,
    stage: LegacyStage,
    archiveExistingVersions: boolean,
    signal?: AbortSignal,
  ): Promise<ModelVersion> {
    const r = await this.http.request({
      method: 'POST',
      path: `${API}/model-versions/transition-stage`,
      idempotent: true,
      schema: Responses.modelVersion,
      signal,
      body: { name, version, stage, archive_existing_versions: archiveExistingVersions },
    });
    return r.model_version;
  }

  /** Latest READY version per stage (legacy). */
  async getLatestVersions(name: string, stages: readonly LegacyStage[], signal?: AbortSignal): Promise<ModelVersion[]> {
    const r = await this.http.request({
      method: 'POST',
      path: `${API}/registered-models/get-latest-versions`,
      body: { name, stages },
      idempotent: true,
      schema: Responses.modelVersions,
      signal,
    });
    return r.model_versions;
  }

  async getRun(runId: string, signal?: AbortSignal): Promise<Run> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/runs/get`,
      query: { run_id: runId },
      schema: Responses.run,
      signal,
    });
    return r.run;
  }

  /** runs/get reduced to records of latest metrics, params and tags. */
  async getRunSummary(runId: string, signal?: AbortSignal): Promise<RunSummary> {
    return summarizeRun(await this.getRun(runId, signal));
  }

  async listArtifacts(
    runId: string,
    path?: string,
    pageToken?: string,
    signal?: AbortSignal,
  ): Promise<{ rootUri?: string; files: FileInfo[]; nextPageToken?: string }> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/artifacts/list`,
      query: { run_id: runId, path, page_token: pageToken },
      schema: Responses.artifacts,
      signal,
    });
    return {
      files: r.files,
      ...(r.root_uri ? { rootUri: r.root_uri } : {}),
      ...(r.next_page_token ? { nextPageToken: r.next_page_token } : {}),
    };
  }

  /** Whether `path` (file or directory, relative to the run's artifact root) exists: lists its parent, all pages. */
  async artifactExists(runId: string, path: string, signal?: AbortSignal): Promise<boolean> {
    const clean = path.replace(/^\/+|\/+$/g, '');
    const slash = clean.lastIndexOf('/');
    const parent = slash === -1 ? undefined : clean.slice(0, slash);
    let token: string | undefined;
    do {
      const page = await this.listArtifacts(runId, parent, token, signal);
      if (page.files.some((f) => f.path === clean)) return true;
      token = page.nextPageToken;
    } while (token);
    return false;
  }

  /**
   * A run artifact's content as text, through the tracking server's `/get-artifact` download (OSS MLflow,
   * server-proxied artifacts). Typical use: `<model dir>/MLmodel` for signature and input-example checks.
   */
  async downloadRunArtifact(runId: string, path: string, signal?: AbortSignal): Promise<string> {
    return this.http.requestText({
      method: 'GET',
      path: '/get-artifact',
      query: { run_id: runId, run_uuid: runId, path },
      signal,
    });
  }

  /** A file of a model version's artifacts (OSS `/model-versions/get-artifact`), e.g. `MLmodel`; works for MLflow 3 logged models too. */
  async downloadModelVersionArtifact(
    name: string,
    version: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<string> {
    return this.http.requestText({
      method: 'GET',
      path: '/model-versions/get-artifact',
      query: { name, version, path },
      signal,
    });
  }

  /** Where the version's artifacts live (`runs:/...`, `mlflow-artifacts:/...`, `dbfs:/...`). */
  async getModelVersionDownloadUri(name: string, version: string, signal?: AbortSignal): Promise<string> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/model-versions/get-download-uri`,
      query: { name, version },
      schema: Responses.downloadUri,
      signal,
    });
    return r.artifact_uri;
  }

  private async modelExists(name: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.getRegisteredModel(name, signal);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  // ---- OSS MLflow >= 3.3 registry webhooks (not on Databricks; needs a SQL-backed registry) ----

  async createWebhook(
    w: {
      name: string;
      url: string;
      events: readonly { entity: WebhookEntity; action: WebhookAction }[];
      description?: string;
      secret?: string;
      status?: 'ACTIVE' | 'DISABLED';
    },
    signal?: AbortSignal,
  ): Promise<Webhook> {
    const r = await this.http.request({
      method: 'POST',
      path: `${API}/webhooks`,
      body: w,
      idempotent: false,
      schema: Responses.webhook,
      signal,
    });
    return r.webhook;
  }

  async listWebhooks(
    pageToken?: string,
    signal?: AbortSignal,
  ): Promise<{ webhooks: Webhook[]; nextPageToken?: string }> {
    const r = await this.http.request({
      method: 'GET',
      path: `${API}/webhooks`,
      query: { page_token: pageToken },
      schema: Responses.webhooks,
      signal,
    });
    return r.next_page_token ? { webhooks: r.webhooks, nextPageToken: r.next_page_token } : { webhooks: r.webhooks };
  }

  async deleteWebhook(webhookId: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `${API}/webhooks/${encodeURIComponent(webhookId)}`, signal });
  }

  async testWebhook(
    webhookId: string,
    event?: { entity: WebhookEntity; action: WebhookAction },
    signal?: AbortSignal,
  ): Promise<{ success: boolean; responseStatus?: number; errorMessage?: string }> {
    const r = await this.http.request({
      method: 'POST',
      path: `${API}/webhooks/${encodeURIComponent(webhookId)}/test`,
      body: event ? { event } : {},
      schema: Responses.webhookTest,
      signal,
    });
    return {
      success: r.result.success,
      ...(r.result.response_status !== undefined ? { responseStatus: r.result.response_status } : {}),
      ...(r.result.error_message ? { errorMessage: r.result.error_message } : {}),
    };
  }
}
