/**
 * The Stagecraft event types. Every event on the topic is a CloudEvent whose `type` is one of these, and whose
 * Service Bus `subject` equals that type (subscriptions route on `sys.Label`).
 * Renaming a type is a breaking change for subscriptions (infra/servicebus/Config.json) and the router.
 */
export const EVENT_TYPE_PREFIX = 'io.stagecraft.';

export const EVENT_TYPES = {
  modelRegistered: 'io.stagecraft.model.registered',
  modelVersionCreated: 'io.stagecraft.model.version.created',
  modelAliasChanged: 'io.stagecraft.model.alias.changed',
  modelVersionTagSet: 'io.stagecraft.model.version.tag.set',
  modelVersionTagDeleted: 'io.stagecraft.model.version.tag.deleted',
  modelVersionStageTransitioned: 'io.stagecraft.model.version.stage.transitioned',
  modelTransitionRequested: 'io.stagecraft.model.transition.requested',
  gitMerged: 'io.stagecraft.git.merged',
  gitReleasePushed: 'io.stagecraft.git.release.pushed',
  driftDetected: 'io.stagecraft.drift.detected',
  alertFired: 'io.stagecraft.alert.fired',
  retrainRequested: 'io.stagecraft.retrain.requested',
  promoteRequested: 'io.stagecraft.promote.requested',
  jobFinished: 'io.stagecraft.job.finished',
  modelPromoted: 'io.stagecraft.model.promoted',
} as const;

export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

export const ALL_EVENT_TYPES: readonly EventType[] = Object.values(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (ALL_EVENT_TYPES as readonly string[]).includes(value);
}

/** `io.stagecraft.model.version.created` → `model.version.created` (used in dedupe keys and file names). */
export function shortType(type: EventType): string {
  return type.slice(EVENT_TYPE_PREFIX.length);
}
