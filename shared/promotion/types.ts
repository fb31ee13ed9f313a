/**
 * Data passed between the promotion orchestrator and its activities (all JSON; validated where it enters an
 * activity). The orchestrator holds only these values; every fact about the world comes from an activity.
 */
import type { AuthorSource } from '../decisions/approval';
import type { ChampionComparison } from '../decisions/champion';
import type { ThresholdResult } from '../decisions/thresholds';
import type { CheckSeverity, CheckStatus, ValidationVerdict } from '../decisions/verdict';
import type { Check, ResolvedModelPolicy } from '../policy';
import type { DeploymentJobTagResult } from '../registry/deployment-job';
import type { ServingRollout } from '../serving/types';

/** What the promotion knows about the version under test, gathered once by `promotionLoadContext`. */
export interface VersionInfo {
  name: string;
  version: string;
  status: string;
  runId: string | undefined;
  source: string | undefined;
  author: string | undefined;
  /** Where `author` came from (absent on versions built by other workflows: 'event' when author is set, else 'unknown'). */
  authorSource?: AuthorSource;
  description: string | undefined;
  tags: Record<string, string>;
  aliases: string[];
  currentStage: string | undefined;
  createdAt: string | undefined;
  gitCommit: string | undefined;
  /** Link to the retraining run that produced the version, when its tags carry one. */
  retrainingRun: string | undefined;
}

export interface TriggerInfo {
  kind: 'model-version-created' | 'promote-requested';
  eventId: string;
  triggeredBy: string | undefined;
  requestId: string | undefined;
  reason: string | undefined;
  targetAlias: string | undefined;
}

export type LoadContextResult =
  | { ok: true; model: VersionInfo; policy: ResolvedModelPolicy; trigger: TriggerInfo; policySource: string }
  | {
      ok: false;
      code: 'VERSION_NOT_READY' | 'POLICY_NO_MODEL' | 'POLICY_INVALID' | 'VERSION_NOT_FOUND' | 'EVENT_INVALID';
      reason: string;
      model?: { name: string; version: string };
      trigger?: TriggerInfo;
    };

/** One validation result as recorded and reported. */
export interface ValidationResult {
  id: string;
  type: Check['type'];
  severity: CheckSeverity;
  status: CheckStatus;
  message: string;
  startedAt: string;
  finishedAt: string;
  attempts: number;
  thresholds?: ThresholdResult[];
  champion?: ChampionComparison & { championVersion?: string };
  missing?: string[];
  job?: { runRef: string; state: string; resultSummary?: string; outputTail?: string };
}

export interface ReportLinks {
  json: string;
  html: string;
  junit: string;
}

export interface AliasChange {
  alias: string;
  before: string | null;
  after: string | null;
  at: string;
}

export interface PromoteResult {
  mode: 'aliases' | 'stages';
  previousChampion: string | null;
  changes: AliasChange[];
}

export interface DeployOutcome {
  action: 'none' | 'batch-scoring' | 'serving-endpoint';
  state: 'SKIPPED' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'TIMED_OUT';
  runRef?: string;
  resultSummary?: string;
  outputTail?: string;
  startedAt?: string;
  finishedAt?: string;
  /** serving-endpoint deploys by Stagecraft: endpoint config before/after, phases, A/B results. */
  serving?: ServingRollout;
}

export type PromotionOutcome =
  | 'promoted'
  | 'blocked'
  | 'rejected'
  | 'expired'
  | 'failed'
  | 'not-ready'
  | 'no-policy'
  | 'invalid-policy'
  | 'cancelled';

export interface ApprovalSummary {
  approvalId: string;
  status: string;
  reason?: string;
  required: boolean;
  minApprovals?: number;
  authorSource?: AuthorSource;
  authorNote?: string;
  votes: Array<{ approver: string; verdict: string; at: string; comment?: string }>;
  createdAt?: string;
  closedAt?: string;
  escalations: number[];
  remindersSent: number;
}

/** The one record that joins everything about one promotion run. */
export interface PromotionRecord {
  promotionId: string;
  instanceId: string;
  model: string;
  version: string;
  outcome: PromotionOutcome;
  reason: string;
  runId?: string;
  gitCommit?: string;
  retrainingRun?: string;
  author?: string;
  authorSource?: AuthorSource;
  trigger?: TriggerInfo;
  dryRun?: boolean;
  verdict?: ValidationVerdict;
  validations: ValidationResult[];
  report?: ReportLinks;
  approval?: ApprovalSummary;
  aliasBefore?: Record<string, string | null>;
  aliasAfter?: Record<string, string | null>;
  previousChampion?: string | null;
  aliasChanges?: AliasChange[];
  deploy?: DeployOutcome;
  /** Unity Catalog deployment job approval tag written from the decision (approval.deploymentJobTag). */
  deploymentJobTag?: DeploymentJobTagResult;
  eventPublished?: boolean;
  startedAt: string;
  finishedAt: string;
  steps: Array<{ step: string; at: string }>;
}
