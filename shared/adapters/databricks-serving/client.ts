import { NotFoundError } from '../../errors';
import { RestClient, type RestClientOptions } from '../http/rest-client';
import { type ConfigInput, ServingEndpoint } from './types';

/**
 * Databricks Model Serving endpoints (REST 2.0): get, create, update config. Updates are asynchronous:
 * callers poll `get` until `state.config_update` leaves IN_PROGRESS (see shared/serving/state.ts).
 * Invariant: PUT config is a set-to-value call (safe to repeat); create is POST and is retried only on 429/503,
 * a duplicate create answers RESOURCE_ALREADY_EXISTS, which the caller resolves by reading the endpoint.
 */
export type ServingClientOptions = Omit<RestClientOptions, 'service'>;

const API = '/api/2.0/serving-endpoints';

export class DatabricksServingClient {
  readonly http: RestClient;

  constructor(options: ServingClientOptions) {
    this.http = new RestClient({ service: 'databricks', ...options });
  }

  /** The endpoint, or null when it does not exist. */
  async get(name: string, signal?: AbortSignal): Promise<ServingEndpoint | null> {
    try {
      return await this.http.request({
        method: 'GET',
        path: `${API}/${encodeURIComponent(name)}`,
        schema: ServingEndpoint,
        signal,
      });
    } catch (e) {
      if (e instanceof NotFoundError) return null;
      throw e;
    }
  }

  async list(signal?: AbortSignal): Promise<ServingEndpoint[]> {
    const res = await this.http.request({ method: 'GET', path: API, signal });
    const eps = (res as { endpoints?: unknown[] } | null)?.endpoints ?? [];
    return eps.map((e) => ServingEndpoint.parse(e));
  }

  async create(name: string, config: ConfigInput, signal?: AbortSignal): Promise<ServingEndpoint> {
    return this.http.request({
      method: 'POST',
      path: API,
      body: { name, config },
      idempotent: false,
      schema: ServingEndpoint,
      signal,
    });
  }

  async updateConfig(name: string, config: ConfigInput, signal?: AbortSignal): Promise<ServingEndpoint> {
    return this.http.request({
      method: 'PUT',
      path: `${API}/${encodeURIComponent(name)}/config`,
      body: config,
      idempotent: true,
      schema: ServingEndpoint,
      signal,
    });
  }
}
