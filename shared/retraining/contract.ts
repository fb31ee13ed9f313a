/**
 * Inputs and outputs of the retraining orchestrations and activities (validated at activity boundaries).
 */
import { z } from 'zod';
import type { RunJobOutput } from '../jobs/contract';
import type { RetrainingRules } from './rules';
import type { CoordinatorState, DecisionAggregate } from './state';

export interface CoordinatorInput {
  model: string;
  state?: CoordinatorState;
}

export interface BeginInput {
  model: string;
  coordinatorId: string;
  records: DecisionAggregate[];
}

export interface BeginResult {
  rules?: RetrainingRules;
  cooldownMs?: number;
  pendingApproval?: { requestId: string };
  /** Why there are no rules (no policy, invalid policy, retraining disabled). */
  note?: string;
}

export interface StartRunInput {
  runId: string;
  model: string;
  coordinatorId: string;
  triggerKind: string;
  triggerId: string;
  reason: string;
  parameters: Record<string, string>;
}

export interface EffectsInput {
  model: string;
  coordinatorId: string;
  records: DecisionAggregate[];
  wakes: Array<{ id: string; dueAt: string }>;
  startRun?: StartRunInput;
}

export const RunInput = z.object({
  runId: z.string().min(1),
  model: z.string().min(1),
  coordinatorId: z.string().min(1),
  triggerKind: z.string().min(1),
  triggerId: z.string().min(1),
  reason: z.string(),
  parameters: z.record(z.string(), z.string()),
});
export type RunInput = z.output<typeof RunInput>;

export type PrepareResult = PreparedTraining | { refused: { code: string; message: string } };

export interface PreparedTraining {
  /** Template variables of the training job (runJob ref `{ kind: 'training', model }`). */
  vars: Record<string, string>;
  runner: 'local' | 'databricks';
  timeoutSeconds: number;
  /** What the job is passed (for the record): no environment values. */
  parameters: Record<string, string>;
}

export interface FinishInput {
  run: RunInput;
  startedAt: string;
  outcome: 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'TIMED_OUT' | 'ERROR';
  job?: RunJobOutput;
  error?: string;
}

export interface RunOutput {
  runId: string;
  model: string;
  outcome: FinishInput['outcome'];
  jobRunRef?: string;
  summary?: string;
  startedAt: string;
  finishedAt: string;
}

export interface WakeInput {
  coordinatorId: string;
  id: string;
  dueAt: string;
}
