/**
 * Registry reconciler: MLflow sends webhooks fire-and-forget, so a lost delivery would lose a workflow. Each tick
 * asks the registry for versions of the configured models newer than the stored watermark and publishes the same
 * `model.version.created` events the webhook path publishes, with the same dedupe keys: a version seen by both
 * paths is one Service Bus message id and one orchestration instance id.
 *
 * Invariants:
 * - The watermark only advances after the events up to it were published (at-least-once; duplicates collapse).
 * - With no watermark yet (first run), versions created within `initialLookbackMs` are emitted, older ones are not:
 *   turning the reconciler on does not start workflows for a model's whole history.
 */
import { EVENT_TYPES, makeEvent, type StagecraftEvent } from '../events';
import type { ModelVersion } from '../adapters/mlflow/types';

export interface RegistryPort {
  /** All versions of a model created at or after `sinceMs` (any order). */
  versionsSince(model: string, sinceMs: number): Promise<ModelVersion[]>;
}

export interface Watermark {
  model: string;
  /** creation_timestamp (ms) of the newest version published. */
  createdAtMs: number;
  /** Versions published with exactly that timestamp (several can share one millisecond). */
  versionsAtMark: string[];
  updatedAt: string;
}

export interface WatermarkPort {
  get(model: string): Promise<Watermark | undefined>;
  put(mark: Watermark): Promise<void>;
}

export interface ReconcileDeps {
  registry: RegistryPort;
  watermarks: WatermarkPort;
  publish(events: readonly StagecraftEvent[]): Promise<void>;
  nowMs(): number;
  initialLookbackMs: number;
  registryKind?: 'mlflow' | 'databricks';
  /** Called after a successful publish, e.g. to record a receipt per polled version. */
  afterPublish?(events: readonly StagecraftEvent[]): Promise<void>;
}

export interface ReconcileResult {
  model: string;
  published: string[];
  watermark: number;
}

const SOURCE = '/stagecraft/reconciler';

export function versionEvent(v: ModelVersion, registry: 'mlflow' | 'databricks', nowIso: string): StagecraftEvent {
  const tags: Record<string, string> = {};
  for (const t of v.tags) tags[t.key] = t.value;
  const occurredAt = v.creation_timestamp !== undefined ? new Date(v.creation_timestamp).toISOString() : nowIso;
  return makeEvent(
    EVENT_TYPES.modelVersionCreated,
    {
      model: { name: v.name, version: v.version },
      source: v.source ?? null,
      runId: v.run_id ?? null,
      tags,
      description: v.description ?? null,
      registry,
      occurredAt,
    },
    { source: SOURCE, time: occurredAt },
  );
}

export async function reconcileModel(model: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const now = deps.nowMs();
  const mark = await deps.watermarks.get(model);
  const since = mark ? mark.createdAtMs : now - deps.initialLookbackMs;
  const seenAtMark = new Set(mark?.versionsAtMark ?? []);
  const versions = (await deps.registry.versionsSince(model, since))
    .filter((v) => v.creation_timestamp !== undefined && v.creation_timestamp >= since)
    .filter((v) => !(mark && v.creation_timestamp === mark.createdAtMs && seenAtMark.has(v.version)))
    .sort((a, b) => (a.creation_timestamp ?? 0) - (b.creation_timestamp ?? 0) || Number(a.version) - Number(b.version));
  if (versions.length === 0) return { model, published: [], watermark: since };

  const nowIso = new Date(now).toISOString();
  const events = versions.map((v) => versionEvent(v, deps.registryKind ?? 'mlflow', nowIso));
  await deps.publish(events);
  await deps.afterPublish?.(events);
  const newest = versions[versions.length - 1]!.creation_timestamp!;
  const atNewest = versions.filter((v) => v.creation_timestamp === newest).map((v) => v.version);
  const carry = mark && mark.createdAtMs === newest ? mark.versionsAtMark : [];
  await deps.watermarks.put({
    model,
    createdAtMs: newest,
    versionsAtMark: [...new Set([...carry, ...atNewest])],
    updatedAt: nowIso,
  });
  return { model, published: versions.map((v) => v.version), watermark: newest };
}
