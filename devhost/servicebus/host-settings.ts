/**
 * `host.json` extensions.serviceBus settings (Functions v4 / extension 5.x names) and connection settings.
 */
import { z } from 'zod';

/** .NET TimeSpan "hh:mm:ss(.fff)" or "d.hh:mm:ss" → ms. */
export function parseTimeSpan(text: string, where: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`${where}: "${text}" is not a TimeSpan (expected hh:mm:ss, e.g. 00:05:00)`);
  const [, d, h, mi, s, frac] = m;
  return (
    ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(mi)) * 60_000 +
    Number(s) * 1000 +
    (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0)
  );
}

const schema = z
  .object({
    prefetchCount: z.number().int().min(0).optional(),
    autoCompleteMessages: z.boolean().optional(),
    maxAutoLockRenewalDuration: z.string().optional(),
    maxConcurrentCalls: z.number().int().min(1).optional(),
    maxMessageBatchSize: z.number().int().min(1).optional(),
    maxConcurrentSessions: z.number().int().min(1).optional(),
    sessionIdleTimeout: z.string().optional(),
  })
  .loose();

export interface TriggerSettings {
  prefetchCount: number;
  autoCompleteMessages: boolean;
  maxAutoLockRenewalDurationMs: number;
  maxConcurrentCalls: number;
  maxMessageBatchSize: number;
  /** Session triggers: sessions processed at once (one message at a time within each). */
  maxConcurrentSessions: number;
  /** Session triggers: how long a session with no new message is kept before the next one is accepted. */
  sessionIdleTimeoutMs: number;
}

/** Defaults as documented for the Service Bus extension 5.x (maxConcurrentCalls 16 per core). */
export function triggerSettings(hostJson: Record<string, unknown>, cores: number): TriggerSettings {
  const ext = (hostJson['extensions'] as Record<string, unknown> | undefined)?.['serviceBus'] ?? {};
  const parsed = schema.safeParse(ext);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`host.json extensions.serviceBus.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const s = parsed.data;
  return {
    prefetchCount: s.prefetchCount ?? 0,
    autoCompleteMessages: s.autoCompleteMessages ?? true,
    maxAutoLockRenewalDurationMs: s.maxAutoLockRenewalDuration
      ? parseTimeSpan(s.maxAutoLockRenewalDuration, 'host.json extensions.serviceBus.maxAutoLockRenewalDuration')
      : 5 * 60_000,
    maxConcurrentCalls: s.maxConcurrentCalls ?? 16 * Math.max(1, cores),
    maxMessageBatchSize: s.maxMessageBatchSize ?? 1000,
    maxConcurrentSessions: s.maxConcurrentSessions ?? 8,
    // Unset on Azure means the client's try timeout (1 min).
    sessionIdleTimeoutMs: s.sessionIdleTimeout
      ? parseTimeSpan(s.sessionIdleTimeout, 'host.json extensions.serviceBus.sessionIdleTimeout')
      : 60_000,
  };
}

export interface ParsedConnectionString {
  endpointHost: string;
  port: number | undefined;
  keyName: string | undefined;
  key: string | undefined;
  emulator: boolean;
}

export function parseConnectionString(cs: string): ParsedConnectionString {
  const parts = new Map<string, string>();
  for (const seg of cs.split(';')) {
    const i = seg.indexOf('=');
    if (i > 0) parts.set(seg.slice(0, i).trim().toLowerCase(), seg.slice(i + 1).trim());
  }
  const endpoint = parts.get('endpoint') ?? '';
  const m = /^sb:\/\/([^/:]+)(?::(\d+))?/i.exec(endpoint);
  return {
    endpointHost: m?.[1] ?? '',
    port: m?.[2] ? Number(m[2]) : undefined,
    keyName: parts.get('sharedaccesskeyname'),
    key: parts.get('sharedaccesskey'),
    emulator: (parts.get('usedevelopmentemulator') ?? '').toLowerCase() === 'true',
  };
}
