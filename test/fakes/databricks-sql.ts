import { HttpError, type JsonServer, type RecordedRequest, params, startJsonServer, str } from './json-server';

/**
 * Fake Databricks SQL Statement Execution API 2.0, from the documented API (databricks-sdk-py service/sql.py):
 * POST /api/2.0/sql/statements {warehouse_id, statement, parameters, wait_timeout, on_wait_timeout, disposition,
 * format}, GET /api/2.0/sql/statements/{id}, POST .../{id}/cancel; answers StatementResponse
 * {statement_id, status{state, error}, manifest{schema{columns}}, result{data_array}} with values as strings.
 *
 * It is not a SQL engine. It records every statement with its parameters, refuses a named marker without a
 * bound parameter (UNBOUND_SQL_PARAMETER, as Databricks does), and understands exactly:
 * - `CREATE TABLE IF NOT EXISTS <name> (...)` (creates an empty table),
 * - `MERGE INTO <name> AS t USING (VALUES (:a, :b), ...) AS s(c1, c2) ON t.k = s.k ...` with every value a marker
 *   (upserts rows by key: a repeated batch changes nothing, like Delta MERGE),
 * - anything else is answered by the first `onQuery` handler whose pattern matches (else an empty result).
 * `pendingPolls` makes statements answer PENDING that many times before SUCCEEDED (exercises polling);
 * `failNext` makes the next statements FAILED.
 */
export interface SqlRecorded {
  statement: string;
  parameters: Array<{ name: string; value: string | null; type?: string }>;
  warehouseId: string;
}
export interface QueryAnswer {
  columns: string[];
  rows: Array<Array<string | null>>;
}

export interface FakeSql extends Omit<JsonServer, 'close'> {
  statements: SqlRecorded[];
  tables: Map<string, Map<string, Record<string, string | null>>>;
  pendingPolls: number;
  onQuery(pattern: RegExp, answer: (s: SqlRecorded) => QueryAnswer): void;
  failNext(n?: number, message?: string): void;
  close(): Promise<void>;
}

interface Stmt {
  id: string;
  rec: SqlRecorded;
  pollsLeft: number;
  outcome: { ok: true; answer: QueryAnswer } | { ok: false; code: string; message: string };
  canceled?: boolean;
}

export async function startFakeSql(): Promise<FakeSql> {
  const statements: SqlRecorded[] = [];
  const tables = new Map<string, Map<string, Record<string, string | null>>>();
  const handlers: Array<{ pattern: RegExp; answer: (s: SqlRecorded) => QueryAnswer }> = [];
  const byId = new Map<string, Stmt>();
  let failures = 0;
  let failMessage = 'injected failure';
  let next = 1;
  const cfg = { pendingPolls: 0 };

  const run = (rec: SqlRecorded): Stmt['outcome'] => {
    if (failures > 0) {
      failures--;
      return { ok: false, code: 'INTERNAL_ERROR', message: failMessage };
    }
    const bound = new Map(rec.parameters.map((p) => [p.name, p.value]));
    // Named markers outside quoted text and backquoted identifiers.
    const text = rec.statement.replace(/'[^']*'|`[^`]*`/g, '');
    for (const m of text.matchAll(/(?<![:\w]):([A-Za-z_]\w*)/g)) {
      if (!bound.has(m[1]!))
        return {
          ok: false,
          code: 'BAD_REQUEST',
          message: `[UNBOUND_SQL_PARAMETER] Found the unbound parameter: ${m[1]!}.`,
        };
    }
    const create = /^\s*CREATE TABLE IF NOT EXISTS\s+([\w.`]+)/i.exec(rec.statement);
    if (create) {
      const name = create[1]!.replace(/`/g, '');
      if (!tables.has(name)) tables.set(name, new Map());
      return { ok: true, answer: { columns: [], rows: [] } };
    }
    const merge =
      /^\s*MERGE INTO\s+([\w.`]+)\s+AS\s+t\s+USING\s+\(\s*VALUES\s+([\s\S]+?)\)\s+AS\s+s\s*\(([^)]*)\)\s+ON\s+t\.(\w+)\s*=\s*s\.(\w+)/i.exec(
        rec.statement,
      );
    if (merge) {
      const name = merge[1]!.replace(/`/g, '');
      const table = tables.get(name);
      if (!table)
        return {
          ok: false,
          code: 'BAD_REQUEST',
          message: `[TABLE_OR_VIEW_NOT_FOUND] The table or view ${name} cannot be found.`,
        };
      const cols = merge[3]!.split(',').map((c) => c.trim());
      const key = merge[4]!;
      const tuples = [...`${merge[2]!})`.matchAll(/\(([^()]*)\)/g)].map((t) => t[1]!.split(',').map((x) => x.trim()));
      let affected = 0;
      for (const t of tuples) {
        if (t.length !== cols.length)
          return { ok: false, code: 'BAD_REQUEST', message: 'VALUES arity does not match the column list' };
        const row: Record<string, string | null> = {};
        t.forEach((marker, i) => {
          if (!marker.startsWith(':')) throw new Error(`fake: value ${marker} is not a bound marker`);
          row[cols[i]!] = bound.get(marker.slice(1)) ?? null;
        });
        const k = row[key] ?? '';
        table.set(k, row);
        affected++;
      }
      return { ok: true, answer: { columns: ['num_affected_rows'], rows: [[String(affected)]] } };
    }
    const h = handlers.find((x) => x.pattern.test(rec.statement));
    return { ok: true, answer: h ? h.answer(rec) : { columns: [], rows: [] } };
  };

  const json = (s: Stmt) => {
    if (s.canceled) return { statement_id: s.id, status: { state: 'CANCELED' } };
    if (s.pollsLeft > 0) return { statement_id: s.id, status: { state: s.pollsLeft-- > 1 ? 'PENDING' : 'RUNNING' } };
    if (!s.outcome.ok)
      return {
        statement_id: s.id,
        status: { state: 'FAILED', error: { error_code: s.outcome.code, message: s.outcome.message } },
      };
    const a = s.outcome.answer;
    return {
      statement_id: s.id,
      status: { state: 'SUCCEEDED' },
      manifest: {
        format: 'JSON_ARRAY',
        schema: {
          column_count: a.columns.length,
          columns: a.columns.map((name, position) => ({ name, position, type_name: 'STRING', type_text: 'STRING' })),
        },
        total_row_count: a.rows.length,
        total_chunk_count: 1,
        truncated: false,
      },
      result: { chunk_index: 0, row_offset: 0, row_count: a.rows.length, data_array: a.rows },
    };
  };

  const server = await startJsonServer((method, path) => {
    if (path === '/api/2.0/sql/statements' && method === 'POST') {
      return (r: RecordedRequest) => {
        const p = params(r);
        if (!str(p.warehouse_id)) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'warehouse_id is required');
        if (!str(p.statement)) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'statement is required');
        const wait = str(p.wait_timeout) || '10s';
        if (!/^(0|[5-9]|[1-4]\d|50)s$/.test(wait))
          throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'wait_timeout must be 0s or between 5s and 50s');
        const parameters = Array.isArray(p.parameters)
          ? (p.parameters as Array<Record<string, unknown>>).map((x) => ({
              name: str(x.name),
              value: x.value === null || x.value === undefined ? null : str(x.value),
              ...(x.type ? { type: str(x.type) } : {}),
            }))
          : [];
        const rec: SqlRecorded = { statement: str(p.statement), parameters, warehouseId: str(p.warehouse_id) };
        statements.push(rec);
        const s: Stmt = {
          id: `01ef-${String(next++).padStart(8, '0')}`,
          rec,
          pollsLeft: cfg.pendingPolls,
          outcome: run(rec),
        };
        byId.set(s.id, s);
        return json(s);
      };
    }
    const m = /^\/api\/2\.0\/sql\/statements\/([^/]+)(\/cancel)?$/.exec(path);
    if (!m) return undefined;
    const s = byId.get(m[1]!);
    const get = () => {
      if (!s) throw new HttpError(404, 'NOT_FOUND', `Statement ${m[1]!} not found`);
      return s;
    };
    if (!m[2] && method === 'GET') return () => json(get());
    if (m[2] && method === 'POST')
      return () => {
        get().canceled = true;
        return {};
      };
    return undefined;
  });

  return {
    ...server,
    statements,
    tables,
    get pendingPolls() {
      return cfg.pendingPolls;
    },
    set pendingPolls(v: number) {
      cfg.pendingPolls = v;
    },
    onQuery(pattern, answer) {
      handlers.push({ pattern, answer });
    },
    failNext(n = 1, message = 'injected failure') {
      failures = n;
      failMessage = message;
    },
    close: () => server.close(),
  };
}
