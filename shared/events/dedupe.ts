/**
 * Dedupe keys derive from the business identity of an event, never from a delivery: the same model version seen by
 * a webhook, a retried webhook and the reconciler poll yields the same key. The key becomes the CloudEvent `id` and
 * the Service Bus `messageId` (duplicate detection) and is the basis of orchestration instance ids.
 *
 * Invariant: key parts are joined with ':' after escaping '%' and ':' in each part, so distinct identities never
 * collide; keys longer than 128 chars (the messageId limit) become `<short type>:sha256:<base64url>`.
 */
import { createHash } from 'node:crypto';
import { EVENT_TYPES, shortType, type EventType } from './types';
import type { EventData, EventDataMap } from './data';

export const MAX_MESSAGE_ID_LENGTH = 128;

/** What the key may fall back on when the data carries no natural id (events posted by other producers). */
export interface DedupeContext {
  /** CloudEvent source + id as sent by the producer, if any. */
  producerSource?: string;
  producerId?: string;
}

function escapePart(part: string): string {
  return part.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export function joinKey(type: EventType, ...parts: Array<string | number | null | undefined>): string {
  const key = [shortType(type), ...parts.map((p) => escapePart(p === null || p === undefined ? '-' : String(p)))].join(
    ':',
  );
  if (key.length <= MAX_MESSAGE_ID_LENGTH) return key;
  return `${shortType(type)}:sha256:${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

function producerKey(ctx: DedupeContext): string | undefined {
  return ctx.producerId === undefined ? undefined : `${ctx.producerSource ?? ''}#${ctx.producerId}`;
}

type KeyFn<T extends EventType> = (data: EventData<T>, ctx: DedupeContext) => string;

const KEYS: { [K in EventType]: KeyFn<K> } = {
  [EVENT_TYPES.modelRegistered]: (d) => joinKey(EVENT_TYPES.modelRegistered, d.model.name),
  [EVENT_TYPES.modelVersionCreated]: (d) => joinKey(EVENT_TYPES.modelVersionCreated, d.model.name, d.model.version),
  // An alias can legitimately move back to a version it pointed to before: the change time is part of the identity.
  [EVENT_TYPES.modelAliasChanged]: (d) =>
    joinKey(
      EVENT_TYPES.modelAliasChanged,
      d.model.name,
      d.alias,
      d.change === 'deleted' ? 'deleted' : d.version,
      d.occurredAt,
    ),
  // Setting a tag to the value it has is a no-op, so value (not time) identifies the change.
  [EVENT_TYPES.modelVersionTagSet]: (d) =>
    joinKey(EVENT_TYPES.modelVersionTagSet, d.model.name, d.model.version, d.key, d.value),
  [EVENT_TYPES.modelVersionTagDeleted]: (d) =>
    joinKey(EVENT_TYPES.modelVersionTagDeleted, d.model.name, d.model.version, d.key, d.occurredAt),
  [EVENT_TYPES.modelVersionStageTransitioned]: (d) =>
    joinKey(EVENT_TYPES.modelVersionStageTransitioned, d.model.name, d.model.version, d.toStage, d.occurredAt),
  [EVENT_TYPES.modelTransitionRequested]: (d) =>
    joinKey(EVENT_TYPES.modelTransitionRequested, d.model.name, d.model.version, d.toStage, d.occurredAt),
  // A PR merge and the push of its merge commit share repo + commit: both deliveries collapse into one event.
  [EVENT_TYPES.gitMerged]: (d) => joinKey(EVENT_TYPES.gitMerged, d.provider, d.repository.id, d.commit),
  [EVENT_TYPES.gitReleasePushed]: (d) =>
    joinKey(EVENT_TYPES.gitReleasePushed, d.provider, d.repository.id, d.branch, d.commit),
  [EVENT_TYPES.driftDetected]: (d) =>
    joinKey(
      EVENT_TYPES.driftDetected,
      d.model.name,
      d.model.version ?? null,
      d.window ? `${d.window.start}/${d.window.end}` : d.detectedAt,
      d.comparison?.type ?? null,
    ),
  [EVENT_TYPES.alertFired]: (d) => joinKey(EVENT_TYPES.alertFired, d.alertId),
  [EVENT_TYPES.retrainRequested]: (d, ctx) =>
    joinKey(EVENT_TYPES.retrainRequested, d.model.name, d.requestId ?? producerKey(ctx) ?? null),
  [EVENT_TYPES.promoteRequested]: (d, ctx) =>
    joinKey(
      EVENT_TYPES.promoteRequested,
      d.model.name,
      d.model.version,
      d.targetAlias,
      d.requestId ?? producerKey(ctx) ?? null,
    ),
  [EVENT_TYPES.jobFinished]: (d) => joinKey(EVENT_TYPES.jobFinished, d.provider, d.runId),
  [EVENT_TYPES.modelPromoted]: (d) => joinKey(EVENT_TYPES.modelPromoted, d.promotionId),
};

/** The dedupe key (≤ 128 chars) of an event of `type` with validated `data`. */
export function dedupeKey<T extends EventType>(type: T, data: EventDataMap[T], ctx: DedupeContext = {}): string {
  return (KEYS[type] as KeyFn<T>)(data, ctx);
}
