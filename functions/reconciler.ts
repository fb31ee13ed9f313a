/**
 * Registry reconciler timer: catches model versions whose webhook was lost (shared/reconciler). Schedule from
 * the `RECONCILER_SCHEDULE` setting (NCRONTAB, default every 5 minutes); models from `RECONCILER_MODELS`.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getConfig, settingForTrigger } from '../shared/config';
import { services } from '../shared/services';
import { recordPolledReceipts, type PolledEvent } from '../shared/reconciler/poll-receipts';
import { mlflowRegistry } from '../shared/reconciler/mlflow-registry';
import { reconcileModel } from '../shared/reconciler/reconcile';
import { tableWatermarks } from '../shared/reconciler/watermarks';

const DAY_MS = 24 * 3600_000;
let idleReported = false;

export async function reconcileRegistry(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const { trackingUri } = config.mlflow;
  if (!trackingUri || config.reconciler.models.length === 0) {
    if (!idleReported)
      context.info('Registry reconciler idle: set MLFLOW_TRACKING_URI and RECONCILER_MODELS to enable it');
    idleReported = true;
    return;
  }
  const client = services().mlflow();
  const publisher = services().publisher();
  const deps = {
    registry: mlflowRegistry(client),
    watermarks: tableWatermarks(config.storage, config.records.tablePrefix),
    publish: (events: Parameters<typeof publisher.publish>[0]) => publisher.publish(events),
    nowMs: () => Date.now(),
    initialLookbackMs: DAY_MS,
    // Each polled version is a receipt too (source `reconciler`), so operators see how a run was triggered.
    afterPublish: (events: readonly PolledEvent[]) => recordPolledReceipts(services().records().receipts, events),
  };
  for (const model of config.reconciler.models) {
    try {
      const r = await reconcileModel(model, deps);
      context.debug(`Reconciler checked ${model}`, { model, published: r.published.length, watermark: r.watermark });
      if (r.published.length)
        context.info(`Reconciler published ${r.published.length} version event(s) for ${model}`, {
          model,
          versions: r.published,
        });
    } catch (e) {
      // One model's failure (e.g. deleted model) must not stop the others; the next tick retries.
      context.warn(`Reconciler could not check ${model}: ${(e as Error).message}`, { model });
    }
  }
}

// The schedule is resolved here, not as `%RECONCILER_SCHEDULE%` (the host has no default for an unset setting and
// would skip the timer). No runOnStartup: on Flex Consumption it fires on every cold start and scale-out; the
// schedule (every 5 minutes by default) and the webhooks cover a restart.
app.timer('reconcile-registry', {
  schedule: settingForTrigger('RECONCILER_SCHEDULE'),
  runOnStartup: false,
  handler: reconcileRegistry,
});
