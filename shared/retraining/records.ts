import type { RunStep } from '../runs/store';
import { RETRAINING } from './names';
import type { DecisionAggregate } from './state';

/** A decision aggregate as a run step of the coordinator (same row as it grows: name and time are fixed). */
export function decisionStep(coordinatorId: string, d: DecisionAggregate): RunStep {
  const times = d.count > 1 ? ` (x${d.count}, last ${d.lastAt})` : '';
  return {
    instanceId: coordinatorId,
    name: `decision-${String(d.seq).padStart(8, '0')}`,
    at: d.at,
    workflow: RETRAINING.coordinator,
    kind: `decision.${d.kind}`,
    status: d.action,
    title: `${d.kind} trigger ${d.action}${d.action === 'start' ? ` ${d.runId ?? ''}` : ''}: ${d.reason}${times} - ${d.message}`,
    data: d,
  };
}
