/**
 * A small typed table over @azure/data-tables: zod-validated records keyed by natural ids.
 *
 * Invariants:
 * - Keys are escaped (keys.ts); callers pass natural ids.
 * - Limits are enforced before any write (limits.ts): a record that cannot fit is never partially written.
 *   Oversized strings and JSON fields are split into `<field>__<i>` binary chunk properties (UTF-8); when the entity would still
 *   exceed 1 MiB, the largest fields move to blobs (if an overflow BlobStore is configured), else the write fails
 *   with RECORD_TOO_LARGE naming the fields.
 * - Object/array fields are stored as JSON text; `_sc` (meta) says which fields are JSON, chunked, in blobs or null,
 *   so reads rebuild exactly the record that was written, then validate it with the schema.
 * - The table is created lazily, once per instance.
 */
import { RestError, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { z } from 'zod';
import { StagecraftError, ValidationError } from '../errors';
import { validationErrorFrom } from '../events';
import type { BlobStore } from './blobs';
import { blobSegment, escapeKey } from './keys';
import { TableBatcher } from './table-batcher';
import {
  chunkText,
  entityBytes,
  MAX_CUSTOM_PROPERTIES,
  MAX_ENTITY_BYTES,
  MAX_PROPERTY_BYTES,
  type EntityValue,
} from './limits';

const META = '_sc';
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,200}$/;

interface Meta {
  j?: string[];
  c?: Record<string, number>;
  b?: Record<string, string>;
  n?: string[];
}

export interface RecordTableOptions<T> {
  client: TableClient;
  schema: z.ZodType<T>;
  /** Natural partition id of a record (escaped by the table). */
  partitionKey: (record: T) => string;
  /** Natural row id of a record (escaped by the table). */
  rowKey: (record: T) => string;
  /** Where fields go when the entity would exceed 1 MiB. */
  overflow?: { blobs: BlobStore; prefix: string };
  /** Coalesce concurrent inserts and upserts into entity-group transactions (table-batcher.ts). Default true. */
  groupCommit?: boolean;
}

export type Versioned<T> = { record: T; etag: string };

function isStatus(e: unknown, status: number): boolean {
  return e instanceof RestError ? e.statusCode === status : (e as { statusCode?: unknown })?.statusCode === status;
}

export class RecordTable<T extends object> {
  private ready: Promise<void> | undefined;
  private readonly batcher: TableBatcher | undefined;
  constructor(private readonly options: RecordTableOptions<T>) {
    this.batcher = options.groupCommit === false ? undefined : new TableBatcher(options.client);
  }

  get tableName(): string {
    return this.options.client.tableName;
  }

  private ensure(): Promise<void> {
    this.ready ??= this.options.client.createTable().then(
      () => undefined,
      (e: unknown) => {
        this.ready = undefined;
        throw e;
      },
    );
    return this.ready;
  }

  private validate(record: T): T {
    const r = this.options.schema.safeParse(record);
    if (!r.success) throw validationErrorFrom('RECORD_INVALID', `record for table ${this.tableName}`, r.error.issues);
    return r.data;
  }

  /** Builds the entity for `record`, enforcing limits; may write overflow blobs (idempotent paths). */
  private async toEntity(record: T): Promise<{ partitionKey: string; rowKey: string } & Record<string, EntityValue>> {
    const valid = this.validate(record);
    const partitionKey = escapeKey(this.options.partitionKey(valid));
    const rowKey = escapeKey(this.options.rowKey(valid));
    const meta: Required<Meta> = { j: [], c: {}, b: {}, n: [] };
    const texts = new Map<string, string>();
    const props: Record<string, EntityValue> = {};
    for (const [name, value] of Object.entries(valid)) {
      if (value === undefined) continue;
      if (!FIELD_NAME.test(name) || name.includes('__')) {
        throw new ValidationError(
          'RECORD_FIELD_NAME_INVALID',
          `field "${name}" of table ${this.tableName} is not a valid property name`,
        );
      }
      if (value === null) meta.n.push(name);
      else if (typeof value === 'string') texts.set(name, value);
      else if (
        typeof value === 'number' ||
        typeof value === 'boolean' ||
        value instanceof Date ||
        value instanceof Uint8Array
      )
        props[name] = value;
      else {
        meta.j.push(name);
        texts.set(name, JSON.stringify(value));
      }
    }
    const build = (): Record<string, EntityValue> => {
      const out: Record<string, EntityValue> = { ...props };
      for (const [name, text] of texts) {
        if (meta.b[name] !== undefined) continue;
        if (chunkText(text).length === 1) {
          out[name] = text;
          delete meta.c[name];
          continue;
        }
        // Long text goes into binary chunks of UTF-8 bytes (64 KiB each), re-joined before decoding. Binary keeps
        // the request body ASCII (base64): Azurite corrupts multi-byte characters in large bodies, Azure does not.
        const bytes = Buffer.from(text, 'utf8');
        const n = Math.ceil(bytes.length / MAX_PROPERTY_BYTES);
        meta.c[name] = n;
        for (let i = 0; i < n; i++)
          out[`${name}__${i}`] = new Uint8Array(bytes.subarray(i * MAX_PROPERTY_BYTES, (i + 1) * MAX_PROPERTY_BYTES));
      }
      const compact: Meta = {};
      if (meta.j.length) compact.j = meta.j;
      if (Object.keys(meta.c).length) compact.c = meta.c;
      if (Object.keys(meta.b).length) compact.b = meta.b;
      if (meta.n.length) compact.n = meta.n;
      if (Object.keys(compact).length) out[META] = JSON.stringify(compact);
      return out;
    };
    let entity = build();
    while (
      entityBytes(partitionKey, rowKey, entity) > MAX_ENTITY_BYTES ||
      Object.keys(entity).length > MAX_CUSTOM_PROPERTIES
    ) {
      const candidates = [...texts.entries()]
        .filter(([name]) => meta.b[name] === undefined)
        .sort((a, b) => b[1].length - a[1].length);
      const largest = candidates[0];
      if (!this.options.overflow || largest === undefined) {
        const sizes = [...texts.entries()].map(([name, t]) => `${name}=${Buffer.byteLength(t, 'utf8')}B`).join(', ');
        const count = Object.keys(entity).length;
        throw new ValidationError(
          count > MAX_CUSTOM_PROPERTIES ? 'RECORD_TOO_MANY_PROPERTIES' : 'RECORD_TOO_LARGE',
          `record ${partitionKey}/${rowKey} for table ${this.tableName} exceeds the entity limits (${MAX_ENTITY_BYTES} bytes, ${MAX_CUSTOM_PROPERTIES} properties): ${count} properties; ${sizes}`,
          { status: 413 },
        );
      }
      const [name, text] = largest;
      const path = `${this.options.overflow.prefix}/${this.tableName}/${blobSegment(partitionKey)}/${blobSegment(rowKey)}/${name}`;
      await this.options.overflow.blobs.put(path, text, meta.j.includes(name) ? 'json' : 'text');
      meta.b[name] = path;
      delete meta.c[name];
      entity = build();
    }
    return { partitionKey, rowKey, ...entity };
  }

  private async fromEntity(entity: Record<string, unknown>): Promise<T> {
    const meta: Meta = typeof entity[META] === 'string' ? (JSON.parse(entity[META]) as Meta) : {};
    const out: Record<string, unknown> = {};
    const skip = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', META, 'odata.metadata']);
    for (const [name, value] of Object.entries(entity)) {
      if (skip.has(name) || name.includes('__')) continue;
      out[name] = value;
    }
    for (const [name, n] of Object.entries(meta.c ?? {})) {
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const chunk = entity[`${name}__${i}`];
        if (!(chunk instanceof Uint8Array))
          throw new StagecraftError('RECORD_CORRUPT', `chunk ${i} of ${name} is missing in ${this.tableName}`, {
            status: 500,
          });
        parts.push(Buffer.from(chunk));
      }
      out[name] = Buffer.concat(parts).toString('utf8');
    }
    for (const [name, path] of Object.entries(meta.b ?? {})) {
      const text = await this.options.overflow?.blobs.getText(path);
      if (text === undefined)
        throw new StagecraftError(
          'RECORD_OVERFLOW_MISSING',
          `overflow blob ${path} of table ${this.tableName} is missing`,
          { status: 500 },
        );
      out[name] = text;
    }
    for (const name of meta.j ?? []) if (typeof out[name] === 'string') out[name] = JSON.parse(out[name]);
    for (const name of meta.n ?? []) out[name] = null;
    const r = this.options.schema.safeParse(out);
    if (!r.success) {
      throw new StagecraftError(
        'RECORD_CORRUPT',
        `stored entity in ${this.tableName} no longer matches its schema: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        { status: 500 },
      );
    }
    return r.data;
  }

  /** Insert or replace (default) / merge the record at its natural key. Idempotent. */
  async upsert(record: T, mode: 'Replace' | 'Merge' = 'Replace'): Promise<void> {
    await this.ensure();
    const entity = await this.toEntity(record);
    if (this.batcher) await this.batcher.write({ kind: 'upsert', entity, mode });
    else await this.options.client.upsertEntity(entity, mode);
  }

  /** Insert only if absent: `created`, or `exists` when a record already has this key. */
  async insert(record: T): Promise<'created' | 'exists'> {
    await this.ensure();
    const entity = await this.toEntity(record);
    if (this.batcher) return (await this.batcher.write({ kind: 'create', entity })) === 'exists' ? 'exists' : 'created';
    try {
      await this.options.client.createEntity(entity);
      return 'created';
    } catch (e) {
      if (isStatus(e, 409)) return 'exists';
      throw e;
    }
  }

  /** Replace only if the stored entity still has `etag`: `conflict` when someone else wrote or deleted it. */
  async replaceIfMatch(record: T, etag: string): Promise<'updated' | 'conflict'> {
    await this.ensure();
    const entity = await this.toEntity(record);
    try {
      await this.options.client.updateEntity(entity, 'Replace', { etag });
      return 'updated';
    } catch (e) {
      if (isStatus(e, 412) || isStatus(e, 404)) return 'conflict';
      throw e;
    }
  }

  async getVersioned(partition: string, row: string): Promise<Versioned<T> | undefined> {
    await this.ensure();
    let entity: TableEntityResult<Record<string, unknown>>;
    try {
      entity = await this.options.client.getEntity<Record<string, unknown>>(escapeKey(partition), escapeKey(row));
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
    return { record: await this.fromEntity(entity), etag: entity.etag };
  }

  async get(partition: string, row: string): Promise<T | undefined> {
    return (await this.getVersioned(partition, row))?.record;
  }

  /** Deletes the record; with `etag`, only if unchanged (`conflict` otherwise). Absent records count as deleted. */
  async delete(partition: string, row: string, etag?: string): Promise<'deleted' | 'conflict'> {
    await this.ensure();
    try {
      await this.options.client.deleteEntity(escapeKey(partition), escapeKey(row), etag === undefined ? {} : { etag });
      return 'deleted';
    } catch (e) {
      if (isStatus(e, 404)) return 'deleted';
      if (isStatus(e, 412)) return 'conflict';
      throw e;
    }
  }

  /** Records of one partition in row-key order (at most `limit`). */
  async listPartition(partition: string, limit = 1000): Promise<T[]> {
    await this.ensure();
    const pk = escapeKey(partition).replace(/'/g, "''");
    const out: T[] = [];
    for await (const entity of this.options.client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${pk}'` },
    })) {
      out.push(await this.fromEntity(entity));
      if (out.length >= limit) break;
    }
    return out;
  }
}
