/**
 * Notifications of the promotion workflow: the model's channels from the policy (or the ones a step names),
 * resolved against settings at send time. Best effort: a channel that is misconfigured or down is reported in the
 * result and logged, never thrown (a notification must not fail a promotion).
 */
import {
  notifyAll,
  resolveChannel,
  resolveDirectChannel,
  sendDirect,
  type DirectResult,
  type NotifyMessageInput,
  type NotifyResult,
  type ResolvedChannel,
} from '../adapters/notify';
import type { DecisionLinks } from '../approvals/links';
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

export function resolveChannels(
  policy: Policy,
  names: readonly string[],
  env: Env,
): { channels: ResolvedChannel[]; problems: NotifyResult[] } {
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

export async function sendNotice(
  policy: Policy,
  channelNames: readonly string[],
  n: PromotionNotice,
  env: Env,
): Promise<NotifyResult[]> {
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

export interface LinkNotice {
  event: string;
  approvalId: string;
  title: string;
  text: string;
  facts: Record<string, string>;
  detailsUrl: string;
}

/**
 * Sends each approver their own links through the direct channel `channelName`, one message per recipient, in
 * parallel; best effort like sendNotice (a misconfigured channel is one result per recipient, never a throw).
 */
export async function sendApprovalLinks(
  policy: Policy,
  channelName: string,
  links: readonly DecisionLinks[],
  n: LinkNotice,
  env: Env,
): Promise<DirectResult[]> {
  if (links.length === 0) return [];
  const def = policy.channels[channelName];
  let channel;
  try {
    if (!def) throw new Error('no such channel in the policy');
    channel = resolveDirectChannel(channelName, def, env);
  } catch (e) {
    return links.map((l) => ({
      channel: channelName,
      recipient: l.approver,
      ok: false,
      retryable: false,
      error: (e as Error).message,
    }));
  }
  const facts = Object.entries(n.facts).map(([name, value]) => ({ name, value }));
  return Promise.all(
    links.map((l) =>
      sendDirect(channel, {
        recipient: l.approver,
        approvalId: n.approvalId,
        event: n.event,
        title: n.title,
        text: n.text,
        facts,
        links: { approve: l.approve, reject: l.reject, expiresAt: l.expiresAt },
        detailsUrl: n.detailsUrl,
      }),
    ),
  );
}
