import { z } from 'zod';

/**
 * What Stagecraft says to people, independent of the channel. Every sender renders the same model.
 * Links in `actions` may be signed one-click approval links: they are secrets of a sort, so senders
 * never log them.
 */
export const NotifyMessage = z.object({
  event: z.string().min(1),
  title: z.string().min(1),
  text: z.string().default(''),
  severity: z.enum(['info', 'success', 'warning', 'error']).default('info'),
  facts: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
  actions: z.array(z.object({ label: z.string().min(1), url: z.url() })).default([]),
  /** Correlates the message with a run or request (shown in the webhook payload, used in logs). */
  correlationId: z.string().optional(),
});
export type NotifyMessage = z.output<typeof NotifyMessage>;
export type NotifyMessageInput = z.input<typeof NotifyMessage>;

export const SEVERITY_COLOR: Record<NotifyMessage['severity'], string> = {
  info: '0078D4',
  success: '2EB67D',
  warning: 'ECB22E',
  error: 'E01E5A',
};
