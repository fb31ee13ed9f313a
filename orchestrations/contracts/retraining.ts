/** Descriptors of the retraining activities (names from shared/retraining/names.ts, unchanged). */
import { z } from 'zod';
import {
  RunInput,
  type BeginInput,
  type BeginResult,
  type EffectsInput,
  type FinishInput,
  type PrepareResult,
} from '../../shared/retraining/contract';
import { RETRAINING_ACTIVITIES as N } from '../../shared/retraining/names';
import { activity } from '../lib/typed';

const id = z.string().min(1);

export interface ApprovalStateResult {
  pendingApproval?: { requestId: string };
}
export interface RunStatusResult {
  finished: boolean;
  outcome?: string;
}

export const RetrainingActivities = {
  begin: activity(N.begin, z.object({ model: id, coordinatorId: id, records: z.array(z.unknown()) })).returns<
    BeginResult,
    BeginInput
  >(),
  approvalState: activity(N.approvalState, z.object({ model: id })).returns<ApprovalStateResult>(),
  effects: activity(
    N.effects,
    z.object({
      model: id,
      coordinatorId: id,
      records: z.array(z.unknown()),
      wakes: z.array(z.object({ id, dueAt: z.string() })),
      startRun: z.object({ runId: id }).optional(),
    }),
  ).returns<{ records: number; wakes: number }, EffectsInput>(),
  runStatus: activity(N.runStatus, z.object({ runId: id })).returns<RunStatusResult>(),
  runPrepare: activity(N.runPrepare, RunInput).returns<PrepareResult>(),
  runFinish: activity(
    N.runFinish,
    z.object({
      run: RunInput,
      startedAt: z.string(),
      outcome: z.enum(['SUCCEEDED', 'FAILED', 'CANCELED', 'TIMED_OUT', 'ERROR']),
    }),
  ).returns<boolean, FinishInput>(),
  raise: activity(N.raise, z.object({ instanceId: id, payload: z.unknown() })).returns<
    boolean,
    { instanceId: string; payload: unknown }
  >(),
} as const;
