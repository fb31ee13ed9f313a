import { z } from 'zod';
import { StagecraftError, TransientError, ValidationError } from '../../errors';
import { RestClient, type RestClientOptions, type SleepLike } from '../http/rest-client';

/**
 * Databricks SQL Statement Execution API 2.0 (databricks-sdk-py service/sql.py: ExecuteStatementRequest,
 * StatementResponse, StatementParameterListItem). `execute` posts with `wait_timeout` (5-50 s) and
 * `on_wait_timeout: CONTINUE`, then polls GET /statements/{id} until a terminal state, bounded by `timeoutMs`.
 *
 * Invariants:
 * - Values are always bound as named parameters (`:name` markers, `parameters: [{name, value, type}]`), never
 *   spliced into the statement text; identifiers (table names) are checked by the caller's own pattern.
 * - Results are read from INLINE JSON_ARRAY chunks: `result.data_array` rows of strings (null for NULL), typed
 *   by `manifest.schema.columns`.
 * - POST is retried only on 429/503 (a repeated MERGE is harmless, but a repeated INSERT would not be).
 */
export type SqlClientOptions = Omit<RestClientOptions, 'service'> & { sleep?: SleepLike };

export interface SqlParameter {
  name: string;
  value: string | null;
  type?: string;
}

const State = z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'CLOSED']);
export const StatementResponse = z.looseObject({
  statement_id: z.string(),
  status: z.looseObject({
    state: State,
    error: z.looseObject({ error_code: z.string().optional(), message: z.string().optional() }).optional(),
  }),
  manifest: z
    .looseObject({
      schema: z
        .looseObject({
          columns: z
            .array(
              z.looseObject({ name: z.string(), type_name: z.string().optional(), position: z.number().optional() }),
            )
            .optional(),
        })
        .optional(),
      total_row_count: z.number().optional(),
      truncated: z.boolean().optional(),
    })
    .optional(),
  result: z
    .looseObject({ data_array: z.array(z.array(z.string().nullable())).optional(), row_count: z.number().optional() })
    .optional(),
});
export type StatementResponse = z.output<typeof StatementResponse>;

export interface StatementResult {
  statementId: string;
  columns: string[];
  rows: Array<Record<string, string | null>>;
}

const API = '/api/2.0/sql/statements';
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'CLOSED']);

export class DatabricksSqlClient {
  readonly http: RestClient;
  private readonly sleep: SleepLike;

  constructor(options: SqlClientOptions) {
    this.http = new RestClient({ service: 'databricks', ...options });
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  }

  async execute(o: {
    warehouseId: string;
    statement: string;
    parameters?: SqlParameter[];
    waitSeconds?: number;
    timeoutMs?: number;
    pollMs?: number;
    signal?: AbortSignal;
  }): Promise<StatementResult> {
    const wait = Math.min(50, Math.max(5, o.waitSeconds ?? 30));
    const body = {
      warehouse_id: o.warehouseId,
      statement: o.statement,
      wait_timeout: `${wait}s`,
      on_wait_timeout: 'CONTINUE',
      disposition: 'INLINE',
      format: 'JSON_ARRAY',
      ...(o.parameters?.length
        ? {
            parameters: o.parameters.map((p) => ({
              name: p.name,
              value: p.value,
              ...(p.type ? { type: p.type } : {}),
            })),
          }
        : {}),
    };
    let res = await this.http.request({
      method: 'POST',
      path: API,
      body,
      idempotent: false,
      schema: StatementResponse,
      timeoutMs: (wait + 20) * 1000,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const deadline = Date.now() + (o.timeoutMs ?? 10 * 60_000);
    let delay = o.pollMs ?? 1000;
    while (!TERMINAL.has(res.status.state)) {
      if (Date.now() > deadline) {
        await this.cancel(res.statement_id).catch(() => undefined);
        throw new TransientError(
          'DATABRICKS_SQL_TIMEOUT',
          `statement ${res.statement_id} did not finish in time; cancelled`,
        );
      }
      await this.sleep(delay, o.signal);
      delay = Math.min(delay * 2, 10_000);
      res = await this.get(res.statement_id, o.signal);
    }
    if (res.status.state !== 'SUCCEEDED') {
      const err = res.status.error;
      const msg =
        `statement ${res.statement_id} ${res.status.state}${err?.error_code ? ` (${err.error_code})` : ''}: ${err?.message ?? 'no message'}`.slice(
          0,
          500,
        );
      if (
        err?.error_code === 'BAD_REQUEST' ||
        err?.error_code === 'NOT_FOUND' ||
        err?.error_code === 'INVALID_PARAMETER_VALUE'
      )
        throw new ValidationError('DATABRICKS_SQL_FAILED', msg);
      throw new StagecraftError('DATABRICKS_SQL_FAILED', msg, { status: 502, retryable: true });
    }
    return toResult(res);
  }

  async get(statementId: string, signal?: AbortSignal): Promise<StatementResponse> {
    return this.http.request({
      method: 'GET',
      path: `${API}/${encodeURIComponent(statementId)}`,
      schema: StatementResponse,
      ...(signal ? { signal } : {}),
    });
  }

  async cancel(statementId: string): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${API}/${encodeURIComponent(statementId)}/cancel`,
      idempotent: true,
    });
  }
}

export function toResult(res: StatementResponse): StatementResult {
  const cols = [...(res.manifest?.schema?.columns ?? [])]
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
    .map((c) => c.name);
  const rows = (res.result?.data_array ?? []).map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i] ?? null])));
  return { statementId: res.statement_id, columns: cols, rows };
}
