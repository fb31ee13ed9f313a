/**
 * The link from a retraining run to what it produced. The run passes its id to the training job
 * (`retraining_run_id`); the job registers the new version with the tag `stagecraft.retraining_run_id=<run id>`;
 * the version arrives through the registry (webhook or reconciler) and starts a promotion, which names the run in
 * its record (`retrainingRun`) and writes link steps into the run's own records, so `GET /api/runs/<run id>`
 * shows the version and the promotion (timeline entries and `links`).
 *
 * Invariants:
 * - A tag is only a claim: the link is written only when the run is recorded as a retraining run of the same
 *   model; otherwise the reason is returned (and logged by the caller), and the promotion goes on.
 * - Steps have deterministic names and times (version creation time, promotion finish time), so a retried
 *   activity rewrites the same rows.
 */
import { runsSettings } from '../runs/settings';
import { type RunStep, type RunStepStore, runStepStore } from '../runs/store';
import { RETRAINING } from './names';

export interface RunLink {
  rel: 'model-version' | 'promotion';
  id: string;
}

export interface PromotionLink {
  retrainingRunId: string;
  model: string;
  version: string;
  promotionInstanceId: string;
  /** `started`: the promotion loaded the version; `finished`: the promotion record was written. */
  phase: 'started' | 'finished';
  at: string;
  outcome?: string;
  reason?: string;
}

export type LinkResult = { linked: true } | { linked: false; reason: string };

export function promotionLinkStep(link: PromotionLink): RunStep {
  const links: RunLink[] = [
    { rel: 'model-version', id: `${link.model}/${link.version}` },
    { rel: 'promotion', id: link.promotionInstanceId },
  ];
  const data = {
    model: link.model,
    version: link.version,
    promotionInstanceId: link.promotionInstanceId,
    ...(link.outcome !== undefined ? { outcome: link.outcome } : {}),
    ...(link.reason !== undefined ? { reason: link.reason } : {}),
    links,
  };
  if (link.phase === 'started') {
    return {
      instanceId: link.retrainingRunId,
      name: `promotion:${link.promotionInstanceId}`,
      at: link.at,
      workflow: RETRAINING.run,
      kind: 'retraining.version',
      status: 'registered',
      title: `version ${link.version} of ${link.model} registered by this run; promotion ${link.promotionInstanceId} started`,
      data,
    };
  }
  return {
    instanceId: link.retrainingRunId,
    name: `promotion:${link.promotionInstanceId}:outcome`,
    at: link.at,
    workflow: RETRAINING.run,
    kind: 'retraining.promotion',
    status: link.outcome ?? 'finished',
    title:
      `promotion ${link.promotionInstanceId} of version ${link.version} ended ${link.outcome ?? 'finished'}${link.reason ? `: ${link.reason}` : ''}`.slice(
        0,
        1_000,
      ),
    data,
  };
}

/** The model a recorded retraining run was started for, from its `requested` step (undefined: no such run). */
function recordedModel(steps: readonly RunStep[]): string | undefined {
  const requested = steps.find((s) => s.name === 'requested' && s.workflow === RETRAINING.run);
  const data = requested?.data;
  const model = typeof data === 'object' && data !== null ? (data as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : undefined;
}

export async function linkPromotion(store: RunStepStore, link: PromotionLink): Promise<LinkResult> {
  if (!store.enabled) return { linked: false, reason: 'no storage configured for run records' };
  const model = recordedModel(await store.list(link.retrainingRunId));
  if (model === undefined) return { linked: false, reason: `no retraining run '${link.retrainingRunId}' is recorded` };
  if (model !== link.model)
    return {
      linked: false,
      reason: `retraining run '${link.retrainingRunId}' retrained model ${model}, not ${link.model}`,
    };
  await store.upsert([promotionLinkStep(link)]);
  return { linked: true };
}

/** linkPromotion against the configured run records; never throws (the promotion goes on), says why it did not link. */
export async function linkPromotionFromEnv(
  link: PromotionLink,
  warn: (message: string, fields: Record<string, unknown>) => void,
): Promise<LinkResult> {
  let result: LinkResult;
  try {
    result = await linkPromotion(runStepStore(runsSettings()), link);
  } catch (e) {
    result = { linked: false, reason: `run records unavailable: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!result.linked)
    warn('retraining run not linked', {
      retrainingRunId: link.retrainingRunId,
      model: link.model,
      version: link.version,
      promotion: link.promotionInstanceId,
      reason: result.reason,
    });
  return result;
}
