/** Descriptors of the orchestrators that others call as sub-orchestrations (names unchanged). */
import { RUN_JOB, type RunJobInput, type RunJobOutput } from '../../shared/jobs/contract';
import type { PromotionCheckInput } from '../../shared/promotion/messages';
import { PROMOTION, PROMOTION_CHECK } from '../../shared/promotion/names';
import type { PromotionRecord, ValidationResult } from '../../shared/promotion/types';
import type { AnyStagecraftEvent } from '../../shared/events';
import { SERVING_ROLLOUT, type ServingRollout, type ServingRolloutInput } from '../../shared/serving/types';
import { orchestrator } from '../lib/typed';

export const Orchestrators = {
  runJob: orchestrator<RunJobInput, RunJobOutput>(RUN_JOB),
  promotionCheck: orchestrator<PromotionCheckInput, ValidationResult>(PROMOTION_CHECK),
  modelPromotion: orchestrator<{ event: AnyStagecraftEvent }, PromotionRecord>(PROMOTION),
  servingRollout: orchestrator<ServingRolloutInput, ServingRollout>(SERVING_ROLLOUT),
} as const;
