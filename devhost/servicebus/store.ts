/**
 * Message storage behind a small interface; SQLite (better-sqlite3, WAL) implementation.
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL. A committed transaction is in the WAL file (OS page cache)
 * when commit returns, so it survives kill -9 of this process; it may be lost on power loss / OS crash, which is
 * acceptable for a local development emulator. The broker acknowledges a send (`accepted`) and settles a complete
 * only after the transaction holding it committed (see devhost/lib/commit-queue.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export enum MessageState {
  Active = 0,
  Deferred = 1,
  Scheduled = 2,
}

export interface StoredMessage {
  /** Queue-like entity path, lower case: `q`, `topic/subscriptions/sub`, `q/$deadletterqueue`. */
  entity: string;
  seq: number;
  state: MessageState;
  enqueuedAt: number;
  scheduledAt: number | null;
  expiresAt: number | null;
  deliveryCount: number;
  messageId: string;
  /** Entity the message was dead-lettered from (DLQ rows only). */
  dlSource: string | null;
  /** The bare AMQP message as encoded by rhea (broker annotations are added per delivery). */
  raw: Buffer;
}

export interface MessageStore {
  loadAll(): StoredMessage[];
  loadDedup(now: number): Array<{ entity: string; messageId: string; expiresAt: number }>;
  lastSequence(): number;
  /** Runs `fn` in one transaction. */
  transaction(fn: () => void): void;
  insert(m: StoredMessage): void;
  remove(entity: string, seq: number): void;
  /** Update state / counts / content of an existing row. */
  update(m: StoredMessage): void;
  /** Move to another entity (e.g. to its dead-letter queue) with new content. */
  move(fromEntity: string, m: StoredMessage): void;
  setLastSequence(seq: number): void;
  /** Record the configured entities (for offline listings by the CLI). */
  saveEntities(entities: Array<{ path: string; kind: string }>): void;
  putDedup(entity: string, messageId: string, expiresAt: number): void;
  purgeDedup(now: number): void;
  /** Session state (set-session-state); null removes it. */
  putSessionState(entity: string, sessionId: string, state: Buffer | null): void;
  loadSessionStates(): Array<{ entity: string; sessionId: string; state: Buffer }>;
  close(): void;
}

export class SqliteMessageStore implements MessageStore {
  private readonly db: Database.Database;
  private readonly stmts: {
    insert: Database.Statement;
    remove: Database.Statement;
    update: Database.Statement;
    move: Database.Statement;
    setSeq: Database.Statement;
    putDedup: Database.Statement;
    purgeDedup: Database.Statement;
    putSession: Database.Statement;
    deleteSession: Database.Statement;
  };

  constructor(path: string, options: { readonly?: boolean } = {}) {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS messages (
          entity TEXT NOT NULL, seq INTEGER NOT NULL, state INTEGER NOT NULL, enqueued_at INTEGER NOT NULL,
          scheduled_at INTEGER, expires_at INTEGER, delivery_count INTEGER NOT NULL, message_id TEXT NOT NULL,
          dl_source TEXT, raw BLOB NOT NULL, PRIMARY KEY (entity, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS dedup (entity TEXT NOT NULL, message_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
          PRIMARY KEY (entity, message_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS entities (path TEXT PRIMARY KEY, kind TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS sessions (entity TEXT NOT NULL, session_id TEXT NOT NULL, state BLOB NOT NULL,
          PRIMARY KEY (entity, session_id)) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta(key, value) VALUES ('last_seq', 0);
      `);
    } else {
      this.db.pragma('query_only = ON');
    }
    const prep = (sql: string): Database.Statement =>
      options.readonly ? (undefined as unknown as Database.Statement) : this.db.prepare(sql);
    this.stmts = {
      insert: prep(
        `INSERT INTO messages(entity, seq, state, enqueued_at, scheduled_at, expires_at, delivery_count, message_id, dl_source, raw)
         VALUES (@entity, @seq, @state, @enqueuedAt, @scheduledAt, @expiresAt, @deliveryCount, @messageId, @dlSource, @raw)`,
      ),
      remove: prep('DELETE FROM messages WHERE entity = ? AND seq = ?'),
      update: prep(
        `UPDATE messages SET state=@state, enqueued_at=@enqueuedAt, scheduled_at=@scheduledAt, expires_at=@expiresAt,
         delivery_count=@deliveryCount, dl_source=@dlSource, raw=@raw WHERE entity=@entity AND seq=@seq`,
      ),
      move: prep(
        `UPDATE messages SET entity=@entity, state=@state, enqueued_at=@enqueuedAt, scheduled_at=@scheduledAt, expires_at=@expiresAt,
         delivery_count=@deliveryCount, dl_source=@dlSource, raw=@raw WHERE entity=@fromEntity AND seq=@seq`,
      ),
      setSeq: prep(`UPDATE meta SET value = ? WHERE key = 'last_seq' AND value < ?`),
      putDedup: prep('INSERT OR REPLACE INTO dedup(entity, message_id, expires_at) VALUES (?, ?, ?)'),
      purgeDedup: prep('DELETE FROM dedup WHERE expires_at < ?'),
      putSession: prep('INSERT OR REPLACE INTO sessions(entity, session_id, state) VALUES (?, ?, ?)'),
      deleteSession: prep('DELETE FROM sessions WHERE entity = ? AND session_id = ?'),
    };
  }

  loadAll(): StoredMessage[] {
    const rows = this.db
      .prepare(
        `SELECT entity, seq, state, enqueued_at AS enqueuedAt, scheduled_at AS scheduledAt, expires_at AS expiresAt,
         delivery_count AS deliveryCount, message_id AS messageId, dl_source AS dlSource, raw FROM messages ORDER BY entity, seq`,
      )
      .all() as StoredMessage[];
    return rows;
  }

  loadDedup(now: number): Array<{ entity: string; messageId: string; expiresAt: number }> {
    return this.db
      .prepare('SELECT entity, message_id AS messageId, expires_at AS expiresAt FROM dedup WHERE expires_at >= ?')
      .all(now) as Array<{ entity: string; messageId: string; expiresAt: number }>;
  }

  lastSequence(): number {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'last_seq'`).get() as { value: number } | undefined;
    const max = this.db.prepare('SELECT MAX(seq) AS m FROM messages').get() as { m: number | null };
    return Math.max(row?.value ?? 0, max.m ?? 0);
  }

  transaction(fn: () => void): void {
    this.db.transaction(fn)();
  }

  insert(m: StoredMessage): void {
    this.stmts.insert.run(m);
  }
  remove(entity: string, seq: number): void {
    this.stmts.remove.run(entity, seq);
  }
  update(m: StoredMessage): void {
    this.stmts.update.run(m);
  }
  move(fromEntity: string, m: StoredMessage): void {
    this.stmts.move.run({ ...m, fromEntity });
  }
  setLastSequence(seq: number): void {
    this.stmts.setSeq.run(seq, seq);
  }
  putDedup(entity: string, messageId: string, expiresAt: number): void {
    this.stmts.putDedup.run(entity, messageId, expiresAt);
  }
  purgeDedup(now: number): void {
    this.stmts.purgeDedup.run(now);
  }
  putSessionState(entity: string, sessionId: string, state: Buffer | null): void {
    if (state === null) this.stmts.deleteSession.run(entity, sessionId);
    else this.stmts.putSession.run(entity, sessionId, state);
  }
  loadSessionStates(): Array<{ entity: string; sessionId: string; state: Buffer }> {
    return this.db.prepare('SELECT entity, session_id AS sessionId, state FROM sessions').all() as Array<{
      entity: string;
      sessionId: string;
      state: Buffer;
    }>;
  }
  saveEntities(entities: Array<{ path: string; kind: string }>): void {
    const ins = this.db.prepare('INSERT INTO entities(path, kind) VALUES (?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM entities').run();
      for (const e of entities) ins.run(e.path, e.kind);
    })();
  }

  /** Read-side queries for the CLI (works on a read-only handle while the broker runs: WAL readers see commits). */
  listEntities(): Array<{ path: string; kind: string }> {
    return this.db.prepare('SELECT path, kind FROM entities ORDER BY path').all() as Array<{
      path: string;
      kind: string;
    }>;
  }
  counts(): Array<{ entity: string; state: MessageState; n: number }> {
    return this.db.prepare('SELECT entity, state, COUNT(*) AS n FROM messages GROUP BY entity, state').all() as Array<{
      entity: string;
      state: MessageState;
      n: number;
    }>;
  }
  peekRows(entity: string, limit: number, fromSeq = 0): StoredMessage[] {
    return this.db
      .prepare(
        `SELECT entity, seq, state, enqueued_at AS enqueuedAt, scheduled_at AS scheduledAt, expires_at AS expiresAt,
         delivery_count AS deliveryCount, message_id AS messageId, dl_source AS dlSource, raw FROM messages
         WHERE entity = ? AND seq >= ? ORDER BY seq LIMIT ?`,
      )
      .all(entity, fromSeq, limit) as StoredMessage[];
  }
  close(): void {
    this.db.close();
  }
}
