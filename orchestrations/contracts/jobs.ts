/** Descriptors of the job activities (names from shared/jobs/contract.ts, unchanged). */
import { z } from 'zod';
import {
  JOB_ACTIVITIES as N,
  JobStartInput,
  type JobRefInput,
  type JobStartResult,
  type JobStatusResult,
} from '../../shared/jobs/contract';
import { activity } from '../lib/typed';

const RefInput = z.object({
  ref: z.object({
    runner: z.enum(['databricks', 'local']),
    runId: z.string().min(1),
    key: z.string(),
    startedAt: z.string(),
    timeoutMs: z.number(),
  }),
});

export const JobActivities = {
  start: activity(N.start, JobStartInput).returns<JobStartResult>(),
  status: activity(N.status, RefInput).returns<JobStatusResult, JobRefInput>(),
  cancel: activity(N.cancel, RefInput).returns<void, JobRefInput>(),
} as const;
