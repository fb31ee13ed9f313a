import type { ConfigInput } from '../adapters/databricks-serving/types';

export type { ConfigInput };
import type { Check, Deploy } from '../policy';
import type { ValidationResult, VersionInfo } from '../promotion/types';

/** The serving-endpoint deploy section of a model policy (Stagecraft configures the endpoint: no `job`). */
export type ServingDeploy = Extract<Deploy, { action: 'serving-endpoint' }>;
export type AbTestCheck = Extract<Check, { type: 'ab-test' }>;

/** A config as it can be PUT back (served entities + routes): what `before`/`after` in the record hold. */
export type ServingSnapshot = ConfigInput & { configVersion?: number };

export type UpdateProgress = 'done' | 'in-progress' | 'failed';

export interface ServingState {
  exists: boolean;
  snapshot: ServingSnapshot | null;
  ready: string | undefined;
  configUpdate: string | undefined;
  progress: UpdateProgress;
}

export interface ServingRolloutInput {
  promotionInstanceId: string;
  model: VersionInfo;
  endpoint: string;
  deploy: ServingDeploy;
  /** Enabled ab-test checks by id, run as the gate before traffic moves to 100%. */
  abChecks: Array<[string, AbTestCheck]>;
  /** Rollback redeploys switch directly (no split, no gate). */
  direct?: boolean;
}

export interface ServingPhase {
  phase: 'read' | 'split' | 'hold' | 'gate' | 'full' | 'restore';
  at: string;
  outcome: 'ok' | 'failed' | 'skipped';
  detail?: string;
}

export interface ServingRollout {
  endpoint: string;
  runner: 'databricks' | 'local';
  state: 'SUCCEEDED' | 'FAILED' | 'GATE_FAILED' | 'TIMED_OUT';
  reason: string;
  before: ServingSnapshot | null;
  after: ServingSnapshot | null;
  championVersion?: string;
  challengerTraffic?: number;
  phases: ServingPhase[];
  ab: ValidationResult[];
  /** Set when a failure put the previous config back (true) or could not (false). */
  restored?: boolean;
}

export const SERVING_ROLLOUT = 'servingRollout';
export const SERVING_ACTIVITIES = {
  read: 'servingRead',
  apply: 'servingApply',
  abTest: 'servingAbTest',
} as const;

export interface ServingReadInput {
  endpoint: string;
  runner: 'databricks' | 'local';
}
export interface ServingApplyInput {
  endpoint: string;
  runner: 'databricks' | 'local';
  config: ConfigInput;
  create: boolean;
}
export interface ServingAbTestInput {
  endpoint: string;
  id: string;
  check: AbTestCheck;
  championVersion: string;
  challengerVersion: string;
  since: string;
}
