/**
 * Azure Storage triggers and bindings for the local host, over Azurite (or any storage account a connection
 * string names): `queueTrigger` (app.storageQueue), `blobTrigger` (app.storageBlob, polling source), inputs
 * `blob` and `table`, outputs `blob`, `table` and `queue`.
 *
 * - `connection` names an app setting with a connection string (also tried as `AzureWebJobs<connection>`);
 *   absent means `AzureWebJobsStorage`. Identity-based connections are refused at start-up.
 * - Binding expressions (`{queueTrigger}`, `{name}`, message properties, `{rand-guid}`, `{DateTime}`) resolve
 *   against the binding data of the storage trigger that started the invocation (carried through an
 *   AsyncLocalStorage, since the extension contract hands inputs/outputs no trigger data). Functions started by
 *   other triggers may use only `%Setting%` and the system expressions; others are refused at start-up.
 * - Blob triggers with `source: 'EventGrid'` are refused (no Event Grid locally).
 *
 * Invariant: every storage binding's connection and required options are checked before any trigger starts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { basename } from 'node:path';
import { hostSetting } from '../host/setting-names';
import {
  HostError,
  type BindingInfo,
  type HostContext,
  type HostExtension,
  type RegisteredFunction,
} from '../host/types';
import { expressionNames, isSystemExpression, parseBlobPathPattern, type BindingData } from './binding-data';
import { readBlob, readTable, writeBlob, writeQueue, writeTable, type BindingEnv } from './bindings';
import { BLOB_POISON_QUEUE, BlobTriggerScanner } from './blob-trigger';
import { StorageClients } from './clients';
import { connectionName, resolveConnection } from './connection';
import { blobSettings, queueSettings, type QueueSettings } from './host-settings';
import { encodeMessageText, QueueListener } from './queue-trigger';

export interface StorageExtension extends HostExtension {
  /** The host id used in blob receipt paths. */
  hostId(host: HostContext): string;
}

const TRIGGERS = ['queuetrigger', 'blobtrigger'];
const INPUTS = ['blob', 'table'];
const OUTPUTS = ['blob', 'table', 'queue'];

const bindingData = new AsyncLocalStorage<BindingData>();

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function isStorageTrigger(fn: RegisteredFunction): boolean {
  return TRIGGERS.includes(fn.trigger.type.toLowerCase());
}

function storageBindings(fn: RegisteredFunction): BindingInfo[] {
  const out: BindingInfo[] = [];
  if (isStorageTrigger(fn)) out.push(fn.trigger);
  for (const b of fn.inputs) if (INPUTS.includes(b.type.toLowerCase())) out.push(b);
  for (const b of [...fn.outputs, ...(fn.returnBinding ? [fn.returnBinding] : [])])
    if (OUTPUTS.includes(b.type.toLowerCase())) out.push(b);
  return out;
}

/** Queue names: lower-cased, then 3-63 of [a-z0-9-], no leading/trailing/double hyphen (as the extension checks). */
export function normalizeQueueName(name: string): string {
  const n = name.toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(n)) {
    throw new Error(
      `invalid queue name '${name}': 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit`,
    );
  }
  return n;
}

/** Host id for receipts: `AzureFunctionsWebHost__hostid`, else the app folder's name (lower-case, [a-z0-9-], 32 chars). */
function deriveHostId(host: HostContext): string {
  const configured = str(host.settings['AzureFunctionsWebHost__hostid']);
  const base = (configured ?? basename(host.appDir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (base || 'localhost').slice(0, 32).replace(/-+$/, '');
}

function scanIntervalMs(host: HostContext): number {
  const raw = hostSetting(host.settings, 'BLOB_SCAN_INTERVAL_MS');
  if (raw === undefined || raw.trim() === '') return 1000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100)
    throw new HostError(
      'HOST_CONFIG_INVALID',
      `DEVHOST_BLOB_SCAN_INTERVAL_MS must be an integer of at least 100 (milliseconds), found '${raw}'`,
    );
  return n;
}

export function createStorageExtension(): StorageExtension {
  const clients = new StorageClients();
  const queueListeners = new Map<string, QueueListener[]>();
  const blobScanners = new Map<string, BlobTriggerScanner[]>();
  let qs: QueueSettings | undefined;

  const settingsOf = (host: HostContext): QueueSettings => (qs ??= queueSettings(host.hostJson));

  const envFor = (b: BindingInfo, fn: RegisteredFunction, host: HostContext): BindingEnv => ({
    account: resolveConnection(b['connection'], host.settings),
    clients,
    data: bindingData.getStore() ?? {},
    functionName: fn.name,
    resolveSetting: (v) => host.resolveSetting(v),
  });

  function validateBinding(b: BindingInfo, fn: RegisteredFunction, host: HostContext): string | undefined {
    const type = b.type.toLowerCase();
    const label =
      b === fn.trigger ? `${b.type}` : `${b.direction === 'in' ? 'input' : 'output'} binding '${b.name}' (${b.type})`;
    try {
      resolveConnection(b['connection'], host.settings);
    } catch (e) {
      return `${label}: ${(e as Error).message}`;
    }
    const required: Record<string, string> = {
      queuetrigger: 'queueName',
      queue: 'queueName',
      blobtrigger: 'path',
      blob: 'path',
      table: 'tableName',
    };
    const key = required[type];
    if (key && !str(b[key])) return `${label} needs "${key}"`;
    const options = ['path', 'queueName', 'tableName', 'partitionKey', 'rowKey', 'filter'].filter(
      (k) => str(b[k]) !== undefined,
    );
    const values: Record<string, string> = {};
    try {
      for (const k of options) values[k] = host.resolveSetting(str(b[k]) ?? '');
    } catch (e) {
      return `${label}: ${(e as Error).message}`;
    }
    if (type === 'queuetrigger') {
      if (expressionNames(values['queueName'] ?? '').length)
        return `${label}: queueName '${values['queueName']}' cannot contain binding expressions`;
      try {
        normalizeQueueName(values['queueName'] ?? '');
      } catch (e) {
        return `${label}: ${(e as Error).message}`;
      }
      return undefined;
    }
    if (type === 'blobtrigger') {
      const source = str(b['source']);
      if (source && source.toLowerCase() === 'eventgrid') {
        return `${label}: source 'EventGrid' is not supported by the local host (there is no Event Grid locally); remove "source" to use the polling blob trigger (LogsAndContainerScan)`;
      }
      if (source && source.toLowerCase() !== 'logsandcontainerscan')
        return `${label}: unknown source '${source}' (expected 'LogsAndContainerScan' or 'EventGrid')`;
      try {
        parseBlobPathPattern(values['path'] ?? '');
      } catch (e) {
        return `${label}: ${(e as Error).message}`;
      }
      return undefined;
    }
    if (type === 'table' && b.direction === 'in' && str(b['rowKey']) && (str(b['filter']) || b['take'] !== undefined)) {
      return `${label}: rowKey cannot be combined with take or filter`;
    }
    if (!isStorageTrigger(fn)) {
      const dynamic = Object.values(values)
        .flatMap(expressionNames)
        .filter((n) => !isSystemExpression(n));
      if (dynamic.length) {
        return `${label}: binding expression(s) ${dynamic.map((n) => `{${n}}`).join(', ')} need trigger data, which the local host provides only to storage-triggered functions (a ${fn.trigger.type} function may use %Setting%, {rand-guid} and {DateTime})`;
      }
    }
    return undefined;
  }

  const notifyQueue = (cs: string, queue: string) => {
    for (const l of queueListeners.get(`${cs}\n${queue}`) ?? []) l.notify();
  };
  const notifyContainer = (cs: string, container: string) => {
    for (const s of blobScanners.get(`${cs}\n${container}`) ?? []) s.notify();
  };

  return {
    name: 'storage',
    triggerTypes: ['queueTrigger', 'blobTrigger'],
    // Azure ignores function-level retry for queue and blob triggers: the dequeue count / poison threshold is the retry.
    retryPolicies: 'ignored',
    inputTypes: ['blob', 'table'],
    outputTypes: ['blob', 'table', 'queue'],

    hostId: deriveHostId,

    validate(fn, host) {
      try {
        settingsOf(host);
        blobSettings(host.hostJson);
        if (fn.trigger.type.toLowerCase() === 'blobtrigger') scanIntervalMs(host);
      } catch (e) {
        return (e as Error).message;
      }
      for (const b of storageBindings(fn)) {
        const problem = validateBinding(b, fn, host);
        if (problem) return problem;
      }
      return undefined;
    },

    async start(host) {
      const settings = settingsOf(host);
      const blobs = blobSettings(host.hostJson);
      const hostId = deriveHostId(host);
      for (const fn of host.functions) {
        const type = fn.trigger.type.toLowerCase();
        if (!TRIGGERS.includes(type)) continue;
        const account = resolveConnection(fn.trigger['connection'], host.settings);
        const log = host.logger.child({ function: fn.name, trigger: fn.trigger.type });
        if (type === 'queuetrigger') {
          const name = normalizeQueueName(host.resolveSetting(str(fn.trigger['queueName']) ?? ''));
          const listener = new QueueListener(
            clients.queue(account, name),
            clients.queue(account, `${name}-poison`),
            settings,
            log,
            async (call) => {
              await bindingData.run(call.bindingData, () =>
                host.invoke(fn, call.input, { triggerMetadata: call.triggerMetadata, logFields: call.logFields }),
              );
            },
          );
          const key = `${account.connectionString}\n${name}`;
          queueListeners.set(key, [...(queueListeners.get(key) ?? []), listener]);
          listener.start();
        } else {
          const pattern = parseBlobPathPattern(host.resolveSetting(str(fn.trigger['path']) ?? ''));
          const scanner = new BlobTriggerScanner({
            functionName: fn.name,
            hostId,
            pattern,
            service: clients.blobService(account),
            poison: clients.queue(account, BLOB_POISON_QUEUE),
            encode: (text) => encodeMessageText(text, settings.messageEncoding),
            scanIntervalMs: scanIntervalMs(host),
            retryDelayMs: settings.visibilityTimeoutMs,
            poisonBlobThreshold: blobs.poisonBlobThreshold,
            log,
            invoke: async (call) => {
              const value =
                str(fn.trigger['dataType'])?.toLowerCase() === 'string' ? call.input.toString('utf8') : call.input;
              await bindingData.run(call.bindingData, () =>
                host.invoke(fn, value, { triggerMetadata: call.triggerMetadata, logFields: call.logFields }),
              );
            },
          });
          const key = `${account.connectionString}\n${pattern.container}`;
          blobScanners.set(key, [...(blobScanners.get(key) ?? []), scanner]);
          scanner.start();
        }
      }
    },

    async resolveInput(binding, fn, host) {
      const env = envFor(binding, fn, host);
      return binding.type.toLowerCase() === 'blob' ? readBlob(binding, env) : readTable(binding, env);
    },

    async handleOutput(binding, value, fn, host) {
      if (value === undefined || value === null) return;
      const env = envFor(binding, fn, host);
      const type = binding.type.toLowerCase();
      if (type === 'blob') notifyContainer(env.account.connectionString, await writeBlob(binding, value, env));
      else if (type === 'queue')
        notifyQueue(
          env.account.connectionString,
          await writeQueue(binding, value, env, settingsOf(host).messageEncoding),
        );
      else await writeTable(binding, value, env);
    },

    describe(fn, host) {
      const conn = connectionName(fn.trigger['connection']);
      if (fn.trigger.type.toLowerCase() === 'queuetrigger')
        return `${fn.name}: queueTrigger (queue '${host.resolveSetting(str(fn.trigger['queueName']) ?? '').toLowerCase()}', connection ${conn})`;
      return `${fn.name}: blobTrigger (path '${host.resolveSetting(str(fn.trigger['path']) ?? '')}', connection ${conn})`;
    },

    async stop(deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      await Promise.all([
        ...[...queueListeners.values()].flat().map((l) => l.stop(deadline)),
        ...[...blobScanners.values()].flat().map((s) => s.stop(deadline)),
      ]);
      queueListeners.clear();
      blobScanners.clear();
    },
  };
}
