/**
 * Inputs of the promotion activities (the orchestrator builds them; activities validate the parts they trust).
 */
import type { ApprovalRequest } from '../approvals/model';
import type { NotifyEvent } from '../policy';
import type {
  AliasChange,
  ApprovalSummary,
  PromotionRecord,
  ReportLinks,
  TriggerInfo,
  ValidationResult,
  VersionInfo,
} from './types';
import type { ValidationVerdict } from '../decisions/verdict';
import type { Approval, Check, Promotion } from '../policy';

export interface PromotionCheckInput {
  promotionInstanceId: string;
  id: string;
  check: Check;
  model: VersionInfo;
  promotion: Promotion;
  vars: Record<string, string>;
}

export interface RunCheckInput {
  id: string;
  check: Check;
  model: VersionInfo;
  promotion: Promotion;
}

export interface RecordValidationInput {
  promotionInstanceId: string;
  model: string;
  version: string;
  result: ValidationResult;
}

export interface WriteReportInput {
  instanceId: string;
  model: VersionInfo;
  dryRun: boolean;
  verdict: ValidationVerdict;
  results: ValidationResult[];
}

export interface NotifyInput {
  event: NotifyEvent;
  model: string;
  /** The model's policy decides the channels; escalation steps may name their own. */
  channels?: string[];
  title: string;
  text: string;
  facts?: Record<string, string>;
  link?: string;
  instanceId: string;
}

export interface SetChallengerInput {
  instanceId: string;
  model: string;
  version: string;
  promotion: Promotion;
}

export interface CreateApprovalInput {
  instanceId: string;
  /** Recorded kind of the request (default 'model-promotion'; releases use 'release-deployment'). */
  kind?: string;
  model: VersionInfo;
  trigger: TriggerInfo;
  approval: Approval;
  summary: string;
  reportUrl?: string;
  notify: string[];
  /**
   * The asking execution (replay-safe guid, set by approvalFlow): part of the approval id, so a re-run after a purge
   * gets a new request instead of the old run's decision.
   */
  execution?: string;
}

export interface ApprovalRef {
  approvalId: string;
}

export interface ApprovalDeadlineInput {
  approvalId: string;
  /** The deadline timer's fire time: decisions at or after it lose. */
  atMs: number;
}

export interface ApprovalTimerEventInput {
  approvalId: string;
  kind: 'reminder' | 'escalation';
  index: number;
  /** Channels the escalation step names (default: the model's notify channels). */
  channels: string[];
  reportUrl?: string;
}

export interface PromoteInput {
  instanceId: string;
  model: string;
  version: string;
  promotion: Promotion;
  actor: string;
  reason: string;
}

export interface PromoteOutput {
  previousChampion: string | null;
  changes: AliasChange[];
  aliasBefore: Record<string, string | null>;
  aliasAfter: Record<string, string | null>;
}

export interface PublishPromotedInput {
  model: string;
  version: string;
  alias: string;
  previousVersion: string | null;
  promotionId: string;
  promotedAt: string;
}

export type WriteRecordInput = PromotionRecord;

export type { ApprovalRequest, ApprovalSummary, ReportLinks };
