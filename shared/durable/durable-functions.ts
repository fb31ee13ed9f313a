/**
 * The one adapter of the durable port (port.ts) over durable-functions' DurableClient, written for what the real
 * Durable extension answers, not only the local host:
 * - Starting an id that is still running is refused with 409 by the local host but with a bare 500 by the
 *   extension's HTTP API. A failed start is therefore decided by re-reading the status: an instance that now exists
 *   and has not finished is "exists"; anything else is a transient failure (Service Bus / the activity retries).
 * - durable-functions 3.x resolves raiseEvent silently when the instance has finished (the extension answers 410),
 *   so "gone" is decided by reading the status before raising. An instance finishing between that read and the
 *   raise can still drop the event; callers that must not lose it re-read state afterwards (the approval store,
 *   the job poll loop), as they already do.
 * - getStatus throws on 404 (durable-functions 3.x): that is "no instance", not a failure.
 * - getStatusBy follows every continuation token itself and so cannot bound a request: `listPage` reads one page of
 *   the same HTTP API the client uses (its RPC base URL, else its management URL).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { TransientError } from '../errors';
import { withTraceInput } from '../telemetry/trace';
import {
  TERMINAL_RUNTIME_STATUSES,
  type DurablePort,
  type InstancePage,
  type InstanceStatus,
  type PurgeableStatus,
  type StatusOptions,
} from './port';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const time = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : '');

/** The client's status object or a row of the list API, in the port's shape. */
export function toInstanceStatus(raw: unknown): InstanceStatus {
  const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const history = Array.isArray(s['history'])
    ? s['history']
    : Array.isArray(s['historyEvents'])
      ? s['historyEvents']
      : undefined;
  return {
    instanceId: text(s['instanceId']),
    name: text(s['name']),
    runtimeStatus: text(s['runtimeStatus']),
    createdTime: time(s['createdTime']),
    lastUpdatedTime: time(s['lastUpdatedTime']),
    input: s['input'],
    output: s['output'],
    customStatus: s['customStatus'],
    ...(history ? { history: history as Record<string, unknown>[] } : {}),
  };
}

/** One page of `GET instances/?top=&createdTimeFrom=&createdTimeTo=&showInput=true` with its continuation header. */
function pageReader(
  client: df.DurableClient,
  fetchImpl: typeof fetch,
): (q: { from: string; to: string; top: number; token?: string }) => Promise<InstancePage> {
  const data = (client as unknown as { clientData?: { rpcBaseUrl?: unknown } }).clientData;
  const rpc = typeof data?.rpcBaseUrl === 'string' && data.rpcBaseUrl ? data.rpcBaseUrl : undefined;
  const base = rpc
    ? new URL('instances/', rpc)
    : new URL(
        client
          .createHttpManagementPayload('INSTANCEID')
          .statusQueryGetUri.replace('/instances/INSTANCEID', '/instances/'),
      );
  // A base URL may carry credentials in its userinfo (the local host's rpcBaseUrl does, as axios sends them for the
  // durable-functions client); fetch refuses such URLs, so they travel as Basic auth like the SDK's own calls.
  const auth = base.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
    : undefined;
  base.username = '';
  base.password = '';
  return async ({ top, from, to, token }) => {
    const url = new URL(base);
    url.searchParams.set('top', String(top));
    url.searchParams.set('createdTimeFrom', from);
    url.searchParams.set('createdTimeTo', to);
    url.searchParams.set('showInput', 'true');
    const headers: Record<string, string> = {};
    if (token) headers['x-ms-continuation-token'] = token;
    if (auth) headers['authorization'] = auth;
    let res: Response;
    try {
      res = await fetchImpl(url, { headers, signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new TransientError('DURABLE_LIST_FAILED', `the durable instance list could not be read: ${message(e)}`, {
        cause: e,
      });
    }
    if (res.status !== 200)
      throw new TransientError('DURABLE_LIST_FAILED', `the durable instance list answered HTTP ${res.status}`);
    const rows: unknown = await res.json();
    const next = res.headers.get('x-ms-continuation-token') || undefined;
    return { instances: Array.isArray(rows) ? rows.map(toInstanceStatus) : [], ...(next ? { next } : {}) };
  };
}

/** The durable port over a durable-functions client (the `durableClient` input of a trigger). */
export function durablePortOf(client: df.DurableClient, fetchImpl: typeof fetch = fetch): DurablePort {
  const status = async (instanceId: string, options: StatusOptions = {}): Promise<InstanceStatus | undefined> => {
    try {
      return toInstanceStatus(await client.getStatus(instanceId, options));
    } catch (e) {
      if (/HTTP 404/.test(message(e))) return undefined;
      throw new TransientError('DURABLE_UNAVAILABLE', `Could not read the status of ${instanceId}: ${message(e)}`, {
        cause: e,
      });
    }
  };
  const runtimeStatus = async (instanceId: string) => (await status(instanceId))?.runtimeStatus;

  /** Start; 'exists' when the id is taken by an instance that has not finished, whatever code refused the start. */
  const startNewOrExists = async (name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> => {
    try {
      // Tracing: the caller's trace context rides in the input (`trace.traceparent`; nothing added with telemetry off).
      await client.startNew(name, { instanceId, input: withTraceInput(input) });
      return 'started';
    } catch (e) {
      const now = await runtimeStatus(instanceId).catch(() => undefined);
      if (now !== undefined && !TERMINAL_RUNTIME_STATUSES.has(now)) return 'exists';
      throw new TransientError('DURABLE_START_FAILED', `Could not start ${name} ${instanceId}: ${message(e)}`, {
        cause: e,
      });
    }
  };

  return {
    status,
    startOnce: async (name, instanceId, input) =>
      (await runtimeStatus(instanceId)) !== undefined ? 'exists' : startNewOrExists(name, instanceId, input),
    ensureRunning: async (name, instanceId, input) => {
      const now = await runtimeStatus(instanceId);
      if (now !== undefined && !TERMINAL_RUNTIME_STATUSES.has(now)) return 'running';
      return (await startNewOrExists(name, instanceId, input)) === 'started' ? 'started' : 'running';
    },
    raise: async (instanceId, eventName, payload) => {
      const now = await runtimeStatus(instanceId);
      if (now === undefined) return 'not-found';
      if (TERMINAL_RUNTIME_STATUSES.has(now)) return 'gone';
      try {
        await client.raiseEvent(instanceId, eventName, payload);
        return 'raised';
      } catch (e) {
        if (/No instance with ID/.test(message(e))) return 'not-found';
        throw new TransientError(
          'DURABLE_RAISE_FAILED',
          `Could not raise ${eventName} into ${instanceId}: ${message(e)}`,
          { cause: e },
        );
      }
    },
    listPage: pageReader(client, fetchImpl),
    listAll: async () => (await client.getStatusAll()).map(toInstanceStatus),
    terminate: (instanceId, reason) => client.terminate(instanceId, reason),
    suspend: (instanceId, reason) => client.suspend(instanceId, reason),
    resume: (instanceId, reason) => client.resume(instanceId, reason),
    purge: async (instanceId) => {
      await client.purgeInstanceHistory(instanceId);
    },
    purgeFinished: async (createdBefore: Date, statuses: readonly PurgeableStatus[]) => {
      const runtimeStatus = statuses.map((s) => df.OrchestrationRuntimeStatus[s]);
      return (
        await client.purgeInstanceHistoryBy({
          createdTimeFrom: new Date(0),
          createdTimeTo: createdBefore,
          runtimeStatus,
        })
      ).instancesDeleted;
    },
  };
}

/** The durable port of a trigger or activity invocation (its `durableClient` input). The one place that calls df.getClient. */
export function durablePortFor(context: InvocationContext): DurablePort {
  return durablePortOf(df.getClient(context));
}
