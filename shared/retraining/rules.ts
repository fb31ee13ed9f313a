/**
 * The retraining rules of one model as the coordinator holds them (serialisable, from the model policy's
 * `retraining` section). Pure.
 */
import type { DriftRule } from '../decisions';

export interface RetrainingRules {
  enabled: boolean;
  drift: DriftRule[];
  cooldown: string;
  maxDelay?: string;
  blockWhilePendingApproval: boolean;
  schedule?: string;
}
