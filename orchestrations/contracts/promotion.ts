/**
 * Descriptors of the promotion and rollback activities (names from shared/promotion/names.ts, unchanged: in-flight
 * histories name them). Schemas check what an activity relies on; the declared input types are what callers build.
 */
import { z } from 'zod';
import type { ApprovalRequest } from '../../shared/approvals/model';
import type { CheckEvaluation } from '../../shared/promotion/checks';
import type {
  ApprovalDeadlineInput,
  ApprovalRef,
  ApprovalTimerEventInput,
  CreateApprovalInput,
  NotifyInput,
  PromoteInput,
  PromoteOutput,
  PublishPromotedInput,
  RecordValidationInput,
  RunCheckInput,
  SetChallengerInput,
  WriteRecordInput,
  WriteReportInput,
} from '../../shared/promotion/messages';
import { PROMOTION_ACTIVITIES as N } from '../../shared/promotion/names';
import { RollbackInput, type RollbackPlan, type RollbackRecord } from '../../shared/promotion/rollback';
import type { AliasChange, LoadContextResult, ReportLinks } from '../../shared/promotion/types';
import type { AnyStagecraftEvent } from '../../shared/events';
import type { Promotion } from '../../shared/policy';
import type { DeploymentJobTagInput, DeploymentJobTagResult } from '../../shared/registry/deployment-job';
import { activity, anObject } from '../lib/typed';

const id = z.string().min(1);
const versionInfo = z.object({ name: id, version: id });
const modelVersion = { model: id, version: id };

export interface RollbackApplyInput {
  instanceId: string;
  model: string;
  version: string;
  promotion: Promotion;
  actor: string;
  reason: string;
}
export interface RollbackApplyOutput {
  changes: AliasChange[];
  previousChampion: string | null;
}
/** What the notify activity reports per channel (shared/adapters/notify NotifyResult; adapters are off limits here). */
export interface NotifyResult {
  channel: string;
  ok: boolean;
  skipped?: boolean;
  status?: number;
  retryable: boolean;
  error?: string;
}
export interface PublishPromotedOutput {
  published: boolean;
  eventId?: string;
  reason?: string;
}

export const PromotionActivities = {
  loadContext: activity(N.loadContext, z.object({ event: z.unknown().optional(), instanceId: id })).returns<
    LoadContextResult,
    { event?: AnyStagecraftEvent | undefined; instanceId: string }
  >(),
  runCheck: activity(
    N.runCheck,
    z.object({ id, check: z.object({ type: z.string() }), model: versionInfo, promotion: anObject }),
  ).returns<CheckEvaluation, RunCheckInput>(),
  recordValidation: activity(
    N.recordValidation,
    z.object({ promotionInstanceId: id, ...modelVersion, result: z.object({ id, status: z.string() }) }),
  ).returns<void, RecordValidationInput>(),
  writeReport: activity(
    N.writeReport,
    z.object({
      instanceId: id,
      model: versionInfo,
      dryRun: z.boolean(),
      verdict: anObject,
      results: z.array(z.object({ id })),
    }),
  ).returns<ReportLinks, WriteReportInput>(),
  notify: activity(
    N.notify,
    z.object({ event: z.string(), model: z.string(), title: z.string(), text: z.string(), instanceId: id }),
  ).returns<NotifyResult[], NotifyInput>(),
  setChallenger: activity(N.setChallenger, z.object({ instanceId: id, ...modelVersion, promotion: anObject })).returns<
    PromoteOutput,
    SetChallengerInput
  >(),
  createApproval: activity(
    N.createApproval,
    z.object({
      instanceId: id,
      model: versionInfo,
      trigger: anObject,
      approval: anObject,
      summary: z.string(),
      notify: z.array(z.string()),
    }),
  ).returns<ApprovalRequest, CreateApprovalInput>(),
  readApproval: activity(N.readApproval, z.object({ approvalId: id })).returns<ApprovalRequest, ApprovalRef>(),
  approvalDeadline: activity(N.approvalDeadline, z.object({ approvalId: id, atMs: z.number() })).returns<
    ApprovalRequest,
    ApprovalDeadlineInput
  >(),
  approvalTimerEvent: activity(
    N.approvalTimerEvent,
    z.object({
      approvalId: id,
      kind: z.enum(['reminder', 'escalation']),
      index: z.number().int().nonnegative(),
      channels: z.array(z.string()),
    }),
  ).returns<ApprovalRequest, ApprovalTimerEventInput>(),
  promote: activity(
    N.promote,
    z.object({ instanceId: id, ...modelVersion, promotion: anObject, actor: z.string(), reason: z.string() }),
  ).returns<PromoteOutput, PromoteInput>(),
  publishPromoted: activity(
    N.publishPromoted,
    z.object({
      ...modelVersion,
      alias: id,
      previousVersion: z.string().nullable(),
      promotionId: id,
      promotedAt: z.string(),
    }),
  ).returns<PublishPromotedOutput, PublishPromotedInput>(),
  writeRecord: activity(
    N.writeRecord,
    z.object({
      promotionId: id,
      instanceId: id,
      ...modelVersion,
      outcome: z.string(),
      reason: z.string(),
      steps: z.array(z.object({ step: z.string() })),
    }),
  ).returns<void, WriteRecordInput>(),
  deploymentJobTag: activity(N.deploymentJobTag, z.object({ ...modelVersion, tag: id, value: z.string() })).returns<
    DeploymentJobTagResult,
    DeploymentJobTagInput
  >(),
  rollbackPlan: activity(N.rollbackPlan, RollbackInput).returns<RollbackPlan>(),
  rollbackApply: activity(
    N.rollbackApply,
    z.object({ instanceId: id, ...modelVersion, promotion: anObject, actor: z.string(), reason: z.string() }),
  ).returns<RollbackApplyOutput, RollbackApplyInput>(),
  rollbackRecord: activity(
    N.rollbackRecord,
    z.object({
      model: id,
      instanceId: id,
      outcome: z.string(),
      reason: z.string(),
      changes: z.array(z.object({ alias: z.string() })),
    }),
  ).returns<void, RollbackRecord>(),
} as const;
