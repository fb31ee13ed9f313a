/**
 * Typed activity descriptors (orchestrations/contracts/): names unchanged from shared/**\/names.ts (in-flight
 * histories name them), and the boundary check registerActivity runs before every handler.
 */
import { describe, expect, it } from 'vitest';
import { ActivityInputError, checkActivityInput } from '../../orchestrations/activities/register';
import { JobActivities } from '../../orchestrations/contracts/jobs';
import { Orchestrators } from '../../orchestrations/contracts/orchestrators';
import { PipelineActivities } from '../../orchestrations/contracts/pipelines';
import { PromotionActivities } from '../../orchestrations/contracts/promotion';
import { RetrainingActivities } from '../../orchestrations/contracts/retraining';
import { ServingActivities } from '../../orchestrations/contracts/serving';
import { JOB_ACTIVITIES, RUN_JOB } from '../../shared/jobs/contract';
import { PIPELINE_ACTIVITIES } from '../../shared/pipelines/names';
import { PROMOTION, PROMOTION_ACTIVITIES, PROMOTION_CHECK } from '../../shared/promotion/names';
import { RETRAINING_ACTIVITIES } from '../../shared/retraining/names';
import { SERVING_ACTIVITIES, SERVING_ROLLOUT } from '../../shared/serving/types';

const names = (o: Record<string, { name: string }>) =>
  Object.fromEntries(Object.entries(o).map(([k, d]) => [k, d.name]));

describe('activity descriptors', () => {
  it('carry exactly the registered names, one descriptor per name', () => {
    expect(names(PromotionActivities)).toEqual(PROMOTION_ACTIVITIES);
    expect(names(JobActivities)).toEqual(JOB_ACTIVITIES);
    expect(names(PipelineActivities)).toEqual(PIPELINE_ACTIVITIES);
    expect(names(RetrainingActivities)).toEqual(RETRAINING_ACTIVITIES);
    expect(names(ServingActivities)).toEqual(SERVING_ACTIVITIES);
    expect(names(Orchestrators)).toEqual({
      runJob: RUN_JOB,
      promotionCheck: PROMOTION_CHECK,
      modelPromotion: PROMOTION,
      servingRollout: SERVING_ROLLOUT,
    });
  });

  it('an input that breaks the schema is a non-retryable ACTIVITY_INPUT_INVALID naming the activity and the field', () => {
    let err: unknown;
    try {
      checkActivityInput(PromotionActivities.approvalDeadline, { approvalId: 'a1', atMs: 'soon' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ActivityInputError);
    const e = err as ActivityInputError;
    expect(e.code).toBe('ACTIVITY_INPUT_INVALID');
    expect(e.retryable).toBe(false);
    expect(e.field).toBe('atMs');
    expect(e.message).toContain("activity 'promotionApprovalDeadline' input.atMs:");
    expect(() => checkActivityInput(ServingActivities.read, { endpoint: 'ep', runner: 'azureml' })).toThrow(
      /servingRead' input\.runner/,
    );
    expect(() => checkActivityInput(JobActivities.status, null)).toThrow(/jobStatus' input:/);
  });

  it('a valid input reaches the handler as sent (extra fields kept, nothing parsed away)', () => {
    const input = { approvalId: 'a1', atMs: 5, note: 'kept' };
    expect(checkActivityInput(PromotionActivities.approvalDeadline, input)).toBe(input);
  });
});
