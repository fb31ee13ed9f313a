/**
 * Unity Catalog reconciler: the backstop for the relay job (a model update trigger can miss updates: it handles a
 * bounded number per run, and a relay delivery can be lost). Each tick lists the versions of the configured models
 * (`catalog.schema.model`) and of every model of the configured schemas (`catalog.schema.*`) and publishes a
 * `model.version.created` event for each READY version not published before, with the business key (name,
 * version) the relay path uses: a version seen by both paths is one message id and one orchestration.
 *
 * Cursor per model (persisted): `doneThrough` = every version ≤ it is settled (published, failed, or older than
 * the first-run lookback) and `emitted` = READY versions above it already published (they sit above a version
 * still PENDING_REGISTRATION). Invariants:
 * - No gaps: a pending version holds `doneThrough` below itself, so it is published once it turns READY.
 * - No reprocessing: a settled or emitted version is never published again by this reconciler.
 * - The cursor is written only after the publish succeeded (at-least-once; duplicates collapse by key).
 * - Bounded work: at most `maxCallsPerTick` REST calls per tick; models are visited round-robin from a persisted
 *   offset, and a model whose version list could not be read completely in the budget is left for the next tick
 *   (its cursor untouched).
 */
import { EVENT_TYPES, makeEvent, type StagecraftEvent } from '../events';
import type { UcModelVersion, UcRegisteredModel } from '../adapters/databricks-uc/types';

export interface UcCursor {
  model: string;
  doneThrough: number;
  emitted: string[];
  updatedAt: string;
}

export interface UcCursorPort {
  get(model: string): Promise<UcCursor | undefined>;
  put(cursor: UcCursor): Promise<void>;
  /** Where the next tick starts in the model list (round-robin). */
  getOffset(): Promise<number>;
  putOffset(offset: number): Promise<void>;
}

export interface UcListing {
  listModels(
    catalog: string,
    schema: string,
    o?: { maxResults?: number; pageToken?: string },
  ): Promise<{ models: UcRegisteredModel[]; nextPageToken?: string }>;
  listVersions(
    name: string,
    o?: { maxResults?: number; pageToken?: string },
  ): Promise<{ versions: UcModelVersion[]; nextPageToken?: string }>;
}

export interface UcReconcileDeps {
  uc: UcListing;
  cursors: UcCursorPort;
  publish(events: readonly StagecraftEvent[]): Promise<void>;
  afterPublish?(events: readonly StagecraftEvent[]): Promise<void>;
  nowMs(): number;
  initialLookbackMs: number;
  maxCallsPerTick: number;
  pageSize?: number;
}

export interface UcTickResult {
  models: string[];
  published: { model: string; versions: string[] }[];
  skipped: string[];
  failed: { model: string; error: string }[];
  calls: number;
}

const SOURCE = '/stagecraft/reconciler/unity-catalog';
const TERMINAL = new Set(['READY', 'FAILED_REGISTRATION']);

export function ucVersionEvent(model: string, v: UcModelVersion, nowIso: string): StagecraftEvent {
  const occurredAt = v.created_at !== undefined ? new Date(v.created_at).toISOString() : nowIso;
  return makeEvent(
    EVENT_TYPES.modelVersionCreated,
    {
      model: { name: model, version: v.version },
      source: v.source ?? null,
      runId: v.run_id ?? null,
      tags: {},
      description: v.comment ?? null,
      registry: 'databricks',
      occurredAt,
    },
    { source: SOURCE, time: occurredAt },
  );
}

/** Pure: what to publish for one model's full version list and the cursor after it. */
export function planModel(
  model: string,
  versions: readonly UcModelVersion[],
  cursor: UcCursor | undefined,
  nowMs: number,
  initialLookbackMs: number,
): { publish: UcModelVersion[]; next: UcCursor } {
  const sorted = [...versions]
    .filter((v) => /^\d+$/.test(v.version))
    .sort((a, b) => Number(a.version) - Number(b.version));
  let doneThrough = cursor?.doneThrough ?? 0;
  const emitted = new Set(cursor?.emitted ?? []);
  const cutoff = nowMs - initialLookbackMs;
  const publish: UcModelVersion[] = [];
  let blocked = false;
  for (const v of sorted) {
    const n = Number(v.version);
    if (n <= doneThrough) continue;
    const status = v.status ?? 'UNKNOWN';
    const terminal = TERMINAL.has(status);
    // First run: history older than the lookback is settled without starting workflows.
    const settledByAge = !cursor && v.created_at !== undefined && v.created_at < cutoff && terminal;
    if (status === 'READY' && !settledByAge && !emitted.has(v.version)) {
      publish.push(v);
      emitted.add(v.version);
    }
    if (!blocked && terminal) doneThrough = n;
    else blocked = true;
  }
  const left = [...emitted].filter((v) => Number(v) > doneThrough).sort((a, b) => Number(a) - Number(b));
  return { publish, next: { model, doneThrough, emitted: left, updatedAt: new Date(nowMs).toISOString() } };
}

class Budget {
  calls = 0;
  constructor(private readonly max: number) {}
  take(): boolean {
    if (this.calls >= this.max) return false;
    this.calls++;
    return true;
  }
}

/** `catalog.schema.model` entries as they are; `catalog.schema.*` expanded through the models list (paged). */
async function expandTargets(
  targets: readonly string[],
  deps: UcReconcileDeps,
  budget: Budget,
): Promise<string[] | undefined> {
  const out = new Set<string>();
  for (const t of targets) {
    const [catalog, schema, model] = t.split('.');
    if (catalog === undefined || schema === undefined || model === undefined) continue;
    if (model !== '*') {
      out.add(t);
      continue;
    }
    let token: string | undefined;
    do {
      if (!budget.take()) return undefined;
      const page = await deps.uc.listModels(catalog, schema, {
        maxResults: deps.pageSize ?? 1000,
        ...(token ? { pageToken: token } : {}),
      });
      for (const m of page.models) out.add(m.full_name ?? `${catalog}.${schema}.${m.name ?? ''}`);
      token = page.nextPageToken;
    } while (token);
  }
  return [...out].sort();
}

async function listAllVersions(
  model: string,
  deps: UcReconcileDeps,
  budget: Budget,
): Promise<UcModelVersion[] | undefined> {
  const out: UcModelVersion[] = [];
  let token: string | undefined;
  do {
    if (!budget.take()) return undefined;
    const page = await deps.uc.listVersions(model, {
      maxResults: deps.pageSize ?? 1000,
      ...(token ? { pageToken: token } : {}),
    });
    out.push(...page.versions);
    token = page.nextPageToken;
  } while (token);
  return out;
}

export async function reconcileUnityCatalog(targets: readonly string[], deps: UcReconcileDeps): Promise<UcTickResult> {
  const budget = new Budget(Math.max(1, deps.maxCallsPerTick));
  const result: UcTickResult = { models: [], published: [], skipped: [], failed: [], calls: 0 };
  const models = await expandTargets(targets, deps, budget);
  if (!models || models.length === 0) {
    result.calls = budget.calls;
    return result;
  }
  result.models = models;
  const start = (await deps.cursors.getOffset()) % models.length;
  let visited = 0;
  for (; visited < models.length; visited++) {
    const model = models[(start + visited) % models.length]!;
    let versions: UcModelVersion[] | undefined;
    try {
      versions = await listAllVersions(model, deps, budget);
    } catch (e) {
      // One model's failure (deleted, no permission) must not stall the others: it is retried next round.
      result.failed.push({ model, error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (!versions) break; // out of budget: this model and the rest wait for the next tick
    const { publish, next } = planModel(
      model,
      versions,
      await deps.cursors.get(model),
      deps.nowMs(),
      deps.initialLookbackMs,
    );
    if (publish.length) {
      const nowIso = new Date(deps.nowMs()).toISOString();
      const events = publish.map((v) => ucVersionEvent(model, v, nowIso));
      await deps.publish(events);
      await deps.afterPublish?.(events);
      result.published.push({ model, versions: publish.map((v) => v.version) });
    }
    await deps.cursors.put(next);
  }
  for (let i = visited; i < models.length; i++) result.skipped.push(models[(start + i) % models.length]!);
  await deps.cursors.putOffset((start + visited) % models.length);
  result.calls = budget.calls;
  return result;
}
