/**
 * The task hub's durable state. `DurableStore` is what the engine needs; `SqliteStore` keeps it in one SQLite file
 * (WAL) per task hub, in the spirit of the MSSQL / durabletask-sqlite backends:
 *   instances  – one row per instance (status, input, output, custom status, parent link)
 *   history    – the current execution's events, one row per episode (a JSON array; `seq` = index of its first
 *                event), in order; older executions are dropped by continueAsNew
 *   inbox      – orchestrator messages not yet consumed by an episode (task results, events, control messages)
 *   timers     – durable timers; a timer row becomes a TimerFired message when due
 *   activities – activity work items not yet completed
 *
 * Invariants:
 * - Every engine write goes through `transaction()`; an episode's effects (history, new work, status) commit together.
 * - Row ids for inbox/timers/activities are assigned by the engine (monotonic in memory) so effects can be
 *   referenced before the commit; `maxRowId()` seeds the counter on start.
 * - `synchronous=NORMAL` in WAL mode: a committed transaction survives a killed process (kill -9); only an OS crash
 *   can lose the last commits. Set DEVHOST_DURABLE_SYNC=FULL to trade speed for power-loss safety.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostSetting } from '../host/setting-names';
import type {
  ActivityItem,
  EntityRow,
  HistoryEvent,
  InboxItem,
  InboxMessage,
  InstanceRow,
  ParentRef,
  RuntimeStatusName,
  TimerItem,
} from './types';

export interface InstanceQuery {
  createdFrom?: number;
  createdTo?: number;
  statuses?: RuntimeStatusName[];
  instanceIdPrefix?: string;
  /** Keyset continuation: rows strictly after (createdAt, instanceId). */
  after?: { createdAt: number; instanceId: string };
  limit?: number;
}

export interface EntityQuery {
  /** Entity name (lowercased, as in scheduler ids); all entities when absent. */
  name?: string;
  lastOperationFrom?: number;
  lastOperationTo?: number;
  /** Keyset continuation: rows strictly after this entity id. */
  afterEntityId?: string;
  limit?: number;
}

export interface DurableStore {
  transaction<T>(fn: () => T): T;
  maxRowId(): number;
  // instances
  getInstance(instanceId: string): InstanceRow | undefined;
  upsertInstance(row: InstanceRow): void;
  updateInstanceState(
    instanceId: string,
    fields: Pick<InstanceRow, 'status' | 'output' | 'customStatus' | 'updatedAt' | 'executionId' | 'input'>,
  ): void;
  queryInstances(q: InstanceQuery): InstanceRow[];
  activeInstances(): InstanceRow[];
  /** Delete an instance and everything that belongs to it. */
  deleteInstance(instanceId: string): void;
  // history
  loadHistory(instanceId: string): HistoryEvent[];
  /** Append one episode's events (JSON texts) starting at event index `fromSeq`. */
  appendHistory(instanceId: string, fromSeq: number, eventsJson: readonly string[]): void;
  clearHistory(instanceId: string): void;
  // inbox
  insertInbox(rowId: number, instanceId: string, executionId: string | null, message: InboxMessage): void;
  deleteInbox(rowIds: readonly number[]): void;
  loadInbox(): InboxItem[];
  // timers
  insertTimer(t: TimerItem): void;
  deleteTimers(rowIds: readonly number[]): void;
  loadTimers(): TimerItem[];
  // activities
  insertActivity(a: ActivityItem): void;
  deleteActivity(rowId: number): void;
  loadActivities(): ActivityItem[];
  /** Drop pending work of an instance (terminate / restart). */
  deletePendingWork(instanceId: string): void;
  // entities
  getEntity(entityId: string): EntityRow | undefined;
  upsertEntity(row: EntityRow): void;
  /** Existing entities (not deleted), ordered by entity id. */
  queryEntities(q: EntityQuery): EntityRow[];
  close(): void;
}

interface InstanceDbRow {
  instance_id: string;
  name: string;
  version: string;
  execution_id: string;
  status: string;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  created_at: number;
  updated_at: number;
  parent: string | null;
}

function toRow(r: InstanceDbRow): InstanceRow {
  return {
    instanceId: r.instance_id,
    name: r.name,
    version: r.version,
    executionId: r.execution_id,
    status: r.status as RuntimeStatusName,
    input: r.input,
    output: r.output,
    customStatus: r.custom_status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    parent: r.parent ? (JSON.parse(r.parent) as ParentRef) : null,
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL DEFAULT '',
  execution_id TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  custom_status TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  parent TEXT
);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created_at, instance_id);
CREATE INDEX IF NOT EXISTS instances_status ON instances(status);
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY,
  instance_id TEXT NOT NULL,
  execution_id TEXT,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_instance ON inbox(instance_id);
CREATE TABLE IF NOT EXISTS timers (
  id INTEGER PRIMARY KEY,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  timer_id INTEGER NOT NULL,
  fire_at INTEGER NOT NULL,
  event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_instance ON timers(instance_id);
CREATE TABLE IF NOT EXISTS activities (
  id INTEGER PRIMARY KEY,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  input TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activities_instance ON activities(instance_id);
CREATE TABLE IF NOT EXISTS entities (
  entity_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  state TEXT,
  entity_exists INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

export interface SqliteStoreOptions {
  readonly?: boolean;
}

export class SqliteStore implements DurableStore {
  readonly db: Database.Database;
  private readonly s: ReturnType<SqliteStore['prepare']> | undefined;

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, options.readonly ? { readonly: true, fileMustExist: true } : {});
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(
        `synchronous = ${hostSetting(process.env, 'DURABLE_SYNC') === 'FULL' ? 'FULL' : hostSetting(process.env, 'DURABLE_SYNC') === 'OFF' ? 'OFF' : 'NORMAL'}`,
      );
      this.db.exec(SCHEMA);
    }
    this.db.pragma('busy_timeout = 5000');
    this.s = this.prepare();
  }

  private prepare() {
    const d = this.db;
    return {
      getInstance: d.prepare<[string], InstanceDbRow>('SELECT * FROM instances WHERE instance_id = ?'),
      upsertInstance: d.prepare(
        `INSERT INTO instances (instance_id, name, version, execution_id, status, input, output, custom_status, created_at, updated_at, parent)
         VALUES (@instanceId, @name, @version, @executionId, @status, @input, @output, @customStatus, @createdAt, @updatedAt, @parent)
         ON CONFLICT(instance_id) DO UPDATE SET name=excluded.name, version=excluded.version, execution_id=excluded.execution_id,
           status=excluded.status, input=excluded.input, output=excluded.output, custom_status=excluded.custom_status,
           created_at=excluded.created_at, updated_at=excluded.updated_at, parent=excluded.parent`,
      ),
      updateState: d.prepare(
        'UPDATE instances SET status=@status, output=@output, custom_status=@customStatus, updated_at=@updatedAt, execution_id=@executionId, input=@input WHERE instance_id=@instanceId',
      ),
      active: d.prepare<[], InstanceDbRow>(
        `SELECT * FROM instances WHERE status IN ('Running','Pending','Suspended','ContinuedAsNew')`,
      ),
      deleteInstance: d.prepare('DELETE FROM instances WHERE instance_id = ?'),
      loadHistory: d.prepare<[string], { event: string }>(
        'SELECT event FROM history WHERE instance_id = ? ORDER BY seq',
      ),
      appendHistory: d.prepare('INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)'),
      clearHistory: d.prepare('DELETE FROM history WHERE instance_id = ?'),
      insertInbox: d.prepare('INSERT INTO inbox (id, instance_id, execution_id, message) VALUES (?, ?, ?, ?)'),
      deleteInbox: d.prepare('DELETE FROM inbox WHERE id = ?'),
      loadInbox: d.prepare<[], { id: number; instance_id: string; execution_id: string | null; message: string }>(
        'SELECT * FROM inbox ORDER BY id',
      ),
      deleteInboxOf: d.prepare('DELETE FROM inbox WHERE instance_id = ?'),
      insertTimer: d.prepare(
        'INSERT INTO timers (id, instance_id, execution_id, timer_id, fire_at, event) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteTimer: d.prepare('DELETE FROM timers WHERE id = ?'),
      loadTimers: d.prepare<
        [],
        { id: number; instance_id: string; execution_id: string; timer_id: number; fire_at: number; event: string }
      >('SELECT * FROM timers ORDER BY fire_at, id'),
      deleteTimersOf: d.prepare('DELETE FROM timers WHERE instance_id = ?'),
      insertActivity: d.prepare(
        'INSERT INTO activities (id, instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteActivity: d.prepare('DELETE FROM activities WHERE id = ?'),
      loadActivities: d.prepare<
        [],
        { id: number; instance_id: string; execution_id: string; task_id: number; name: string; input: string }
      >('SELECT * FROM activities ORDER BY id'),
      deleteActivitiesOf: d.prepare('DELETE FROM activities WHERE instance_id = ?'),
      getEntity: d.prepare<
        [string],
        {
          entity_id: string;
          name: string;
          key: string;
          state: string | null;
          entity_exists: number;
          updated_at: number;
        }
      >('SELECT * FROM entities WHERE entity_id = ?'),
      upsertEntity: d.prepare(
        `INSERT INTO entities (entity_id, name, key, state, entity_exists, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(entity_id) DO UPDATE SET state=excluded.state, entity_exists=excluded.entity_exists, updated_at=excluded.updated_at`,
      ),
      maxIds: d.prepare<[], { m: number | null }>(
        'SELECT MAX(m) AS m FROM (SELECT MAX(id) AS m FROM inbox UNION ALL SELECT MAX(id) FROM timers UNION ALL SELECT MAX(id) FROM activities)',
      ),
    };
  }

  private get st() {
    return this.s!;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  maxRowId(): number {
    return this.st.maxIds.get()?.m ?? 0;
  }

  getInstance(instanceId: string): InstanceRow | undefined {
    const r = this.st.getInstance.get(instanceId);
    return r ? toRow(r) : undefined;
  }

  upsertInstance(row: InstanceRow): void {
    this.st.upsertInstance.run({ ...row, parent: row.parent ? JSON.stringify(row.parent) : null });
  }

  updateInstanceState(
    instanceId: string,
    f: Pick<InstanceRow, 'status' | 'output' | 'customStatus' | 'updatedAt' | 'executionId' | 'input'>,
  ): void {
    this.st.updateState.run({ instanceId, ...f });
  }

  queryInstances(q: InstanceQuery): InstanceRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.createdFrom !== undefined) {
      where.push('created_at >= ?');
      params.push(q.createdFrom);
    }
    if (q.createdTo !== undefined) {
      where.push('created_at <= ?');
      params.push(q.createdTo);
    }
    if (q.statuses && q.statuses.length) {
      where.push(`status IN (${q.statuses.map(() => '?').join(',')})`);
      params.push(...q.statuses);
    }
    if (q.instanceIdPrefix) {
      where.push('substr(instance_id, 1, ?) = ?');
      params.push(q.instanceIdPrefix.length, q.instanceIdPrefix);
    }
    if (q.after) {
      where.push('(created_at > ? OR (created_at = ? AND instance_id > ?))');
      params.push(q.after.createdAt, q.after.createdAt, q.after.instanceId);
    }
    const sql = `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, instance_id ${q.limit ? `LIMIT ${Math.floor(q.limit)}` : ''}`;
    return (this.db.prepare(sql).all(...params) as InstanceDbRow[]).map(toRow);
  }

  activeInstances(): InstanceRow[] {
    return this.st.active.all().map(toRow);
  }

  deleteInstance(instanceId: string): void {
    this.st.deleteInstance.run(instanceId);
    this.st.clearHistory.run(instanceId);
    this.deletePendingWork(instanceId);
  }

  loadHistory(instanceId: string): HistoryEvent[] {
    const out: HistoryEvent[] = [];
    for (const r of this.st.loadHistory.all(instanceId))
      for (const e of JSON.parse(r.event) as HistoryEvent[]) out.push(e);
    return out;
  }

  appendHistory(instanceId: string, fromSeq: number, eventsJson: readonly string[]): void {
    if (eventsJson.length) this.st.appendHistory.run(instanceId, fromSeq, `[${eventsJson.join(',')}]`);
  }

  clearHistory(instanceId: string): void {
    this.st.clearHistory.run(instanceId);
  }

  insertInbox(rowId: number, instanceId: string, executionId: string | null, message: InboxMessage): void {
    this.st.insertInbox.run(rowId, instanceId, executionId, JSON.stringify(message));
  }

  deleteInbox(rowIds: readonly number[]): void {
    for (const id of rowIds) this.st.deleteInbox.run(id);
  }

  loadInbox(): InboxItem[] {
    return this.st.loadInbox.all().map((r) => ({
      rowId: r.id,
      instanceId: r.instance_id,
      executionId: r.execution_id,
      message: JSON.parse(r.message) as InboxMessage,
    }));
  }

  insertTimer(t: TimerItem): void {
    this.st.insertTimer.run(t.rowId, t.instanceId, t.executionId, t.timerId, t.fireAt, JSON.stringify(t.event));
  }

  deleteTimers(rowIds: readonly number[]): void {
    for (const id of rowIds) this.st.deleteTimer.run(id);
  }

  loadTimers(): TimerItem[] {
    return this.st.loadTimers.all().map((r) => ({
      rowId: r.id,
      instanceId: r.instance_id,
      executionId: r.execution_id,
      timerId: r.timer_id,
      fireAt: r.fire_at,
      event: JSON.parse(r.event) as HistoryEvent,
    }));
  }

  insertActivity(a: ActivityItem): void {
    this.st.insertActivity.run(a.rowId, a.instanceId, a.executionId, a.taskId, a.name, a.input);
  }

  deleteActivity(rowId: number): void {
    this.st.deleteActivity.run(rowId);
  }

  loadActivities(): ActivityItem[] {
    return this.st.loadActivities.all().map((r) => ({
      rowId: r.id,
      instanceId: r.instance_id,
      executionId: r.execution_id,
      taskId: r.task_id,
      name: r.name,
      input: r.input,
    }));
  }

  deletePendingWork(instanceId: string): void {
    this.st.deleteInboxOf.run(instanceId);
    this.st.deleteTimersOf.run(instanceId);
    this.st.deleteActivitiesOf.run(instanceId);
  }

  getEntity(entityId: string): EntityRow | undefined {
    const r = this.st.getEntity.get(entityId);
    return r
      ? {
          entityId: r.entity_id,
          name: r.name,
          key: r.key,
          state: r.state,
          exists: r.entity_exists === 1,
          updatedAt: r.updated_at,
        }
      : undefined;
  }

  upsertEntity(row: EntityRow): void {
    this.st.upsertEntity.run(row.entityId, row.name, row.key, row.state, row.exists ? 1 : 0, row.updatedAt);
  }

  queryEntities(q: EntityQuery): EntityRow[] {
    const where = ['entity_exists = 1'];
    const params: unknown[] = [];
    if (q.name !== undefined) {
      where.push('name = ?');
      params.push(q.name.toLowerCase());
    }
    if (q.lastOperationFrom !== undefined) {
      where.push('updated_at >= ?');
      params.push(q.lastOperationFrom);
    }
    if (q.lastOperationTo !== undefined) {
      where.push('updated_at <= ?');
      params.push(q.lastOperationTo);
    }
    if (q.afterEntityId !== undefined) {
      where.push('entity_id > ?');
      params.push(q.afterEntityId);
    }
    const sql = `SELECT * FROM entities WHERE ${where.join(' AND ')} ORDER BY entity_id ${q.limit ? `LIMIT ${Math.floor(q.limit)}` : ''}`;
    const rows = this.db.prepare(sql).all(...params) as Array<{
      entity_id: string;
      name: string;
      key: string;
      state: string | null;
      entity_exists: number;
      updated_at: number;
    }>;
    return rows.map((r) => ({
      entityId: r.entity_id,
      name: r.name,
      key: r.key,
      state: r.state,
      exists: r.entity_exists === 1,
      updatedAt: r.updated_at,
    }));
  }

  close(): void {
    this.db.close();
  }
}
