/**
 * Carries out a route plan against the durable client, idempotently.
 *
 * Invariants:
 * - A start never creates a second instance for one id: if the id exists (any status) the event is recorded as a
 *   duplicate on the run record; if two deliveries race, the durable port's `startOnce` answers 'exists' to the
 *   second (shared/durable: whatever code the engine refused it with) and that delivery is recorded as a duplicate too.
 * - A transient failure (durable API or storage unavailable) throws a retryable error so Service Bus redelivers;
 *   an invalid message throws a non-retryable RouterError and ends in the dead-letter queue.
 */
import { TERMINAL_RUNTIME_STATUSES, type DurablePort } from '../durable/port';
import { StagecraftError } from '../errors';
import type { AnyStagecraftEvent } from '../events';
import type { WorkflowRunRecord } from '../records/workflow-runs';
import { planRoute, WORKFLOWS, type RoutePlan, type StartPlan } from './plan';

export interface RunsPort {
  get(workflow: string, instanceId: string): Promise<WorkflowRunRecord | undefined>;
  upsert(record: WorkflowRunRecord): Promise<void>;
}

export interface RouterDeps {
  /** The durable port (shared/durable/port.ts): only what the router uses. */
  durable: Pick<DurablePort, 'status' | 'startOnce' | 'ensureRunning' | 'raise'>;
  runs: RunsPort;
  findJobOwner(runId: string): Promise<string | undefined>;
  now(): string;
  log(message: string, fields: Record<string, unknown>): void;
}

export type RouteOutcome =
  | { outcome: 'started'; instanceId: string; orchestration: string }
  | { outcome: 'duplicate'; instanceId: string; status: string }
  | { outcome: 'signalled'; instanceId: string; eventName: string; started: boolean }
  | { outcome: 'ignored'; reason: string };

export class RouterError extends StagecraftError {}

/** The run record of a workflow started by `event`, before the orchestration says more. */
function newRunRecord(plan: StartPlan, event: AnyStagecraftEvent, now: string): WorkflowRunRecord {
  return {
    workflow: plan.orchestration,
    instanceId: plan.instanceId,
    businessKey: event.id,
    status: 'running',
    triggerEventId: event.id,
    triggerEventType: event.type,
    startedAt: now,
    updatedAt: now,
  };
}

async function recordDuplicate(
  deps: RouterDeps,
  plan: StartPlan,
  event: AnyStagecraftEvent,
  status: string,
): Promise<void> {
  const existing = await deps.runs.get(plan.orchestration, plan.instanceId);
  const now = deps.now();
  const base: WorkflowRunRecord = existing ?? newRunRecord(plan, event, now);
  const dups = new Set(base.duplicateEventIds ?? []);
  const key = `${event.id}@${event.deliveryid ?? event.source}`;
  if (dups.has(key)) return;
  dups.add(key);
  await deps.runs.upsert({ ...base, duplicateEventIds: [...dups].slice(-50), updatedAt: now });
  deps.log('Duplicate event: the workflow already has a run for this business key', {
    instanceId: plan.instanceId,
    eventId: event.id,
    status,
  });
}

async function start(plan: StartPlan, event: AnyStagecraftEvent, deps: RouterDeps): Promise<RouteOutcome> {
  const status = (await deps.durable.status(plan.instanceId))?.runtimeStatus;
  if (status !== undefined) {
    await recordDuplicate(deps, plan, event, status);
    return { outcome: 'duplicate', instanceId: plan.instanceId, status };
  }
  const now = deps.now();
  // The run record is written first (idempotent upsert) so a crash after startNew still leaves a record.
  await deps.runs.upsert(newRunRecord(plan, event, now));
  const result = await deps.durable.startOnce(plan.orchestration, plan.instanceId, plan.input);
  if (result === 'exists') {
    await recordDuplicate(deps, plan, event, 'Running');
    return { outcome: 'duplicate', instanceId: plan.instanceId, status: 'Running' };
  }
  deps.log('Workflow started', {
    workflow: plan.workflow,
    orchestration: plan.orchestration,
    instanceId: plan.instanceId,
    eventId: event.id,
  });
  return { outcome: 'started', instanceId: plan.instanceId, orchestration: plan.orchestration };
}

export async function executePlan(plan: RoutePlan, event: AnyStagecraftEvent, deps: RouterDeps): Promise<RouteOutcome> {
  switch (plan.kind) {
    case 'ignore':
      return { outcome: 'ignored', reason: plan.reason };
    case 'start':
      return start(plan, event, deps);
    case 'signal': {
      let started = false;
      if (plan.startIfMissing) {
        // (Re)start the long-lived instance, then deliver: the engine buffers events raised before it waits.
        // Two deliveries racing here both end in one instance: the second start is answered 'running'.
        started =
          (await deps.durable.ensureRunning(
            plan.startIfMissing.orchestration,
            plan.instanceId,
            plan.startIfMissing.input,
          )) === 'started';
      } else {
        const status = (await deps.durable.status(plan.instanceId))?.runtimeStatus;
        if (status === undefined || TERMINAL_RUNTIME_STATUSES.has(status))
          return {
            outcome: 'ignored',
            reason: `instance ${plan.instanceId} is ${status ?? 'missing'}; event not delivered`,
          };
      }
      const r = await deps.durable.raise(plan.instanceId, plan.eventName, plan.payload);
      if (r !== 'raised')
        return {
          outcome: 'ignored',
          reason: `instance ${plan.instanceId} is ${r === 'gone' ? 'finished' : 'missing'}; event not delivered`,
        };
      return { outcome: 'signalled', instanceId: plan.instanceId, eventName: plan.eventName, started };
    }
    case 'job-finished': {
      const owner = await deps.findJobOwner(plan.runId);
      if (!owner) return { outcome: 'ignored', reason: `no Stagecraft run owns job run ${plan.runId}` };
      const r = await deps.durable.raise(owner, plan.eventName, plan.payload);
      if (r !== 'raised')
        return {
          outcome: 'ignored',
          reason: `owner ${owner} of job run ${plan.runId} is ${r === 'gone' ? 'finished' : 'missing'}`,
        };
      return { outcome: 'signalled', instanceId: owner, eventName: plan.eventName, started: false };
    }
  }
}

/** Route one event: plan, then carry the plan out. Workflows not deployed in this app are ignored with a reason. */
export async function routeEvent(
  event: AnyStagecraftEvent,
  deps: RouterDeps,
  deployed: ReadonlySet<string>,
): Promise<RouteOutcome> {
  const plan = planRoute(event);
  if (plan.kind === 'start' && !deployed.has(plan.orchestration))
    return { outcome: 'ignored', reason: `workflow ${plan.orchestration} is not deployed` };
  if (plan.kind === 'signal' && plan.startIfMissing && !deployed.has(plan.startIfMissing.orchestration)) {
    return { outcome: 'ignored', reason: `workflow ${plan.startIfMissing.orchestration} is not deployed` };
  }
  return executePlan(plan, event, deps);
}

export const ALL_WORKFLOW_ORCHESTRATIONS: readonly string[] = Object.values(WORKFLOWS);
