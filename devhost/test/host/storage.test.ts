/**
 * Storage triggers and bindings under the real local host: queue trigger with blob and table outputs, blob/table
 * inputs and a queue output, the poison queue after maxDequeueCount, blob triggers processed once per ETag (blob
 * receipts, across a restart) and poison blobs. Storage is read back with the SDK clients (`@azure/storage-blob`,
 * `@azure/data-tables`) and the devhost's Queue REST client (`@azure/storage-queue` is not a dependency). Triggers the
 * local host does not implement are refused at start-up by name.
 *
 * Storage is an account of this file's own on the run's shared Azurite under the root's `npm test` (Azurite's own
 * lifecycle under the host is azurite.test.ts's subject); run alone, the host starts its own Azurite for the app's
 * `UseDevelopmentStorage=true`. Either way the data outlives a host restart, as Azure Storage does.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBlobPathPattern, resolveExpressions } from '../../storage/binding-data';
import { parseStorageConnectionString, resolveConnection, type StorageAccount } from '../../storage/connection';
import { queueSettings } from '../../storage/host-settings';
import { QueueClient } from '../../storage/queue-client';
import { decodeMessageText } from '../../storage/queue-trigger';
import { runHostToExit, startHostProcess, type HostProcess } from '../helpers/host';
import { DEV_KEY, sharedAzuriteAccount } from '../helpers/storage';

const APP = resolve(__dirname, 'fixtures', 'storage-app');
const READY_MS = 120_000;
const TEST_MS = 180_000;
/** The run's shared Azurite (an account of this file's own), or undefined: the host then starts its own. */
const shared = sharedAzuriteAccount();
/** What every host of this file runs with besides its own settings. */
const storageEnv: Record<string, string> = shared ? { AzureWebJobsStorage: shared.connectionString } : {};

interface Storage {
  account: StorageAccount;
  blobs: BlobServiceClient;
  table(name: string): TableClient;
  queue(name: string): QueueClient;
}

/** Clients for the host's storage: the shared account, else the Azurite the host started (ports from its log). */
function storageOf(host: HostProcess): Storage {
  const port = (service: string) => {
    const m = new RegExp(`Azurite ready in \\d+ ms .*${service}=http://127\\.0\\.0\\.1:(\\d+)`).exec(host.logs());
    if (!m) throw new Error(`no Azurite ${service} port in the host log:\n${host.logs()}`);
    return Number(m[1]);
  };
  const ep = (service: string) => `http://127.0.0.1:${port(service)}/devstoreaccount1`;
  const account = parseStorageConnectionString(
    shared?.connectionString ??
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=${ep('blob')};QueueEndpoint=${ep('queue')};TableEndpoint=${ep('table')};`,
    'test',
  );
  const name = shared?.account ?? 'devstoreaccount1';
  return {
    account,
    blobs: new BlobServiceClient(account.blobEndpoint, new StorageSharedKeyCredential(name, DEV_KEY)),
    table: (table) =>
      new TableClient(account.tableEndpoint, table, new AzureNamedKeyCredential(name, DEV_KEY), {
        allowInsecureConnection: true,
      }),
    queue: (queue) => new QueueClient(account, queue),
  };
}

/** Polls `probe` until it returns a value other than undefined (bounded; no timing is asserted). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

async function send(q: QueueClient, body: unknown): Promise<string> {
  await q.createIfNotExists();
  const m = await q.sendMessage(b64(typeof body === 'string' ? body : JSON.stringify(body)));
  return m?.messageId ?? '';
}

function lines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function tableRows(t: TableClient, partitionKey: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  try {
    for await (const e of t.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${partitionKey}'` },
    }))
      out.push(e);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return [];
    throw e;
  }
  return out;
}

describe('storage triggers and bindings', () => {
  let host: HostProcess;
  /** The host the restart test starts on `host`'s state dir. */
  let second: HostProcess | undefined;
  let storage: Storage;
  const effects = join(mkdtempSync(join(tmpdir(), 'devhost-storage-')), 'effects.ndjson');

  beforeAll(async () => {
    host = await startHostProcess({
      appDir: APP,
      env: { ...storageEnv, SIDE_EFFECT_FILE: effects },
      readyTimeoutMs: READY_MS,
    });
    storage = storageOf(host);
  }, READY_MS);

  afterAll(async () => {
    await host?.stop();
    await second?.stop();
  });

  it(
    'a queue trigger gets the base64-decoded JSON message with its metadata and writes a blob output and a table output',
    async () => {
      const messageId = await send(storage.queue('orders'), { orderId: 'A1', amount: 42 });
      const blob = storage.blobs.getContainerClient('receipts').getBlobClient('A1.json');
      const text = await eventually('receipts/A1.json', async () =>
        (await blob.exists()) ? (await blob.downloadToBuffer()).toString('utf8') : undefined,
      );
      expect(JSON.parse(text)).toEqual({
        orderId: 'A1',
        amount: 42,
        queueTrigger: JSON.stringify({ orderId: 'A1', amount: 42 }),
      });
      const entity = await storage.table('orders').getEntity<Record<string, unknown>>('orders', 'A1');
      expect(entity).toMatchObject({ amount: 42, messageId, dequeueCount: 1 });
      expect(Number.isNaN(Date.parse(String(entity['insertionTime'])))).toBe(false);
      // Processed messages are deleted.
      expect(await storage.queue('orders').peekMessages(32)).toEqual([]);
    },
    TEST_MS,
  );

  it(
    'blob and table inputs resolve {orderId} from the message; the return value goes to a queue output (base64)',
    async () => {
      await eventually('order A1 stored', async () =>
        (await tableRows(storage.table('orders'), 'orders')).some((e) => e['rowKey'] === 'A1') ? true : undefined,
      );
      await send(storage.queue('lookups'), { orderId: 'A1' });
      const results = storage.queue('lookup-results');
      const [msg] = await eventually('a lookup result', async () => {
        const ms = await results.peekMessages(1).catch(() => []);
        return ms.length ? ms : undefined;
      });
      const result = JSON.parse(unb64(msg!.messageText)) as Record<string, unknown>;
      expect(result).toMatchObject({
        blobIsBuffer: true,
        blob: { orderId: 'A1', amount: 42 },
        entity: { PartitionKey: 'orders', RowKey: 'A1', amount: 42 },
        missing: null,
      });
      expect(result['all']).toContain('A1');
    },
    TEST_MS,
  );

  it(
    'an HTTP function reads a fixed-path blob input and writes an array to a queue output as two messages',
    async () => {
      await eventually('receipts/A1.json', async () =>
        (await storage.blobs.getContainerClient('receipts').getBlobClient('A1.json').exists()) ? true : undefined,
      );
      const res = await fetch(`${host.baseUrl}/api/receipt`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ orderId: 'A1', amount: 42 });
      const ms = await storage.queue('from-http').peekMessages(32);
      expect(ms.map((m) => unb64(m.messageText))).toEqual(['first', '{"second":true}']);
    },
    TEST_MS,
  );

  it(
    'a handler that always throws is retried with a growing dequeueCount, then moved to <queue>-poison after maxDequeueCount (5)',
    async () => {
      await send(storage.queue('doomed'), 'boom');
      const poison = storage.queue('doomed-poison');
      const [moved] = await eventually('doomed-poison message', async () => {
        const ms = await poison.peekMessages(1).catch(() => []);
        return ms.length ? ms : undefined;
      });
      expect(unb64(moved!.messageText)).toBe('boom');
      const attempts = lines(effects).filter((l) => l['fn'] === 'alwaysFails');
      expect(attempts.map((a) => a['dequeueCount'])).toEqual([1, 2, 3, 4, 5]);
      expect(attempts.every((a) => a['msg'] === 'boom')).toBe(true);
      expect(await storage.queue('doomed').peekMessages(32)).toEqual([]);
      expect(host.logs()).toMatch(/Message has reached MaxDequeueCount of 5\. Moving message to queue 'doomed-poison'/);
    },
    TEST_MS,
  );

  it(
    'a message that is not base64 goes to the poison queue without running the function',
    async () => {
      const q = storage.queue('orders');
      await q.sendMessage('not base64!');
      const poison = storage.queue('orders-poison');
      const [moved] = await eventually('orders-poison message', async () => {
        const ms = await poison.peekMessages(1).catch(() => []);
        return ms.length ? ms : undefined;
      });
      expect(moved!.messageText).toBe('not base64!');
    },
    TEST_MS,
  );

  it(
    'a blob trigger fails 5 times on one blob, which then goes to webjobs-blobtrigger-poison',
    async () => {
      const c = storage.blobs.getContainerClient('badblobs');
      await c.createIfNotExists();
      const up = await c.getBlockBlobClient('broken.bin').upload('x', 1);
      const poison = storage.queue('webjobs-blobtrigger-poison');
      const [msg] = await eventually('blob poison message', async () => {
        const ms = await poison.peekMessages(1).catch(() => []);
        return ms.length ? ms : undefined;
      });
      expect(JSON.parse(unb64(msg!.messageText))).toEqual({
        Type: 'BlobTrigger',
        FunctionId: 'Host.Functions.badBlob',
        BlobType: 'BlockBlob',
        ContainerName: 'badblobs',
        BlobName: 'broken.bin',
        ETag: up.etag,
      });
      expect(lines(effects).filter((l) => l['fn'] === 'badBlob')).toHaveLength(5);
    },
    TEST_MS,
  );

  // Last in this describe: it stops the describe's host (its first host; no listener runs on 'crashq' there) and
  // restarts it on the same state dir with a 'crashq' listener. Blobs, tables and queues it uses are its own.
  it(
    'processes a blob once per ETag: not again after a host restart, again when it is overwritten; a message dequeued more than maxDequeueCount times before the restart goes to the poison queue unrun',
    async () => {
      const first = host;
      const runs = () => storage.table('blobruns');
      const uploads = () => storage.blobs.getContainerClient('uploads');
      try {
        await uploads().createIfNotExists();
        const v1 = await uploads().getBlockBlobClient('a.txt').upload('version 1', 9);
        await uploads().getBlockBlobClient('skip.json').upload('{}', 2); // does not match uploads/{name}.txt
        const [run] = await eventually('a run for a.txt', async () => {
          const rows = await tableRows(runs(), 'a');
          return rows.length ? rows : undefined;
        });
        expect(run).toMatchObject({ content: 'version 1', isBuffer: true, blobTrigger: 'uploads/a.txt' });
        const receipts: string[] = [];
        for await (const b of storage.blobs
          .getContainerClient('azure-webjobs-hosts')
          .listBlobsFlat({ prefix: 'blobreceipts/' }))
          receipts.push(b.name);
        expect(receipts).toContain(
          `blobreceipts/storage-app/Host.Functions.onUpload/${(v1.etag ?? '').replace(/"/g, '')}/uploads/a.txt`,
        );

        // A consumer that fetched this message 6 times and never finished (no listener runs on 'crashq' yet).
        const crashq = storage.queue('crashq');
        await send(crashq, 'half-done');
        for (let i = 0; i < 6; i++) {
          const [m] = await eventually('the crashq message visible', async () => {
            const ms = await crashq.receiveMessages(1, 1);
            return ms.length ? ms : undefined;
          });
          await crashq.updateVisibility(m!.messageId, m!.popReceipt, 0);
        }
        expect((await crashq.peekMessages(1))[0]?.dequeueCount).toBe(6);
      } finally {
        expect(await first.stop()).toBe(0);
      }

      const restarted = await startHostProcess({
        appDir: APP,
        stateDir: first.stateDir,
        env: { ...storageEnv, SIDE_EFFECT_FILE: effects, CRASH_QUEUE: 'crashq' },
        readyTimeoutMs: READY_MS,
      });
      second = restarted;
      storage = storageOf(restarted);
      try {
        // b.txt lists after a.txt, so once b.txt has run, a scan has passed a.txt since the restart.
        await uploads().getBlockBlobClient('b.txt').upload('other', 5);
        await eventually('a run for b.txt', async () => ((await tableRows(runs(), 'b')).length ? true : undefined));
        expect(await tableRows(runs(), 'a')).toHaveLength(1);

        await uploads().getBlockBlobClient('a.txt').upload('version 2', 9);
        const rows = await eventually('a second run for a.txt', async () => {
          const r = await tableRows(runs(), 'a');
          return r.length >= 2 ? r : undefined;
        });
        expect(rows.map((r) => r['content']).sort()).toEqual(['version 1', 'version 2']);
        expect(await tableRows(runs(), 'skip')).toHaveLength(0);

        const [poisoned] = await eventually('crashq-poison message', async () => {
          const ms = await storage
            .queue('crashq-poison')
            .peekMessages(1)
            .catch(() => []);
          return ms.length ? ms : undefined;
        });
        expect(unb64(poisoned!.messageText)).toBe('half-done');
        expect(lines(effects).filter((l) => l['fn'] === 'crashRecovery')).toEqual([]);
        expect(restarted.logs()).toMatch(
          /Message has been dequeued 7 times, more than MaxDequeueCount of 5\. Moving message to queue 'crashq-poison'/,
        );
      } finally {
        expect(await restarted.stop()).toBe(0);
      }
    },
    2 * TEST_MS,
  );
});

describe('triggers outside the local host', () => {
  it(
    'refuses Cosmos DB, Event Hubs, SQL and MCP triggers and Event Grid blob triggers at start-up, by name',
    async () => {
      const { code, output } = await runHostToExit({
        appDir: APP,
        env: { STORAGE_APP_MODE: 'refused' },
        args: ['--no-azurite'],
        timeoutMs: 60_000,
      });
      expect(code).toBe(1);
      expect(output).not.toContain('Host started');
      expect(output).toMatch(
        /Function "cosmosWatcher": trigger type "cosmosDBTrigger" is not supported by the local host/,
      );
      expect(output).toMatch(/Function "hubReader": trigger type "eventHubTrigger" is not supported by the local host/);
      expect(output).toMatch(/Function "sqlWatcher": trigger type "sqlTrigger" is not supported by the local host/);
      expect(output).toMatch(/Function "mcpTool": trigger type "mcpToolTrigger" is not supported by the local host/);
      expect(output).toMatch(/Function "gridBlob": blobTrigger: source 'EventGrid' is not supported by the local host/);
      expect(output).toMatch(
        /Function "blobByRoute": input binding '\w+' \(blob\): binding expression\(s\) \{id\} need trigger data/,
      );
    },
    TEST_MS,
  );
});

describe('storage binding pieces', () => {
  it('blob path patterns match names (across folders) and give the literal prefix for listing', () => {
    const p = parseBlobPathPattern('uploads/in/{name}.txt');
    expect(p.container).toBe('uploads');
    expect(p.prefix).toBe('in/');
    expect(p.match('in/report.txt')).toEqual({ name: 'report' });
    expect(p.match('in/2024/report.txt')).toEqual({ name: '2024/report' });
    expect(p.match('in/report.csv')).toBeUndefined();
    expect(parseBlobPathPattern('samples').match('any/thing')).toEqual({});
    expect(() => parseBlobPathPattern('{c}/x')).toThrow(/literal container name/);
  });

  it('binding expressions resolve from binding data, system values and escaped braces; a missing one names itself', () => {
    const data = { orderId: 'A1', queueTrigger: 'raw', customer: { id: 7 } };
    expect(resolveExpressions('r/{orderId}-{customer.id}-{{x}}', data, 'b')).toBe('r/A1-7-{x}');
    expect(resolveExpressions('{rand-guid}', {}, 'b')).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => resolveExpressions('r/{nope}.json', data, "Binding 'x'")).toThrow(
      /Binding 'x': binding expression '\{nope\}' has no value/,
    );
  });

  it('host.json queue settings: documented defaults, and a bad value is refused naming the setting', () => {
    expect(queueSettings({}, 2)).toEqual({
      batchSize: 16,
      newBatchThreshold: 16,
      maxPollingIntervalMs: 60_000,
      visibilityTimeoutMs: 0,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
    });
    expect(
      queueSettings(
        {
          extensions: { queues: { maxPollingInterval: 2000, visibilityTimeout: '00:00:30', messageEncoding: 'none' } },
        },
        2,
      ),
    ).toMatchObject({ maxPollingIntervalMs: 2000, visibilityTimeoutMs: 30_000, messageEncoding: 'none' });
    expect(() => queueSettings({ extensions: { queues: { batchSize: 64 } } })).toThrow(/extensions\.queues\.batchSize/);
  });

  it('base64 message text decodes; text that is not base64 does not', () => {
    expect(decodeMessageText(b64('héllo'), 'base64')).toBe('héllo');
    expect(decodeMessageText('not base64!', 'base64')).toBeUndefined();
    expect(decodeMessageText('plain', 'none')).toBe('plain');
  });

  it('connections: the setting, else AzureWebJobs<name>; a missing one is named without echoing any value', () => {
    const env = { AzureWebJobsMyStore: 'UseDevelopmentStorage=true', Broken: 'AccountName=x;AccountKey=' };
    expect(resolveConnection('MyStore', env).setting).toBe('AzureWebJobsMyStore');
    expect(() => resolveConnection('Nope', env)).toThrow(/Storage connection setting 'Nope' is not set/);
    expect(() => resolveConnection('Broken', env)).toThrow(
      /App setting 'Broken' is not a usable storage connection string/,
    );
  });
});
