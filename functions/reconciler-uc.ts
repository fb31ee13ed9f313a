/**
 * Unity Catalog reconciler timer: the backstop for the UC relay job (shared/reconciler/unity-catalog.ts). Same
 * schedule as the MLflow reconciler (`RECONCILER_SCHEDULE`); targets from `UC_RECONCILER_TARGETS`; the workspace
 * from `DATABRICKS_HOST` (PAT or the app's managed identity).
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getConfig, settingForTrigger } from '../shared/config';
import { tableUcCursors } from '../shared/reconciler/unity-catalog-cursors';
import { reconcileUnityCatalog } from '../shared/reconciler/unity-catalog';
import { databricksSettings } from '../shared/config/registry';
import { services } from '../shared/services';
import { recordPolledReceipts } from '../shared/reconciler/poll-receipts';

const DAY_MS = 24 * 3600_000;
let idleReported = false;

export async function reconcileUnityCatalogTick(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const targets = config.ucReconciler.targets;
  if (targets.length === 0 || databricksSettings().baseUrl === undefined) {
    if (!idleReported)
      context.info('Unity Catalog reconciler idle: set DATABRICKS_HOST and UC_RECONCILER_TARGETS to enable it');
    idleReported = true;
    return;
  }
  const { uc } = services().databricks();
  const publisher = services().publisher();
  try {
    const r = await reconcileUnityCatalog(targets, {
      uc,
      cursors: tableUcCursors(config.storage, config.records.tablePrefix),
      publish: (events) => publisher.publish(events),
      nowMs: () => Date.now(),
      initialLookbackMs: DAY_MS,
      maxCallsPerTick: config.ucReconciler.maxCalls,
      // Each polled version is a receipt too (source `reconciler`), as with the MLflow reconciler.
      afterPublish: (events) => recordPolledReceipts(services().records().receipts, events),
    });
    for (const p of r.published)
      context.info(`UC reconciler published ${p.versions.length} version event(s) for ${p.model}`, {
        model: p.model,
        versions: p.versions,
      });
    for (const f of r.failed) context.warn(`UC reconciler could not check ${f.model}: ${f.error}`, { model: f.model });
    if (r.skipped.length)
      context.info(`UC reconciler reached its call budget; ${r.skipped.length} model(s) wait for the next tick`, {
        calls: r.calls,
      });
  } catch (e) {
    // The next tick retries; cursors only move after a publish succeeded.
    context.warn(`UC reconciler tick failed: ${(e as Error).message}`);
  }
}

app.timer('reconcile-unity-catalog', {
  schedule: settingForTrigger('RECONCILER_SCHEDULE'),
  runOnStartup: false,
  handler: reconcileUnityCatalogTick,
});
