/** Orchestration, activity and event names of the promotion workflow (one place, shared by callers and tests). */
export const PROMOTION = 'modelPromotion';
export const PROMOTION_CHECK = 'promotionCheck';
export const ROLLBACK = 'modelRollback';

export const PROMOTION_ACTIVITIES = {
  loadContext: 'promotionLoadContext',
  runCheck: 'promotionRunCheck',
  recordValidation: 'promotionRecordValidation',
  writeReport: 'promotionWriteReport',
  notify: 'promotionNotify',
  setChallenger: 'promotionSetChallenger',
  createApproval: 'promotionCreateApproval',
  readApproval: 'promotionReadApproval',
  approvalDeadline: 'promotionApprovalDeadline',
  approvalTimerEvent: 'promotionApprovalTimerEvent',
  promote: 'promotionPromote',
  publishPromoted: 'promotionPublishPromoted',
  writeRecord: 'promotionWriteRecord',
  deploymentJobTag: 'promotionDeploymentJobTag',
  rollbackPlan: 'rollbackPlan',
  rollbackApply: 'rollbackApply',
  rollbackRecord: 'rollbackRecord',
} as const;

/** External event raised into a promotion when a decision was accepted (payload: the approval id). */
export const APPROVAL_DECISION_EVENT = 'ApprovalDecision';
