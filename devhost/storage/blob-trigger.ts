/**
 * One blob trigger (polling source, `LogsAndContainerScan`): the container is scanned every scan interval (and at
 * once when this host writes a blob into it), blobs matching the path pattern are handed to the function once per
 * ETag, as in Azure:
 * - A blob receipt `azure-webjobs-hosts/blobreceipts/<hostId>/Host.Functions.<function>/<etag>/<container>/<blob>`
 *   is written before the run (metadata `Incomplete=true`) and completed after it, so a blob version is processed
 *   once, across restarts; a new version (new ETag) is processed again.
 * - A failed run is retried after host.json `extensions.queues.visibilityTimeout`; after `poisonBlobThreshold`
 *   (default 5) failures a message naming the blob goes to the `webjobs-blobtrigger-poison` queue and the receipt is
 *   completed.
 *
 * Invariant: one blob version is never handed to two runs at once (runs of one trigger are sequential).
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { HostLogger } from '../host/types';
import type { BindingData, BlobPathPattern } from './binding-data';
import type { QueueClient } from './queue-client';
import { WakeableSleep } from './wakeable-sleep';

export const RECEIPTS_CONTAINER = 'azure-webjobs-hosts';
export const BLOB_POISON_QUEUE = 'webjobs-blobtrigger-poison';

export interface BlobInvocation {
  input: Buffer;
  triggerMetadata: Record<string, unknown>;
  bindingData: BindingData;
  logFields: Record<string, unknown>;
}

export interface BlobTriggerOptions {
  functionName: string;
  hostId: string;
  pattern: BlobPathPattern;
  service: BlobServiceClient;
  poison: QueueClient;
  encode: (text: string) => string;
  scanIntervalMs: number;
  retryDelayMs: number;
  poisonBlobThreshold: number;
  log: HostLogger;
  invoke: (call: BlobInvocation) => Promise<void>;
}

function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number'
    ? (e as { statusCode: number }).statusCode
    : undefined;
}

/** Receipt blob name; the ETag appears without its quotes. */
export function receiptName(
  hostId: string,
  functionName: string,
  etag: string,
  container: string,
  blobName: string,
): string {
  return `blobreceipts/${hostId}/Host.Functions.${functionName}/${etag.replace(/^"|"$/g, '')}/${container}/${blobName}`;
}

function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

export class BlobTriggerScanner {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly sleeper = new WakeableSleep();
  /** `<blob>\n<etag>` of versions whose receipt is complete (saves a receipt lookup per scan). */
  private readonly done = new Set<string>();
  /** Failed versions and when they may run again. */
  private readonly retryAt = new Map<string, number>();
  private readonly container: ContainerClient;
  private readonly receipts: ContainerClient;

  constructor(private readonly o: BlobTriggerOptions) {
    this.container = o.service.getContainerClient(o.pattern.container);
    this.receipts = o.service.getContainerClient(RECEIPTS_CONTAINER);
  }

  get containerName(): string {
    return this.o.pattern.container;
  }

  start(): void {
    this.loop = this.run();
  }

  notify(): void {
    this.sleeper.wake();
  }

  private async run(): Promise<void> {
    let receiptsReady = false;
    let lastError: string | undefined;
    while (!this.stopped) {
      try {
        if (!receiptsReady) {
          await this.receipts.createIfNotExists();
          receiptsReady = true;
        }
        await this.scan();
        lastError = undefined;
      } catch (e) {
        // Logged once per distinct error, not on every scan (e.g. while storage is down).
        if (!this.stopped && (e as Error).message !== lastError)
          this.o.log.log(
            'warning',
            `Blob scan of container '${this.o.pattern.container}' failed: ${(e as Error).message}`,
          );
        lastError = (e as Error).message;
      }
      if (!this.stopped) await this.sleeper.sleep(this.o.scanIntervalMs);
    }
  }

  private async scan(): Promise<void> {
    let iter;
    try {
      iter = this.container.listBlobsFlat({ prefix: this.o.pattern.prefix || undefined, includeMetadata: true });
      for await (const blob of iter) {
        if (this.stopped) return;
        const names = this.o.pattern.match(blob.name);
        // Listings give the ETag bare; HTTP headers (and SDK results) quote it. Keep the quoted form.
        const etag = blob.properties.etag ? quoted(blob.properties.etag) : undefined;
        if (!names || !etag) continue;
        const key = `${blob.name}\n${etag}`;
        if (this.done.has(key)) continue;
        const retry = this.retryAt.get(key);
        if (retry !== undefined && retry > Date.now()) continue;
        await this.consider(
          blob.name,
          etag,
          names,
          blob.properties as unknown as Record<string, unknown>,
          blob.metadata ?? {},
        );
      }
    } catch (e) {
      if (statusOf(e) === 404) return; // container not there yet: nothing to trigger on
      throw e;
    }
  }

  private async consider(
    name: string,
    etag: string,
    names: Record<string, string>,
    properties: Record<string, unknown>,
    metadata: Record<string, string>,
  ): Promise<void> {
    const key = `${name}\n${etag}`;
    const receipt = this.receipts.getBlockBlobClient(
      receiptName(this.o.hostId, this.o.functionName, etag, this.o.pattern.container, name),
    );
    let failures = 0;
    try {
      const props = await receipt.getProperties();
      const meta = metaValue(props.metadata ?? {});
      if ((meta('incomplete') ?? '').toLowerCase() !== 'true') {
        this.done.add(key);
        return;
      }
      failures = Number(meta('failures') ?? 0) || 0;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    await receipt.upload('', 0, { metadata: { Incomplete: 'true', Failures: String(failures) } });

    let content: Buffer;
    try {
      content = await this.container
        .getBlobClient(name)
        .downloadToBuffer(0, undefined, { conditions: { ifMatch: etag } });
    } catch (e) {
      const s = statusOf(e);
      if (s === 412 || s === 404) return; // changed or deleted since the listing: the next scan sees the new version
      throw e;
    }
    const blobTrigger = `${this.o.pattern.container}/${name}`;
    const triggerMetadata: Record<string, unknown> = {
      ...names,
      blobTrigger,
      uri: this.container.getBlobClient(name).url,
      properties: jsonSafe(properties),
      metadata,
    };
    let failed = false;
    try {
      await this.o.invoke({
        input: content,
        triggerMetadata,
        bindingData: { ...triggerMetadata },
        logFields: { blob: blobTrigger, etag },
      });
    } catch {
      failed = true; // logged by the host with the invocation id
    }
    if (!failed) {
      await receipt.setMetadata({});
      this.done.add(key);
      this.retryAt.delete(key);
      return;
    }
    failures++;
    if (failures >= this.o.poisonBlobThreshold) {
      this.o.log.log(
        'warning',
        `Blob '${blobTrigger}' failed ${failures} times (poisonBlobThreshold ${this.o.poisonBlobThreshold}); moving it to the '${BLOB_POISON_QUEUE}' queue`,
        { etag },
      );
      const message = {
        Type: 'BlobTrigger',
        FunctionId: `Host.Functions.${this.o.functionName}`,
        BlobType: 'BlockBlob',
        ContainerName: this.o.pattern.container,
        BlobName: name,
        ETag: etag,
      };
      await this.o.poison.createIfNotExists();
      await this.o.poison.sendMessage(this.o.encode(JSON.stringify(message)));
      await receipt.setMetadata({ Poisoned: 'true', Failures: String(failures) });
      this.done.add(key);
      this.retryAt.delete(key);
      return;
    }
    await receipt.setMetadata({ Incomplete: 'true', Failures: String(failures) });
    this.retryAt.set(key, Date.now() + this.o.retryDelayMs);
  }

  async stop(deadline: number): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    const rest = Math.max(0, deadline - Date.now());
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, rest).unref())]);
  }
}

/** Case-insensitive metadata lookup (metadata names are case-insensitive in Blob storage). */
function metaValue(meta: Record<string, string>): (name: string) => string | undefined {
  return (name) => Object.entries(meta).find(([k]) => k.toLowerCase() === name)?.[1];
}

/** Blob properties as JSON values (dates as ISO strings), as they reach the worker. */
function jsonSafe(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined || typeof val === 'function') continue;
    if (val instanceof Date) out[k] = val.toISOString();
    else if (Buffer.isBuffer(val) || val instanceof Uint8Array) out[k] = Buffer.from(val).toString('base64');
    else out[k] = val;
  }
  return out;
}
