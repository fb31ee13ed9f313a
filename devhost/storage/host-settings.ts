/**
 * host.json `extensions.queues` and `extensions.blobs`, validated with the documented ranges and defaults
 * (Microsoft.Azure.WebJobs.Extensions.Storage.Queues/Blobs 5.x).
 */
import { cpus } from 'node:os';
import { z } from 'zod';
import { getHostSetting, parseTimeSpan } from '../host/settings';
import { HostError } from '../host/types';

export interface QueueSettings {
  batchSize: number;
  newBatchThreshold: number;
  /** Upper bound of the empty-queue polling back-off (ms); at least 100. */
  maxPollingIntervalMs: number;
  /** Visibility a failed message gets before its next attempt (ms). */
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface BlobSettings {
  /** Failures of one blob version before it goes to the poison queue. */
  poisonBlobThreshold: number;
}

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseTimeSpan(v);
  if (ms === undefined || ms < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a TimeSpan such as "00:00:30" or milliseconds (found ${JSON.stringify(v)})`,
    });
    return z.NEVER;
  }
  return ms;
});

const queuesSchema = z
  .object({
    batchSize: z.number().int().min(1).max(32).optional(),
    newBatchThreshold: z.number().int().min(0).optional(),
    maxPollingInterval: duration.optional(),
    visibilityTimeout: duration.optional(),
    maxDequeueCount: z.number().int().min(1).optional(),
    messageEncoding: z.enum(['base64', 'none', 'Base64', 'None']).optional(),
  })
  .passthrough();

const blobsSchema = z.object({ poisonBlobThreshold: z.number().int().min(1).optional() }).passthrough();

function lowerKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const canon = [
    'batchSize',
    'newBatchThreshold',
    'maxPollingInterval',
    'visibilityTimeout',
    'maxDequeueCount',
    'messageEncoding',
    'poisonBlobThreshold',
  ];
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>))
    out[canon.find((c) => c.toLowerCase() === k.toLowerCase()) ?? k] = val;
  return out;
}

function fail(section: string, error: z.ZodError): never {
  const issue = error.issues[0];
  throw new HostError(
    'HOST_CONFIG_INVALID',
    `host.json "extensions.${section}.${issue?.path.join('.') ?? ''}" ${issue?.message ?? 'is invalid'}`,
  );
}

export function queueSettings(hostJson: Record<string, unknown>, processorCount = cpus().length): QueueSettings {
  const parsed = queuesSchema.safeParse(lowerKeys(getHostSetting(hostJson, 'extensions.queues') ?? {}));
  if (!parsed.success) fail('queues', parsed.error);
  const q = parsed.data;
  const batchSize = q.batchSize ?? 16;
  return {
    batchSize,
    newBatchThreshold: q.newBatchThreshold ?? Math.floor((processorCount * batchSize) / 2),
    maxPollingIntervalMs: Math.max(100, q.maxPollingInterval ?? 60_000),
    visibilityTimeoutMs: q.visibilityTimeout ?? 0,
    maxDequeueCount: q.maxDequeueCount ?? 5,
    messageEncoding: (q.messageEncoding ?? 'base64').toLowerCase() as 'base64' | 'none',
  };
}

export function blobSettings(hostJson: Record<string, unknown>): BlobSettings {
  const parsed = blobsSchema.safeParse(lowerKeys(getHostSetting(hostJson, 'extensions.blobs') ?? {}));
  if (!parsed.success) fail('blobs', parsed.error);
  return { poisonBlobThreshold: parsed.data.poisonBlobThreshold ?? 5 };
}
