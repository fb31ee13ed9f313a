/** Inputs and outputs of the pipelines orchestrations and activities. */
import type { CiVerdict, SuiteResult } from '../decisions/ci';
import type { RunJobOutput } from '../jobs/contract';
import type { JobRef } from '../jobs/catalog';
import type { Approval } from '../policy';
import type { ReportOutcome } from '../vcs/types';

export interface GitContext {
  provider: 'github' | 'azure-devops';
  repo: string;
  branch: string;
  commit: string;
  pullRequest?: number;
  actor?: string;
  policyKey: string;
}

/** A job to run, named by reference into the policy (resolved by the jobStart activity, never a command). */
export interface PlannedJob {
  ref: JobRef;
  vars: Record<string, string>;
  runner: 'local' | 'databricks';
  timeoutSeconds: number;
}

export interface PlannedSuite extends PlannedJob {
  name: string;
  required: boolean;
}

export type CiPlan =
  | { skip: true; reason: string }
  | { skip: false; git: GitContext; suites: PlannedSuite[]; timeoutSeconds: number; startedAt: string };

export interface SuiteOutcome {
  name: string;
  required: boolean;
  state: SuiteResult['state'];
  job?: RunJobOutput;
  error?: string;
}

export interface CiFinishInput {
  instanceId: string;
  git: GitContext;
  startedAt: string;
  results: SuiteOutcome[];
}

export interface CiOutput {
  status: 'skipped' | CiVerdict['state'];
  reason?: string;
  verdict?: CiVerdict;
  junitPath?: string;
  report?: ReportOutcome | { reported: false; detail: string };
}

export interface JobDefinitionRef {
  name: string;
  file: string;
  jobId?: number;
}

export type ReleasePlan =
  | { skip: true; reason: string }
  | {
      skip: false;
      git: GitContext;
      definitions: JobDefinitionRef[];
      smoke?: PlannedJob;
      approval?: Approval;
      startedAt: string;
      /** Channels the approval request (links), reminders and escalations go to: the pipeline's `notify`. */
      approvalNotify?: string[];
    };

export interface DefinitionChange {
  name: string;
  file: string;
  target: string;
  jobId?: number;
  changed: boolean;
  beforeHash?: string;
  afterHash: string;
  changedKeys: string[];
  error?: string;
}

export interface ReleaseApplyInput {
  instanceId: string;
  git: GitContext;
  definitions: JobDefinitionRef[];
}

export interface ReleaseFinishInput {
  instanceId: string;
  git: GitContext;
  startedAt: string;
  outcome: 'DEPLOYED' | 'FAILED' | 'REJECTED' | 'SMOKE_FAILED';
  changes: DefinitionChange[];
  smoke?: RunJobOutput;
  approval?: {
    status: string;
    approvalId?: string;
    reason?: string;
    votes?: Array<{ approver: string; verdict: string; at: string; comment?: string }>;
  };
  error?: string;
}

export interface ScheduledJobInput {
  job: string;
  scheduledFor?: string;
  trigger: 'schedule' | 'http';
  requestedBy?: string;
}

export type ScheduledPlan =
  | { skip: true; reason: string }
  | { skip: false; name: string; kind: string; model?: string; job: PlannedJob; startedAt: string };
