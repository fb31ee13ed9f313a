/**
 * Notifications of the promotion workflow: the model's channels from the policy (or the ones a step names),
 * resolved against settings at send time. Best effort: a channel that is misconfigured or down is reported in the
 * result and logged, never thrown (a notification must not fail a promotion).
 */
import { notifyAll, resolveChannel, type NotifyMessageInput, type NotifyResult, type ResolvedChannel } from '../adapters/notify';
import type { Policy } from '../policy';
import type { Env } from './env';

export interface PromotionNotice {
  event: string;
  model: string;
  title: string;
  text: string;
  severity?: 'info' | 'success' | 'warning' | 'error';
  facts?: Record<string, string>;
  actions?: Array<{ label: string; url: string }>;
  correlationId?: string;
}

export function resolveChannels(policy: Policy, names: readonly string[], env: Env): { channels: ResolvedChannel[]; problems: NotifyResult[] } {
  const channels: ResolvedChannel[] = [];
  const problems: NotifyResult[] = [];
  for (const name of new Set(names)) {
    const def = policy.channels[name];
    if (!def) {
      problems.push({ channel: name, ok: false, retryable: false, error: 'no such channel in the policy' });
      continue;
    }
    try {
      channels.push(resolveChannel(name, def, env));
    } catch (e) {
      problems.push({ channel: name, ok: false, retryable: false, error: (e as Error).message });
    }
  }
  return { channels, problems };
}

const SEVERITY: Record<string, NonNullable<PromotionNotice['severity']>> = {
  'validation.failed': 'error',
  'deploy.failed': 'error',
  'job.failed': 'error',
  'validation.passed': 'success',
  'model.promoted': 'success',
  'approval.escalated': 'warning',
  'approval.reminder': 'warning',
  'model.rolled_back': 'warning',
};

export async function sendNotice(policy: Policy, channelNames: readonly string[], n: PromotionNotice, env: Env): Promise<NotifyResult[]> {
  const { channels, problems } = resolveChannels(policy, channelNames, env);
  const message: NotifyMessageInput = {
    event: n.event,
    title: n.title,
    text: n.text,
    severity: n.severity ?? SEVERITY[n.event] ?? 'info',
    facts: Object.entries({ model: n.model, ...n.facts }).map(([name, value]) => ({ name, value })),
    actions: n.actions ?? [],
    ...(n.correlationId !== undefined ? { correlationId: n.correlationId } : {}),
  };
  const sent = channels.length ? await notifyAll(channels, message) : [];
  return [...problems, ...sent];
}
