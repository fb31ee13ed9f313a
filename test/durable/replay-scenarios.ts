/**
 * One scripted run per (orchestrator, waiting point): each drives the harness until the instance waits at that point
 * (an activity, a timer, an external event, a sub-orchestration). replay-fixtures.test.ts records their histories as
 * fixtures and replays them against the current code. Activity answers are realistic values built with the app's own
 * pure helpers (policy parser, approval model), so the orchestrators take their real paths.
 */
import { newRequest, rulesFromPolicy, type ApprovalRequest } from '../../shared/approvals/model';
import { parsePolicyObject } from '../../shared/policy/parse';
import { resolvePolicy } from '../../shared/policy/resolve';
import type { Policy } from '../../shared/policy';
import { APPROVAL_DECISION_EVENT } from '../../shared/promotion/names';
import type { VersionInfo } from '../../shared/promotion/types';
import { RETRAIN_TRIGGER_EVENT } from '../../shared/retraining/trigger';
import { type Handler, type HarnessOptions, OrchestratorHarness, PENDING } from './harness';

export interface Scenario {
  orchestrator: string;
  point: string;
  /** What the instance waits on at this point (for people reading the fixture). */
  waitsOn: string;
  input: unknown;
  instanceId: string;
  activities?: Record<string, Handler>;
  subOrchestrations?: Record<string, Handler>;
  /** Events raised and time advanced after the start, in order. */
  then?: (h: OrchestratorHarness) => Promise<void>;
}

const T0 = '2024-01-01T00:00:00.000Z';

const policy: Policy = parsePolicyObject({
  version: 1,
  channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' } },
  defaults: {
    validations: { tags: { type: 'required-tags', tags: ['git_commit'] } },
    approval: {
      required: true,
      approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] },
      minApprovals: 1,
      reminderEvery: '4h',
      deadline: '3d',
      onDeadline: 'reject',
    },
    deploy: { action: 'none' },
    notify: ['hook'],
  },
  models: {
    fraud: {},
    churn: {
      validations: {
        holdout: {
          type: 'job',
          retries: 1,
          backoff: '1m',
          job: { runner: 'local', command: 'python holdout.py', timeout: '10m' },
        },
      },
    },
    serving: {
      deploy: {
        action: 'serving-endpoint',
        endpoint: 'serving-ep',
        rollout: { challengerTraffic: 10, hold: '10m', updateTimeout: '20m', pollEvery: '30s' },
      },
    },
  },
});

const version = (name: string, v: string): VersionInfo => ({
  name,
  version: v,
  status: 'READY',
  runId: 'run-1',
  source: undefined,
  author: 'carol@contoso.com',
  authorSource: 'registry-user-id',
  description: 'a model',
  tags: { git_commit: 'abc123' },
  aliases: [],
  currentStage: undefined,
  createdAt: T0,
  gitCommit: 'abc123',
  retrainingRun: undefined,
});

export const promotionEvent = (model: string, v: string) => ({
  specversion: '1.0',
  id: `mlflow:${model}:${v}`,
  type: 'stagecraft.model.version.created',
  source: '/stagecraft/test',
  time: T0,
  data: { model: { name: model, version: v } },
});

const loaded = (model: string, v: string) => ({
  ok: true,
  model: version(model, v),
  policy: resolvePolicy(policy, model),
  policySource: 'test',
  trigger: {
    kind: 'model-version-created',
    eventId: `mlflow:${model}:${v}`,
    triggeredBy: undefined,
    requestId: undefined,
    reason: undefined,
    targetAlias: undefined,
  },
});

const aliases = {
  previousChampion: null,
  changes: [],
  aliasBefore: { champion: null, challenger: null },
  aliasAfter: { champion: null, challenger: '7' },
};

/**
 * An approval store like the real activities: create/read answer the stored request (pending until `approve()`).
 */
export function approvalStore(): { handlers: Record<string, Handler>; approve: () => void } {
  const approval = resolvePolicy(policy, 'fraud').policy.approval;
  let last: ApprovalRequest | undefined;
  return {
    handlers: {
      promotionCreateApproval: (input, c) => {
        const i = input as {
          instanceId: string;
          kind?: string;
          model: { name: string; version: string };
          execution?: string;
        };
        last = newRequest(
          {
            approvalId: `${i.instanceId}:approval:${i.execution ?? ''}`,
            instanceId: i.instanceId,
            eventName: APPROVAL_DECISION_EVENT,
            ...(i.kind ? { kind: i.kind } : {}),
            model: i.model.name,
            version: i.model.version,
            rules: rulesFromPolicy(approval),
          },
          c.now.getTime(),
        );
        return last;
      },
      promotionReadApproval: () => last,
      promotionApprovalTimerEvent: () => last,
    },
    approve: () => {
      if (last)
        last = {
          ...last,
          status: 'approved',
          votes: [{ approver: 'alice@contoso.com', verdict: 'approve', atMs: Date.parse(T0) }],
        };
    },
  };
}
const approvalActivities = (): Record<string, Handler> => approvalStore().handlers;

export const promotionActivities = (): Record<string, Handler> => ({
  promotionLoadContext: (i) =>
    loaded(
      (i as { event: { data: { model: { name: string; version: string } } } }).event.data.model.name,
      (i as { event: { data: { model: { name: string; version: string } } } }).event.data.model.version,
    ),
  promotionWriteReport: () => ({ html: 'http://127.0.0.1/report.html', json: 'http://127.0.0.1/report.json' }),
  promotionNotify: () => [],
  promotionSetChallenger: () => aliases,
  promotionPromote: () => aliases,
  promotionPublishPromoted: () => ({ published: true }),
  promotionWriteRecord: () => undefined,
  ...approvalActivities(),
});

export const passed = (id: string) => ({
  id,
  type: 'required-tags',
  severity: 'blocking',
  status: 'passed',
  message: 'ok',
  startedAt: T0,
  finishedAt: T0,
  attempts: 1,
});

const git = {
  provider: 'github',
  repo: 'contoso/models',
  branch: 'main',
  commit: 'abc123',
  actor: 'dave',
  policyKey: 'contoso/models',
};
const plannedJob = {
  ref: { kind: 'pipeline-suite', repo: 'contoso/models', suite: 'unit' },
  vars: {},
  runner: 'local',
  timeoutSeconds: 600,
};
const runRef = { runner: 'local', runId: 'job-1', key: 'k', startedAt: T0, timeoutMs: 600_000 };
const jobOut = { runRef: 'job-1', state: 'SUCCEEDED', startedAt: T0, finishedAt: T0 };
const rollbackInput = {
  model: 'fraud',
  toVersion: '5',
  reason: 'regression in prod',
  requestedBy: 'erin@contoso.com',
  requestId: 'req-1',
};
const rollbackPlan = (approvedChampion: boolean, requireApproval: boolean) => {
  const p = resolvePolicy(policy, 'fraud').policy;
  return {
    ok: true,
    target: version('fraud', '5'),
    current: '7',
    promotion: p.promotion,
    deploy: p.deploy,
    notify: p.notify,
    championRole: 'champion',
    approval: p.approval,
    rollback: { ...p.rollback, requireApproval },
    standing: approvedChampion
      ? {
          approvedChampion: true,
          promotionInstanceId: 'promotion:fraud:5',
          approvedBy: ['alice@contoso.com'],
          reason: 'v5 was champion through promotion:fraud:5',
        }
      : { approvedChampion: false, reason: 'v5 was never champion' },
  };
};
const runInput = {
  runId: 'retraining:fraud:1',
  model: 'fraud',
  coordinatorId: 'retraining:fraud',
  triggerKind: 'drift',
  triggerId: 'alert-1',
  reason: 'drift',
  parameters: {},
};
const servingInput = (exists: boolean) => ({
  promotionInstanceId: 'promotion:serving:7',
  model: version('serving', '7'),
  endpoint: 'serving-ep',
  abChecks: [],
  deploy: resolvePolicy(policy, 'serving').policy.deploy,
  ...(exists ? {} : {}),
});
const servingState = (exists: boolean) => ({
  exists,
  snapshot: null,
  ready: undefined,
  configUpdate: undefined,
  progress: 'done',
});

export const SCENARIOS: Scenario[] = [
  // modelPromotion
  {
    orchestrator: 'modelPromotion',
    point: 'load-context',
    waitsOn: 'activity promotionLoadContext',
    input: { event: promotionEvent('fraud', '7') },
    instanceId: 'promotion:fraud:7',
  },
  {
    orchestrator: 'modelPromotion',
    point: 'validations',
    waitsOn: 'sub-orchestration promotionCheck',
    input: { event: promotionEvent('fraud', '7') },
    instanceId: 'promotion:fraud:7',
    activities: { promotionLoadContext: promotionActivities().promotionLoadContext! },
  },
  {
    orchestrator: 'modelPromotion',
    point: 'approval',
    waitsOn: `external event ${APPROVAL_DECISION_EVENT} or the reminder timer`,
    input: { event: promotionEvent('fraud', '7') },
    instanceId: 'promotion:fraud:7',
    activities: promotionActivities(),
    subOrchestrations: { promotionCheck: (i) => passed((i as { id: string }).id) },
  },
  {
    orchestrator: 'modelPromotion',
    point: 'approval-after-reminder',
    waitsOn: `external event ${APPROVAL_DECISION_EVENT} or the next reminder timer`,
    input: { event: promotionEvent('fraud', '7') },
    instanceId: 'promotion:fraud:7',
    activities: promotionActivities(),
    subOrchestrations: { promotionCheck: (i) => passed((i as { id: string }).id) },
    then: async (h) => {
      await h.advance(4 * 3600_000);
    },
  },
  ((store) => ({
    orchestrator: 'modelPromotion',
    point: 'publish',
    waitsOn: 'activity promotionPublishPromoted',
    input: { event: promotionEvent('fraud', '7') },
    instanceId: 'promotion:fraud:7',
    activities: { ...promotionActivities(), ...store.handlers, promotionPublishPromoted: () => PENDING },
    subOrchestrations: { promotionCheck: (i) => passed((i as { id: string }).id) },
    then: async (h) => {
      store.approve();
      await h.raise(APPROVAL_DECISION_EVENT, { approvalId: 'promotion:fraud:7', status: 'approved' });
    },
  }))(approvalStore()),
  // promotionCheck
  {
    orchestrator: 'promotionCheck',
    point: 'run-check',
    waitsOn: 'activity promotionRunCheck',
    input: {
      promotionInstanceId: 'promotion:fraud:7',
      id: 'tags',
      check: resolvePolicy(policy, 'fraud').policy.validations['tags'],
      model: version('fraud', '7'),
      promotion: resolvePolicy(policy, 'fraud').policy.promotion,
      vars: {},
    },
    instanceId: 'promotion:fraud:7:check:tags',
  },
  {
    orchestrator: 'promotionCheck',
    point: 'job',
    waitsOn: 'sub-orchestration runJob',
    input: {
      promotionInstanceId: 'promotion:churn:3',
      id: 'holdout',
      check: resolvePolicy(policy, 'churn').policy.validations['holdout'],
      model: version('churn', '3'),
      promotion: resolvePolicy(policy, 'churn').policy.promotion,
      vars: {},
    },
    instanceId: 'promotion:churn:3:check:holdout',
  },
  {
    orchestrator: 'promotionCheck',
    point: 'job-retry-backoff',
    waitsOn: 'timer before the second job attempt',
    input: {
      promotionInstanceId: 'promotion:churn:3',
      id: 'holdout',
      check: resolvePolicy(policy, 'churn').policy.validations['holdout'],
      model: version('churn', '3'),
      promotion: resolvePolicy(policy, 'churn').policy.promotion,
      vars: {},
    },
    instanceId: 'promotion:churn:3:check:holdout',
    subOrchestrations: { runJob: () => ({ ...jobOut, state: 'FAILED' }) },
  },
  // modelRollback
  {
    orchestrator: 'modelRollback',
    point: 'plan',
    waitsOn: 'activity rollbackPlan',
    input: rollbackInput,
    instanceId: 'rollback:fraud:req-1',
  },
  {
    orchestrator: 'modelRollback',
    point: 'approval',
    waitsOn: `external event ${APPROVAL_DECISION_EVENT} or the reminder timer`,
    input: rollbackInput,
    instanceId: 'rollback:fraud:req-1',
    activities: { rollbackPlan: () => rollbackPlan(true, true), ...approvalActivities() },
  },
  {
    orchestrator: 'modelRollback',
    point: 'promotion',
    waitsOn: 'sub-orchestration modelPromotion',
    input: rollbackInput,
    instanceId: 'rollback:fraud:req-1',
    activities: { rollbackPlan: () => rollbackPlan(false, false) },
  },
  {
    orchestrator: 'modelRollback',
    point: 'move',
    waitsOn: 'activity rollbackApply',
    input: rollbackInput,
    instanceId: 'rollback:fraud:req-1',
    activities: { rollbackPlan: () => rollbackPlan(true, false) },
  },
  // runJob
  {
    orchestrator: 'runJob',
    point: 'start',
    waitsOn: 'activity jobStart',
    input: { ref: plannedJob.ref, vars: {}, idempotencyKey: 'ci:1:unit', label: 'ci unit' },
    instanceId: 'ci:1:suite:unit',
  },
  {
    orchestrator: 'runJob',
    point: 'poll-wait',
    waitsOn: 'job-finished event or the poll timer',
    input: { ref: plannedJob.ref, vars: {}, idempotencyKey: 'ci:1:unit', label: 'ci unit' },
    instanceId: 'ci:1:suite:unit',
    activities: { jobStart: () => ({ runRef: 'job-1', ref: runRef }), jobStatus: () => ({ state: 'RUNNING' }) },
  },
  {
    orchestrator: 'runJob',
    point: 'second-poll',
    waitsOn: 'activity jobStatus (after the first poll timer)',
    input: { ref: plannedJob.ref, vars: {}, idempotencyKey: 'ci:1:unit', label: 'ci unit' },
    instanceId: 'ci:1:suite:unit',
    activities: {
      jobStart: () => ({ runRef: 'job-1', ref: runRef }),
      jobStatus: (_i, c) => (c.attempt === 1 ? { state: 'RUNNING' } : PENDING),
    },
    then: async (h) => {
      await h.fireNextTimer();
    },
  },
  // ciPipeline
  {
    orchestrator: 'ciPipeline',
    point: 'plan',
    waitsOn: 'activity ciPlan',
    input: { event: { id: 'git:1' } },
    instanceId: 'ci:1',
  },
  {
    orchestrator: 'ciPipeline',
    point: 'suites',
    waitsOn: 'sub-orchestrations runJob (fan-out)',
    input: { event: { id: 'git:1' } },
    instanceId: 'ci:1',
    activities: {
      ciPlan: () => ({
        skip: false,
        git,
        suites: [
          { ...plannedJob, name: 'unit', required: true },
          { ...plannedJob, name: 'integration', required: false },
        ],
        timeoutSeconds: 600,
        startedAt: T0,
      }),
    },
  },
  {
    orchestrator: 'ciPipeline',
    point: 'finish',
    waitsOn: 'activity ciFinish',
    input: { event: { id: 'git:1' } },
    instanceId: 'ci:1',
    activities: {
      ciPlan: () => ({
        skip: false,
        git,
        suites: [{ ...plannedJob, name: 'unit', required: true }],
        timeoutSeconds: 600,
        startedAt: T0,
      }),
    },
    subOrchestrations: { runJob: () => jobOut },
  },
  // releaseDeployment
  {
    orchestrator: 'releaseDeployment',
    point: 'plan',
    waitsOn: 'activity releasePlan',
    input: { event: { id: 'git:2' } },
    instanceId: 'release:1',
  },
  {
    orchestrator: 'releaseDeployment',
    point: 'approval',
    waitsOn: `external event ${APPROVAL_DECISION_EVENT} or the reminder timer`,
    input: { event: { id: 'git:2' } },
    instanceId: 'release:1',
    activities: {
      releasePlan: () => ({
        skip: false,
        git,
        definitions: [{ name: 'nightly', file: 'jobs/nightly.json' }],
        approval: resolvePolicy(policy, 'fraud').policy.approval,
        startedAt: T0,
        smoke: plannedJob,
      }),
      ...approvalActivities(),
    },
  },
  {
    orchestrator: 'releaseDeployment',
    point: 'smoke',
    waitsOn: 'sub-orchestration runJob',
    input: { event: { id: 'git:2' } },
    instanceId: 'release:1',
    activities: {
      releasePlan: () => ({
        skip: false,
        git,
        definitions: [{ name: 'nightly', file: 'jobs/nightly.json' }],
        startedAt: T0,
        smoke: plannedJob,
      }),
      releaseApply: () => [
        {
          name: 'nightly',
          file: 'jobs/nightly.json',
          target: 'nightly',
          changed: true,
          afterHash: 'h',
          changedKeys: ['tasks'],
        },
      ],
    },
  },
  // scheduledJob
  {
    orchestrator: 'scheduledJob',
    point: 'plan',
    waitsOn: 'activity scheduledJobPlan',
    input: { job: 'refresh', trigger: 'schedule', scheduledFor: T0 },
    instanceId: 'scheduledJob:refresh:202401010000',
  },
  {
    orchestrator: 'scheduledJob',
    point: 'job',
    waitsOn: 'sub-orchestration runJob',
    input: { job: 'refresh', trigger: 'schedule', scheduledFor: T0 },
    instanceId: 'scheduledJob:refresh:202401010000',
    activities: {
      scheduledJobPlan: () => ({
        skip: false,
        name: 'refresh',
        kind: 'feature-refresh',
        job: plannedJob,
        startedAt: T0,
      }),
    },
  },
  // retrainingCoordinator
  {
    orchestrator: 'retrainingCoordinator',
    point: 'begin',
    waitsOn: 'activity retrainingBegin',
    input: { model: 'fraud' },
    instanceId: 'retraining:fraud',
  },
  {
    orchestrator: 'retrainingCoordinator',
    point: 'trigger',
    waitsOn: `external event ${RETRAIN_TRIGGER_EVENT}`,
    input: { model: 'fraud' },
    instanceId: 'retraining:fraud',
    activities: { retrainingBegin: () => ({ note: 'no rules' }) },
  },
  {
    orchestrator: 'retrainingCoordinator',
    point: 'after-trigger',
    waitsOn: `external event ${RETRAIN_TRIGGER_EVENT} (after recording one ignored trigger)`,
    input: { model: 'fraud' },
    instanceId: 'retraining:fraud',
    activities: {
      retrainingBegin: () => ({ note: 'no rules' }),
      retrainingEffects: (i) => ({ records: (i as { records: unknown[] }).records.length, wakes: 0 }),
    },
    then: async (h) => {
      await h.raise(RETRAIN_TRIGGER_EVENT, {
        kind: 'request',
        id: 'req-1',
        requestedBy: 'erin@contoso.com',
        reason: 'manual',
      });
    },
  },
  // retrainingRun
  {
    orchestrator: 'retrainingRun',
    point: 'prepare',
    waitsOn: 'activity retrainingRunPrepare',
    input: runInput,
    instanceId: runInput.runId,
  },
  {
    orchestrator: 'retrainingRun',
    point: 'training-job',
    waitsOn: 'sub-orchestration runJob',
    input: runInput,
    instanceId: runInput.runId,
    activities: { retrainingRunPrepare: () => ({ vars: {}, runner: 'local', timeoutSeconds: 600, parameters: {} }) },
  },
  // retrainingWake
  {
    orchestrator: 'retrainingWake',
    point: 'timer',
    waitsOn: 'timer until dueAt',
    input: { coordinatorId: 'retraining:fraud', id: 'flush:1', dueAt: '2024-01-01T00:00:01.000Z' },
    instanceId: 'retraining:fraud:wake:flush:1',
  },
  // servingRollout
  {
    orchestrator: 'servingRollout',
    point: 'read',
    waitsOn: 'activity servingRead',
    input: servingInput(true),
    instanceId: 'promotion:serving:7:serving',
  },
  {
    orchestrator: 'servingRollout',
    point: 'create-endpoint',
    waitsOn: 'activity servingApply (new endpoint, full config)',
    input: servingInput(false),
    instanceId: 'promotion:serving:7:serving',
    activities: { servingRead: () => servingState(false) },
  },
  {
    orchestrator: 'servingRollout',
    point: 'update-poll',
    waitsOn: 'timer between config-update polls',
    input: servingInput(false),
    instanceId: 'promotion:serving:7:serving',
    activities: {
      servingRead: () => servingState(false),
      servingApply: () => ({ ...servingState(true), progress: 'in-progress', configUpdate: 'IN_PROGRESS' }),
    },
  },
];

export function harnessFor(s: Scenario): OrchestratorHarness {
  const opts: HarnessOptions = {
    input: s.input,
    instanceId: s.instanceId,
    start: T0,
    name: s.orchestrator,
    ...(s.activities ? { activities: s.activities } : {}),
    ...(s.subOrchestrations ? { subOrchestrations: s.subOrchestrations } : {}),
  };
  return new OrchestratorHarness(s.orchestrator, opts);
}
