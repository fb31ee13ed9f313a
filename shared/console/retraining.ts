/**
 * The Retraining view: per model, the coordinator's recent triggers and decisions with reasons, its cooldown, the
 * running run — read from each `retrainingCoordinator` instance's custom status (shared/retraining/state statusOf),
 * plus the recent retraining runs.
 */
import type { DurablePort } from '../durable/port';
import { summarize } from '../runs/query';
import { redact } from './redact';
import type { RetrainingView } from './schemas';

const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function retrainingView(durable: Pick<DurablePort, 'listAll'>): Promise<RetrainingView> {
  const all = await durable.listAll();
  const coordinators = all
    .filter((x) => x.name === 'retrainingCoordinator')
    .map((x) => {
      const cs = rec(x.customStatus);
      const running = rec(cs['running']);
      const recent = Array.isArray(cs['recent']) ? (cs['recent'] as unknown[]).map(rec) : [];
      const sum = summarize(x);
      return {
        id: sum.id,
        status: s(cs['state']) ?? sum.status,
        lastUpdatedTime: sum.lastUpdatedTime,
        ...((s(cs['model']) ?? sum.model) ? { model: s(cs['model']) ?? sum.model } : {}),
        ...(s(cs['cooldownUntil']) ? { cooldownUntil: s(cs['cooldownUntil']) } : {}),
        ...(s(running['runId']) ? { runningRun: s(running['runId']) } : {}),
        decisions: recent
          .slice(-20)
          .reverse()
          .map((d) => ({
            decision: s(d['action']) ?? '?',
            ...(s(d['at']) ? { at: s(d['at']) } : {}),
            ...((s(d['message']) ?? s(d['reason'])) ? { reason: s(d['message']) ?? s(d['reason']) } : {}),
            ...(s(d['kind']) ? { trigger: s(d['kind']) } : {}),
          })),
        customStatus: redact(x.customStatus),
      };
    });
  const runs = all
    .filter((x) => x.name === 'retrainingRun')
    .map(summarize)
    .sort((a, b) => (a.createdTime < b.createdTime ? 1 : -1))
    .slice(0, 50);
  return { coordinators, runs };
}
