/**
 * Storage input and output bindings: `blob` (in/out), `table` (in/out) and `queue` (out), with binding
 * expressions resolved against the triggering invocation's binding data.
 *
 * Shapes, as the Node worker sees them on Azure:
 * - blob input: a Buffer (a string with `dataType: 'string'`), null when the blob does not exist;
 * - blob output: a string or Buffer is written as-is, anything else as JSON;
 * - table input: with `rowKey`, one entity or null; otherwise an array (`filter`, `take`), entities with
 *   `PartitionKey`, `RowKey`, `Timestamp` and their properties;
 * - table output: one entity or an array; `PartitionKey`/`RowKey` come from the entity, else from the binding;
 *   an entity without `ETag` is inserted (an existing row fails the invocation), with `ETag` it replaces ('*' = any);
 * - queue output: one message, or an array of messages; objects as JSON; encoded per `messageEncoding`.
 */
import { odata, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { HostError, type BindingInfo } from '../host/types';
import { resolveExpressions, type BindingData } from './binding-data';
import type { StorageClients } from './clients';
import type { StorageAccount } from './connection';
import { encodeMessageText } from './queue-trigger';

function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number'
    ? (e as { statusCode: number }).statusCode
    : undefined;
}

export interface BindingEnv {
  account: StorageAccount;
  clients: StorageClients;
  data: BindingData;
  functionName: string;
  /** `%Setting%` resolution (throws naming the setting). */
  resolveSetting(value: string): string;
}

function opt(b: BindingInfo, key: string): string | undefined {
  const v = b[key];
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function resolved(b: BindingInfo, key: string, env: BindingEnv): string | undefined {
  const raw = opt(b, key);
  if (raw === undefined) return undefined;
  return resolveExpressions(
    env.resolveSetting(raw),
    env.data,
    `Binding '${b.name}' (${b.type}) option '${key}'`,
    env.functionName,
  );
}

function splitBlobPath(path: string, b: BindingInfo): { container: string; blob: string } {
  const clean = path.replace(/^\/+/, '');
  const slash = clean.indexOf('/');
  if (slash <= 0 || slash === clean.length - 1)
    throw new HostError('BINDING_INVALID', `Binding '${b.name}': blob path '${path}' must be 'container/blob'`);
  return { container: clean.slice(0, slash), blob: clean.slice(slash + 1) };
}

export async function readBlob(b: BindingInfo, env: BindingEnv): Promise<Buffer | string | null> {
  const { container, blob } = splitBlobPath(resolved(b, 'path', env) ?? '', b);
  try {
    const buf = await env.clients
      .blobService(env.account)
      .getContainerClient(container)
      .getBlobClient(blob)
      .downloadToBuffer();
    return opt(b, 'dataType')?.toLowerCase() === 'string' ? buf.toString('utf8') : buf;
  } catch (e) {
    if (statusOf(e) === 404) return null;
    throw e;
  }
}

function asBytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Writes a blob output; returns the container written to (blob triggers on it are woken). */
export async function writeBlob(b: BindingInfo, value: unknown, env: BindingEnv): Promise<string> {
  const { container, blob } = splitBlobPath(resolved(b, 'path', env) ?? '', b);
  const cc = env.clients.blobService(env.account).getContainerClient(container);
  await cc.createIfNotExists();
  const bytes = asBytes(value);
  await cc.getBlockBlobClient(blob).uploadData(bytes);
  return container;
}

/** Writes queue output messages; returns the queue name (listeners on it are woken). */
export async function writeQueue(
  b: BindingInfo,
  value: unknown,
  env: BindingEnv,
  encoding: 'base64' | 'none',
): Promise<string> {
  const name = resolved(b, 'queueName', env);
  if (!name) throw new HostError('BINDING_INVALID', `Binding '${b.name}': queue output needs queueName`);
  const q = await env.clients.queueForWrite(env.account, name.toLowerCase());
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  for (const item of items) {
    if (item === undefined || item === null) continue;
    const text =
      Buffer.isBuffer(item) || item instanceof Uint8Array
        ? Buffer.from(item)
        : typeof item === 'string'
          ? item
          : JSON.stringify(item);
    await q.sendMessage(encodeMessageText(text, encoding));
  }
  return name.toLowerCase();
}

function toWorkerEntity(e: TableEntityResult<Record<string, unknown>>): Record<string, unknown> {
  const { partitionKey, rowKey, timestamp, etag, ...rest } = e;
  void etag;
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest))
    if (!k.startsWith('odata.')) props[k] = v instanceof Date ? v.toISOString() : v;
  return { PartitionKey: partitionKey, RowKey: rowKey, ...(timestamp ? { Timestamp: timestamp } : {}), ...props };
}

export async function readTable(b: BindingInfo, env: BindingEnv): Promise<unknown> {
  const tableName = resolved(b, 'tableName', env);
  if (!tableName) throw new HostError('BINDING_INVALID', `Binding '${b.name}': table input needs tableName`);
  const table = env.clients.table(env.account, tableName);
  const pk = resolved(b, 'partitionKey', env);
  const rk = resolved(b, 'rowKey', env);
  try {
    if (rk !== undefined) {
      if (pk === undefined)
        throw new HostError('BINDING_INVALID', `Binding '${b.name}': table input with rowKey also needs partitionKey`);
      try {
        return toWorkerEntity(await table.getEntity<Record<string, unknown>>(pk, rk));
      } catch (e) {
        if (statusOf(e) === 404) return null;
        throw e;
      }
    }
    const filter = resolved(b, 'filter', env);
    const parts = [...(pk !== undefined ? [odata`PartitionKey eq ${pk}`] : []), ...(filter ? [`(${filter})`] : [])];
    const takeRaw = b['take'];
    const take =
      typeof takeRaw === 'number'
        ? takeRaw
        : typeof takeRaw === 'string' && takeRaw.trim()
          ? Number(takeRaw)
          : undefined;
    const out: Record<string, unknown>[] = [];
    const iter = table.listEntities<Record<string, unknown>>(
      parts.length ? { queryOptions: { filter: parts.join(' and ') } } : {},
    );
    for await (const e of iter) {
      if (take !== undefined && out.length >= take) break;
      out.push(toWorkerEntity(e));
    }
    return out;
  } catch (e) {
    // A table that does not exist reads as nothing, as a missing blob does.
    if (statusOf(e) === 404) return rk !== undefined ? null : [];
    throw e;
  }
}

function keyOf(entity: Record<string, unknown>, pascal: string): unknown {
  const camel = pascal[0]!.toLowerCase() + pascal.slice(1);
  return entity[pascal] ?? entity[camel];
}

function keyText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export async function writeTable(b: BindingInfo, value: unknown, env: BindingEnv): Promise<void> {
  const tableName = resolved(b, 'tableName', env);
  if (!tableName) throw new HostError('BINDING_INVALID', `Binding '${b.name}': table output needs tableName`);
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  const defaultPk = resolved(b, 'partitionKey', env);
  const defaultRk = resolved(b, 'rowKey', env);
  const table = await env.clients.tableForWrite(env.account, tableName);
  for (const item of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new HostError(
        'BINDING_INVALID',
        `Binding '${b.name}': a table output value must be an entity object (or an array of them), got ${Array.isArray(item) ? 'an array' : typeof item}`,
      );
    }
    const raw = item as Record<string, unknown>;
    const pk = keyText(keyOf(raw, 'PartitionKey')) ?? defaultPk;
    const rk = keyText(keyOf(raw, 'RowKey')) ?? defaultRk;
    if (pk === undefined || rk === undefined) {
      throw new HostError(
        'BINDING_INVALID',
        `Binding '${b.name}': table entity needs PartitionKey and RowKey (in the entity or the binding's partitionKey/rowKey)`,
      );
    }
    const etag = keyOf(raw, 'ETag') ?? raw['etag'];
    const entity: TableEntity<Record<string, unknown>> = { partitionKey: pk, rowKey: rk };
    for (const [k, v] of Object.entries(raw)) {
      if (/^(partitionkey|rowkey|etag|timestamp)$/i.test(k) || v === undefined) continue;
      entity[k] = v;
    }
    if (typeof etag === 'string' && etag) {
      if (etag === '*') await table.upsertEntity(entity, 'Replace');
      else await table.updateEntity(entity, 'Replace', { etag });
    } else {
      await table.createEntity(entity);
    }
  }
}
