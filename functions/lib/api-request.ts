/** Shared by the API adapters: an @azure/functions request as the plain `ApiRequest` the shared handlers take. */
import type { HttpRequest } from '@azure/functions';
import type { ApiRequest } from '../../shared/approvals/api';

/** Header names lower-cased; the first value of a repeated query key wins; GET/HEAD bodies are empty. */
export async function toApiRequest(request: HttpRequest): Promise<ApiRequest> {
  const headers = new Map<string, string>();
  request.headers.forEach((v, k) => headers.set(k.toLowerCase(), v));
  const query = new Map<string, string>();
  request.query.forEach((v, k) => {
    if (!query.has(k)) query.set(k, v);
  });
  const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
  return { headers, query, params: request.params, body };
}
