/**
 * The router's decision: what a Stagecraft event means for the workflows. Pure; the Service Bus trigger carries
 * it out with the durable client.
 *
 * Invariant: every `start` plan carries an instance id derived only from the event's business identity
 * (see instance-id.ts), so duplicates collapse onto one orchestration.
 */
import { EVENT_TYPES, type AnyStagecraftEvent } from '../events';
import { instanceIdFor } from './instance-id';

export const WORKFLOWS = {
  promotion: 'modelPromotion',
  ci: 'ciPipeline',
  release: 'releaseDeployment',
  retraining: 'retrainingCoordinator',
} as const;

export type WorkflowName = keyof typeof WORKFLOWS;

export interface StartPlan {
  kind: 'start';
  workflow: WorkflowName;
  orchestration: string;
  instanceId: string;
  input: { event: AnyStagecraftEvent };
}

/** Deliver into a running instance (start it first when `startIfMissing` is given). */
export interface SignalPlan {
  kind: 'signal';
  workflow: WorkflowName;
  instanceId: string;
  eventName: string;
  payload: unknown;
  startIfMissing?: { orchestration: string; input: unknown };
}

/** Deliver to whichever instance owns a downstream job run (looked up from records by run id). */
export interface JobPlan {
  kind: 'job-finished';
  runId: string;
  eventName: string;
  payload: unknown;
}

export interface IgnorePlan {
  kind: 'ignore';
  reason: string;
}

export type RoutePlan = StartPlan | SignalPlan | JobPlan | IgnorePlan;

/** Name of the external event a job-finished notification is raised as; orchestrations wait on the same name. */
export function jobFinishedEventName(runId: string): string {
  return `JobFinished:${runId}`;
}

export function planRoute(event: AnyStagecraftEvent): RoutePlan {
  switch (event.type) {
    case EVENT_TYPES.modelVersionCreated: {
      const { name, version } = event.data.model;
      return {
        kind: 'start',
        workflow: 'promotion',
        orchestration: WORKFLOWS.promotion,
        instanceId: instanceIdFor('promotion', name, version),
        input: { event },
      };
    }
    case EVENT_TYPES.promoteRequested: {
      const { name, version } = event.data.model;
      // A manual request is its own run (it may follow a rejected automatic one); its id is the request's identity.
      return {
        kind: 'start',
        workflow: 'promotion',
        orchestration: WORKFLOWS.promotion,
        instanceId: instanceIdFor('promotion', name, version, 'request', event.data.requestId ?? event.id),
        input: { event },
      };
    }
    case EVENT_TYPES.gitMerged: {
      const d = event.data;
      return {
        kind: 'start',
        workflow: 'ci',
        orchestration: WORKFLOWS.ci,
        instanceId: instanceIdFor('ci', d.provider, d.repository.id, d.commit),
        input: { event },
      };
    }
    case EVENT_TYPES.gitReleasePushed: {
      const d = event.data;
      return {
        kind: 'start',
        workflow: 'release',
        orchestration: WORKFLOWS.release,
        instanceId: instanceIdFor('release', d.provider, d.repository.id, d.branch, d.commit),
        input: { event },
      };
    }
    case EVENT_TYPES.driftDetected:
    case EVENT_TYPES.retrainRequested: {
      const model = event.data.model.name;
      const instanceId = instanceIdFor('retraining', model);
      return {
        kind: 'signal',
        workflow: 'retraining',
        instanceId,
        eventName: 'RetrainTrigger',
        payload: event,
        startIfMissing: { orchestration: WORKFLOWS.retraining, input: { model } },
      };
    }
    case EVENT_TYPES.jobFinished:
      return {
        kind: 'job-finished',
        runId: event.data.runId,
        eventName: jobFinishedEventName(event.data.runId),
        payload: event.data,
      };
    default:
      return { kind: 'ignore', reason: `no workflow reacts to ${event.type}` };
  }
}
