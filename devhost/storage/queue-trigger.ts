/**
 * One queue trigger's listener, with the documented Functions semantics:
 * - Messages are fetched `batchSize` at a time with a 10-minute visibility timeout (renewed every 5 minutes while
 *   the handler runs); another batch is fetched once at most `newBatchThreshold` messages are still running.
 * - An empty queue is polled with randomized exponential back-off from 100 ms up to `maxPollingInterval`; a message
 *   this host writes to the queue (an output binding) wakes the listener at once.
 * - Success deletes the message. Failure makes it visible again after `visibilityTimeout`; when it has been
 *   dequeued `maxDequeueCount` times it is copied to `<queue>-poison` and deleted. A message already dequeued more
 *   often than that (a crash mid-run) goes to the poison queue before the handler sees it again.
 * - `messageEncoding: base64` (default): text that is not base64 cannot be decoded and goes to the poison queue.
 *
 * Invariant: a message is deleted or released only with the pop receipt of its latest visibility update.
 */
import type { HostLogger } from '../host/types';
import type { BindingData } from './binding-data';
import { tryJson } from './binding-data';
import type { QueueSettings } from './host-settings';
import { QueueRequestError, type QueueClient, type QueueMessage } from './queue-client';
import { WakeableSleep } from './wakeable-sleep';

const LEASE_SEC = 600;
const RENEW_MS = LEASE_SEC * 500;
const MIN_POLL_MS = 100;

export interface QueueInvocation {
  input: unknown;
  triggerMetadata: Record<string, unknown>;
  bindingData: BindingData;
  logFields: Record<string, unknown>;
}

export function decodeMessageText(raw: string, encoding: 'base64' | 'none'): string | undefined {
  if (encoding === 'none') return raw;
  const compact = raw.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.toString('base64') !== compact) return undefined;
  return bytes.toString('utf8');
}

export function encodeMessageText(text: string | Buffer, encoding: 'base64' | 'none'): string {
  if (encoding === 'none') return Buffer.isBuffer(text) ? text.toString('utf8') : text;
  return (Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')).toString('base64');
}

/** What the handler gets for a decoded message: the value, trigger metadata and binding data. */
export function queueInvocation(m: QueueMessage, text: string): QueueInvocation {
  const input = tryJson(text);
  const triggerMetadata: Record<string, unknown> = {
    queueTrigger: text,
    id: m.messageId,
    dequeueCount: m.dequeueCount,
    insertionTime: m.insertionTime.toISOString(),
    expirationTime: m.expirationTime.toISOString(),
    nextVisibleTime: m.nextVisibleTime.toISOString(),
    popReceipt: m.popReceipt,
  };
  const payload =
    typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  return {
    input,
    triggerMetadata,
    bindingData: { ...payload, ...triggerMetadata },
    logFields: { messageId: m.messageId, dequeueCount: m.dequeueCount },
  };
}

export class QueueListener {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly sleeper = new WakeableSleep();
  private delayMs = MIN_POLL_MS;
  private warnedMissing = false;
  private lastError: string | undefined;

  constructor(
    private readonly queue: QueueClient,
    private readonly poison: QueueClient,
    private readonly settings: QueueSettings,
    private readonly log: HostLogger,
    private readonly invoke: (call: QueueInvocation) => Promise<void>,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** A message was just written to this queue by this host: poll now. */
  notify(): void {
    this.delayMs = MIN_POLL_MS;
    this.sleeper.wake();
  }

  private nextEmptyDelay(): number {
    // Randomized exponential back-off, as the WebJobs SDK's RandomizedExponentialBackoffStrategy.
    const next = Math.min(this.settings.maxPollingIntervalMs, this.delayMs * 2);
    this.delayMs = next;
    return Math.max(MIN_POLL_MS, Math.round(next * (0.8 + Math.random() * 0.2)));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.inflight.size > this.settings.newBatchThreshold) {
        await Promise.race([...this.inflight, this.sleeper.sleep(this.settings.maxPollingIntervalMs)]);
        continue;
      }
      let batch: QueueMessage[];
      try {
        batch = await this.queue.receiveMessages(this.settings.batchSize, LEASE_SEC);
        this.warnedMissing = false;
        this.lastError = undefined;
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof QueueRequestError && e.status === 404) {
          // As in Azure, a missing queue is polled like an empty one (it is not created by the trigger).
          if (!this.warnedMissing)
            this.log.log('debug', `Queue '${this.queue.name}' does not exist yet; polling until it does`);
          this.warnedMissing = true;
        } else if ((e as Error).message !== this.lastError) {
          // Logged once per distinct error, not on every poll (e.g. while storage is down).
          this.log.log('warning', `Queue '${this.queue.name}' could not be read: ${(e as Error).message}`);
        }
        this.lastError = (e as Error).message;
        await this.sleeper.sleep(this.nextEmptyDelay());
        continue;
      }
      if (this.stopped) {
        // Fetched during shutdown: give the messages back at once.
        await Promise.all(batch.map((m) => this.release(m, m.popReceipt, 0)));
        return;
      }
      if (batch.length === 0) {
        await this.sleeper.sleep(this.nextEmptyDelay());
        continue;
      }
      this.delayMs = MIN_POLL_MS;
      for (const m of batch) {
        const p = this.handle(m).finally(() => this.inflight.delete(p));
        this.inflight.add(p);
      }
    }
  }

  private async handle(m: QueueMessage): Promise<void> {
    if (m.dequeueCount > this.settings.maxDequeueCount) {
      await this.toPoison(
        m,
        m.popReceipt,
        `Message has been dequeued ${m.dequeueCount} times, more than MaxDequeueCount of ${this.settings.maxDequeueCount}`,
      );
      return;
    }
    const text = decodeMessageText(m.messageText, this.settings.messageEncoding);
    if (text === undefined) {
      await this.toPoison(
        m,
        m.popReceipt,
        `Message is not valid base64 (host.json extensions.queues.messageEncoding is 'base64'); it cannot be processed`,
      );
      return;
    }
    let popReceipt = m.popReceipt;
    // Keep the message hidden while the handler runs longer than half the lease.
    const renew = setInterval(() => {
      this.queue.updateVisibility(m.messageId, popReceipt, LEASE_SEC).then(
        (r) => (popReceipt = r.popReceipt),
        (e: unknown) =>
          this.log.log('warning', `Could not extend the visibility of message ${m.messageId}: ${(e as Error).message}`),
      );
    }, RENEW_MS);
    renew.unref();
    let failed = false;
    try {
      await this.invoke(queueInvocation(m, text));
    } catch {
      failed = true; // the host logged the failure with the invocation id
    } finally {
      clearInterval(renew);
    }
    if (!failed) {
      await this.settle(() => this.queue.deleteMessage(m.messageId, popReceipt), m, 'delete');
      return;
    }
    if (m.dequeueCount >= this.settings.maxDequeueCount) {
      await this.toPoison(m, popReceipt, `Message has reached MaxDequeueCount of ${this.settings.maxDequeueCount}`);
      return;
    }
    await this.release(m, popReceipt, this.settings.visibilityTimeoutMs / 1000);
  }

  private async release(m: QueueMessage, popReceipt: string, visibilitySec: number): Promise<void> {
    await this.settle(
      () => this.queue.updateVisibility(m.messageId, popReceipt, visibilitySec).then(() => undefined),
      m,
      'release',
    );
  }

  private async toPoison(m: QueueMessage, popReceipt: string, why: string): Promise<void> {
    this.log.log('warning', `${why}. Moving message to queue '${this.poison.name}'.`, {
      messageId: m.messageId,
      dequeueCount: m.dequeueCount,
    });
    await this.settle(
      async () => {
        await this.poison.createIfNotExists();
        await this.poison.sendMessage(m.messageText);
        await this.queue.deleteMessage(m.messageId, popReceipt);
      },
      m,
      'move to the poison queue',
    );
  }

  private async settle(op: () => Promise<void>, m: QueueMessage, what: string): Promise<void> {
    try {
      await op();
    } catch (e) {
      this.log.log(
        'warning',
        `Queue '${this.queue.name}': could not ${what} message ${m.messageId} (it becomes visible again when its lease ends): ${(e as Error).message}`,
      );
    }
  }

  async stop(deadline: number): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    const rest = Math.max(0, deadline - Date.now());
    await Promise.race([Promise.all([this.loop, ...this.inflight]), new Promise((r) => setTimeout(r, rest).unref())]);
  }
}
