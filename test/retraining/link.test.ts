/**
 * The retraining run ↔ promotion link (shared/retraining/link.ts) and run links in `GET /api/runs/{id}`
 * (shared/runs/query.ts): a version's tag is only a claim, linked only to a recorded retraining run of the same
 * model; link steps are deterministic, so a retried activity rewrites the same rows. The end-to-end proof through
 * the host is promotion-link.test.ts; this checks the decisions with an in-memory step store.
 */
import { describe, expect, it } from 'vitest';
import { linkPromotion, promotionLinkStep, type PromotionLink } from '../../shared/retraining/link';
import { linksOf } from '../../shared/runs/query';
import { type RunStep, type RunStepStore, stepRowKey } from '../../shared/runs/store';

/** RunStepStore semantics (rows by instance id and row key, upsert replaces) in memory. */
function memoryStore(enabled = true): RunStepStore & { rows: Map<string, RunStep> } {
  const rows = new Map<string, RunStep>();
  return {
    enabled,
    rows,
    upsert: async (steps) => {
      for (const s of steps) rows.set(`${s.instanceId}|${stepRowKey(s)}`, s);
      return steps.length;
    },
    list: async (id) => [...rows.values()].filter((s) => s.instanceId === id).sort((a, b) => a.at.localeCompare(b.at)),
  };
}

const RUN = 'retrainingRun:churn:1';
const requested: RunStep = {
  instanceId: RUN,
  name: 'requested',
  at: '2026-11-27T10:00:00.000Z',
  workflow: 'retrainingRun',
  kind: 'retraining.requested',
  status: 'started',
  title: 'retraining of churn',
  data: { runId: RUN, model: 'churn' },
};
const started: PromotionLink = {
  retrainingRunId: RUN,
  model: 'churn',
  version: '7',
  promotionInstanceId: 'promotion:churn:7',
  phase: 'started',
  at: '2026-11-27T10:05:00.000Z',
};

describe('retraining run → promotion link', () => {
  it('links a recorded run of the same model: version and promotion appear as steps and as run links', async () => {
    const store = memoryStore();
    await store.upsert([requested]);
    expect(await linkPromotion(store, started)).toEqual({ linked: true });
    expect(
      await linkPromotion(store, {
        ...started,
        phase: 'finished',
        at: '2026-11-27T11:00:00.000Z',
        outcome: 'promoted',
        reason: 'all checks passed',
      }),
    ).toEqual({ linked: true });
    // A retried activity writes the same rows again.
    await linkPromotion(store, started);
    const steps = await store.list(RUN);
    expect(steps.map((s) => [s.kind, s.status])).toEqual([
      ['retraining.requested', 'started'],
      ['retraining.version', 'registered'],
      ['retraining.promotion', 'promoted'],
    ]);
    expect(steps[2]!.title).toBe('promotion promotion:churn:7 of version 7 ended promoted: all checks passed');
    expect(linksOf(steps)).toEqual([
      { rel: 'model-version', id: 'churn/7' },
      { rel: 'promotion', id: 'promotion:churn:7' },
    ]);
  });

  it('links nothing, with the reason, for an unknown run, a run of another model, or no records', async () => {
    const store = memoryStore();
    expect(await linkPromotion(store, started)).toEqual({
      linked: false,
      reason: `no retraining run '${RUN}' is recorded`,
    });
    await store.upsert([requested]);
    expect(await linkPromotion(store, { ...started, model: 'fraud' })).toEqual({
      linked: false,
      reason: `retraining run '${RUN}' retrained model churn, not fraud`,
    });
    expect(store.rows.size).toBe(1);
    expect(await linkPromotion(memoryStore(false), started)).toEqual({
      linked: false,
      reason: 'no storage configured for run records',
    });
  });

  it('link steps have stable names per promotion and phase', () => {
    expect(promotionLinkStep(started)).toMatchObject({
      instanceId: RUN,
      name: 'promotion:promotion:churn:7',
      workflow: 'retrainingRun',
    });
    expect(promotionLinkStep({ ...started, phase: 'finished', outcome: 'blocked' })).toMatchObject({
      name: 'promotion:promotion:churn:7:outcome',
      status: 'blocked',
    });
    expect(
      linksOf([
        {
          ...requested,
          data: { links: [{ rel: 'x' }, 'junk', { rel: 'promotion', id: 'p' }, { rel: 'promotion', id: 'p' }] },
        },
      ]),
    ).toEqual([{ rel: 'promotion', id: 'p' }]);
  });
});
