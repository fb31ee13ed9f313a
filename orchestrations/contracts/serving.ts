/** Descriptors of the serving activities (names from shared/serving/types.ts, unchanged). */
import { z } from 'zod';
import type { CheckEvaluation } from '../../shared/promotion/checks';
import {
  SERVING_ACTIVITIES as N,
  type ServingAbTestInput,
  type ServingApplyInput,
  type ServingReadInput,
  type ServingState,
} from '../../shared/serving/types';
import { activity, anObject } from '../lib/typed';

const endpoint = z.string().min(1);
const runner = z.enum(['databricks', 'local']);

export const ServingActivities = {
  read: activity(N.read, z.object({ endpoint, runner })).returns<ServingState, ServingReadInput>(),
  apply: activity(N.apply, z.object({ endpoint, runner, config: anObject, create: z.boolean() })).returns<
    ServingState,
    ServingApplyInput
  >(),
  abTest: activity(
    N.abTest,
    z.object({
      endpoint,
      id: z.string().min(1),
      check: z.object({ type: z.literal('ab-test') }),
      championVersion: z.string(),
      challengerVersion: z.string(),
      since: z.string(),
    }),
  ).returns<CheckEvaluation, ServingAbTestInput>(),
} as const;
