/**
 * Rewind of a Failed instance (`POST instances/{id}/rewind`): rewrites the execution's history so that the next
 * episode re-schedules what failed (and what was still in flight when it failed), the way the extension's rewind
 * turns failed tasks back into pending work; failed sub-orchestrations are rewound in place (same instance id).
 *
 * Invariant that keeps replay ids consistent: let p be the first failure event (TaskFailed /
 * SubOrchestrationInstanceFailed), or the ExecutionCompleted when the code itself threw. Every id allocated before
 * p is allocated again at the same position (the events before p are unchanged apart from removed scheduling
 * events, which do not affect allocation); ids allocated at or after p may depend on a failure, so their scheduling
 * and completion events are removed and the replay allocates them afresh. Before p:
 * - a task or timer that succeeded keeps its events (it does not run again);
 * - a failed activity, and an activity / timer / entity call still in flight, loses its events and is re-run;
 * - a failed sub-orchestration whose child instance is Failed keeps its creation event, the child is rewound too;
 * - entity signals (fire and forget) are kept, so they are not sent twice.
 */
import { EventType, type HistoryEvent } from './types';

export type ChildState = 'active' | 'failed' | 'other';

export interface RewindPlan {
  history: HistoryEvent[];
  /** Child instances (Failed) to rewind with this one. */
  children: string[];
}

const FAILURES = new Set<number>([EventType.TaskFailed, EventType.SubOrchestrationInstanceFailed]);
const BY_TASK_ID = new Set<number>([
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
]);
const SCHEDULING = new Set<number>([
  EventType.TaskScheduled,
  EventType.TimerCreated,
  EventType.SubOrchestrationInstanceCreated,
  EventType.EventSent,
]);

function requestOf(e: HistoryEvent): { id?: string; signal?: boolean } {
  try {
    return (JSON.parse(String(e.Input ?? 'null')) as { id?: string; signal?: boolean } | null) ?? {};
  } catch {
    return {};
  }
}

export function rewindHistory(
  history: readonly HistoryEvent[],
  childState: (instanceId: string) => ChildState,
): RewindPlan {
  const completionIndex = new Map<string, number>(); // "t:<id>" task/suborch/timer id, "e:<name>" raised event
  history.forEach((e, i) => {
    if (BY_TASK_ID.has(e.EventType)) completionIndex.set(`t:${String(e.TaskScheduledId)}`, i);
    else if (e.EventType === EventType.TimerFired) completionIndex.set(`t:${String(e.TimerId)}`, i);
    else if (e.EventType === EventType.EventRaised && !completionIndex.has(`e:${String(e.Name)}`))
      completionIndex.set(`e:${String(e.Name)}`, i);
  });
  let p = history.findIndex((e) => FAILURES.has(e.EventType));
  if (p < 0) p = history.findIndex((e) => e.EventType === EventType.ExecutionCompleted);
  if (p < 0) p = history.length;

  const drop = new Set<number>();
  const children: string[] = [];
  history.forEach((e, i) => {
    if (e.EventType === EventType.ExecutionCompleted) {
      drop.add(i);
      return;
    }
    if (!SCHEDULING.has(e.EventType)) return;
    const isCall = e.EventType === EventType.EventSent;
    const req = isCall ? requestOf(e) : {};
    const ci = isCall
      ? req.id
        ? completionIndex.get(`e:${req.id}`)
        : undefined
      : completionIndex.get(`t:${e.EventId}`);
    const completion = ci === undefined ? undefined : history[ci];
    const removeBoth = () => {
      drop.add(i);
      if (ci !== undefined) drop.add(ci);
    };
    if (i > p) return removeBoth();
    if (isCall) {
      if (req.signal) return;
      if (!completion) removeBoth();
      return;
    }
    if (completion && !FAILURES.has(completion.EventType)) return; // succeeded: keep
    if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
      const child = String(e.InstanceId ?? '');
      const state = child ? childState(child) : 'other';
      if (state === 'failed') {
        children.push(child);
        if (ci !== undefined) drop.add(ci);
        return;
      }
      if (state === 'active' && !completion) return; // still running: its result will arrive
    }
    removeBoth();
  });
  return { history: history.filter((_, i) => !drop.has(i)), children };
}
