import type { NotifyMessage } from './message';
import { SEVERITY_COLOR } from './message';

/** Channel payloads for one message. Pure. Limits are the services' documented ones. */

/** Generic webhook: the message as JSON plus a version marker. */
export function webhookPayload(m: NotifyMessage, sentAt: string): Record<string, unknown> {
  return { schema: 'stagecraft.notification.v1', sentAt, ...m };
}

/** Teams legacy connector card (Office 365 connectors / MessageCard). */
export function teamsMessageCard(m: NotifyMessage): Record<string, unknown> {
  const card: Record<string, unknown> = {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: m.title,
    themeColor: SEVERITY_COLOR[m.severity],
    title: m.title,
    text: m.text || m.title,
  };
  if (m.facts.length) card.sections = [{ facts: m.facts.map((f) => ({ name: f.name, value: f.value })) }];
  if (m.actions.length)
    card.potentialAction = m.actions.map((a) => ({
      '@type': 'OpenUri',
      name: a.label,
      targets: [{ os: 'default', uri: a.url }],
    }));
  return card;
}

/** Teams Workflows (Power Automate) incoming webhook: a message with one Adaptive Card attachment. */
export function teamsAdaptiveCard(m: NotifyMessage): Record<string, unknown> {
  const body: unknown[] = [
    {
      type: 'TextBlock',
      text: m.title,
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      color:
        m.severity === 'error'
          ? 'Attention'
          : m.severity === 'warning'
            ? 'Warning'
            : m.severity === 'success'
              ? 'Good'
              : 'Default',
    },
  ];
  if (m.text) body.push({ type: 'TextBlock', text: m.text, wrap: true });
  if (m.facts.length) body.push({ type: 'FactSet', facts: m.facts.map((f) => ({ title: f.name, value: f.value })) });
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
  };
  if (m.actions.length)
    content.actions = m.actions.map((a) => ({ type: 'Action.OpenUrl', title: a.label, url: a.url }));
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
  };
}

function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** Slack incoming webhook with Block Kit: header (≤150), section (≤3000), fields (≤10, ≤2000 each), buttons (≤25). */
export function slackBlocks(m: NotifyMessage): Record<string, unknown> {
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: clip(m.title, 150), emoji: true } }];
  if (m.text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(slackEscape(m.text), 3000) } });
  for (let i = 0; i < m.facts.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: m.facts
        .slice(i, i + 10)
        .map((f) => ({ type: 'mrkdwn', text: clip(`*${slackEscape(f.name)}*\n${slackEscape(f.value)}`, 2000) })),
    });
  }
  if (m.actions.length) {
    blocks.push({
      type: 'actions',
      elements: m.actions.slice(0, 25).map((a, i) => ({
        type: 'button',
        action_id: `action-${i}`,
        text: { type: 'plain_text', text: clip(a.label, 75) },
        url: a.url,
      })),
    });
  }
  return { text: clip(`${m.title}${m.text ? `: ${m.text}` : ''}`, 3000), blocks };
}
