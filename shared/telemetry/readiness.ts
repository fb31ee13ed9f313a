/**
 * Readiness (`GET /api/health/ready`): can this instance reach what it needs right now? Checks run in parallel,
 * each bounded by its own timeout (default 2 s):
 * - `tables`: list one table (Storage Tables: records, approvals, receipts);
 * - `blobs`: does the reports container exist (Storage Blobs; a missing container is fine, an unreachable account not);
 * - `serviceBus`: peek one message on the topic's `promotion` subscription (an AMQP management call; nothing is locked);
 * - `registry`: MLflow `GET /api/2.0/mlflow/registered-models/search?max_results=1`.
 * The answer names each check with `ok`/`failed` and a short error code only: never a URL, host, entity name,
 * connection string or error message (those could carry configuration); details go to the log.
 */
import { services, type Services } from '../services';

export type CheckName = 'tables' | 'blobs' | 'serviceBus' | 'registry';

export interface CheckResult {
  name: CheckName;
  status: 'ok' | 'failed';
  /** Short, stable, secret-free: TIMEOUT, NOT_CONFIGURED, an SDK/HTTP error code, or ERROR. */
  code?: string;
}

export interface Readiness {
  ready: boolean;
  checks: CheckResult[];
}

export type Check = (signal: AbortSignal) => Promise<void>;

const CODE = /^[A-Za-z][A-Za-z0-9_]{1,40}$/;

class CheckTimeout extends Error {}

/** A short code for a failure: only identifier-like codes pass, anything else (messages, URLs) becomes ERROR. */
export function failureCode(e: unknown): string {
  if (e instanceof CheckTimeout) return 'TIMEOUT';
  if (e && typeof e === 'object') {
    const o = e as { name?: unknown; code?: unknown; statusCode?: unknown; status?: unknown };
    if (o.name === 'AbortError' || o.name === 'TimeoutError') return 'TIMEOUT';
    if (typeof o.code === 'string' && CODE.test(o.code)) return o.code;
    const status =
      typeof o.statusCode === 'number' ? o.statusCode : typeof o.status === 'number' ? o.status : undefined;
    if (status !== undefined) return `HTTP_${status}`;
  }
  return 'ERROR';
}

async function run(
  name: CheckName,
  check: Check,
  timeoutMs: number,
  log: (name: CheckName, error: unknown) => void,
): Promise<CheckResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CheckTimeout(`${name} did not answer within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
  });
  try {
    await Promise.race([check(controller.signal), timeout]);
    return { name, status: 'ok' };
  } catch (e) {
    log(name, e);
    return { name, status: 'failed', code: failureCode(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the checks in parallel; ready only when every one is ok. */
export async function readiness(
  checks: Record<CheckName, Check>,
  o: { timeoutMs?: number; log?: (name: CheckName, error: unknown) => void } = {},
): Promise<Readiness> {
  const log = o.log ?? (() => undefined);
  const results = await Promise.all(
    (Object.entries(checks) as Array<[CheckName, Check]>).map(([name, c]) => run(name, c, o.timeoutMs ?? 2_000, log)),
  );
  return { ready: results.every((r) => r.status === 'ok'), checks: results };
}

class NotConfigured extends Error {
  readonly code = 'NOT_CONFIGURED';
}

/** The app's dependencies, through the composition root's clients. */
export function appChecks(svc: Services = services()): Record<CheckName, Check> {
  return {
    tables: async (abortSignal) => {
      const page = svc.storageClients().tableService.listTables({ abortSignal }).byPage({ maxPageSize: 1 });
      await page.next();
    },
    blobs: async (abortSignal) => {
      const { records } = svc.storageConfig();
      await svc.storageClients().blobService.getContainerClient(records.reportsContainer).exists({ abortSignal });
    },
    serviceBus: async (abortSignal) => {
      const receiver = svc.serviceBus().createReceiver(svc.serviceBusConfig().topicName, 'promotion');
      try {
        await receiver.peekMessages(1, { abortSignal });
      } finally {
        void receiver.close().catch(() => undefined);
      }
    },
    registry: async (signal) => {
      let client;
      try {
        client = svc.mlflow();
      } catch {
        throw new NotConfigured('no registry configured');
      }
      await client.http.request({
        method: 'GET',
        path: '/api/2.0/mlflow/registered-models/search',
        query: { max_results: 1 },
        signal,
        timeoutMs: 2_000,
      });
    },
  };
}
