import { z } from 'zod';
import { tryParseDuration } from '../decisions/duration';
import { Check } from './checks';
import { RetrainParameter, RetrainParameterName, reservedReason } from './parameters';
import { ApproverSet, Cron, Duration, Identifier, JobDef, durationAtLeast } from './schema-common';
import { REGISTRY_KINDS, registryIssues } from './registry-rules';

/** The effective (merged, defaulted) policy of one model. Pure: no I/O. */

// Validation checks: one definition per type (schema, facts, evaluation) in ./checks.
export { Check };

export const EscalationStep = z.strictObject({
  after: Duration.meta({ description: 'Delay after the request was created.' }),
  addApprovers: ApproverSet.optional(),
  notify: z
    .array(Identifier)
    .default([])
    .meta({ description: 'Channel names to notify (default: the model notify channels).' }),
});

export const Approval = z
  .strictObject({
    required: z.boolean().default(true),
    approvers: ApproverSet.default({ users: [], groups: [] }),
    minApprovals: z.int().min(1).default(1),
    excludeAuthor: z.boolean().default(true).meta({ description: "The model version's author may not approve." }),
    excludeTrigger: z.boolean().default(false).meta({ description: 'Whoever triggered the run may not approve.' }),
    reminderEvery: durationAtLeast(60_000, '1m').optional(),
    escalation: z.array(EscalationStep).default([]),
    deadline: Duration.optional(),
    onDeadline: z.enum(['reject', 'approve']).default('reject').meta({
      description:
        "What the deadline does; 'approve' must be written explicitly on a model or pipeline, never inherited from defaults.",
    }),
    unknownAuthor: z.enum(['block', 'require-extra-approval', 'allow']).default('require-extra-approval').meta({
      description:
        "With excludeAuthor, when the version's author is unknown (no registry user_id and no mlflow.user tag on its run): block fails the promotion, require-extra-approval asks for one more approval than minApprovals (capped at the named approvers when there are no groups), allow proceeds as is.",
    }),
    deploymentJobTag: z
      .string()
      .regex(/^[A-Za-z0-9_\-.]{1,100}$/, 'must be a job task key (letters, digits, _ - .)')
      .optional()
      .meta({
        description:
          "Unity Catalog (MLflow 3 deployment jobs): the approval task's name. Stagecraft's decision sets the version tag of that name to approved (or rejected), which the deployment job's approval task waits for.",
      }),
    linkChannel: Identifier.optional().meta({
      description:
        'A direct channel (type direct-webhook or slack-dm) through which each named approver gets their own one-click links. Without it no links are sent: approvers decide through the API or console. Shared channels never carry links.',
    }),
  })
  .superRefine((a, ctx) => {
    if (!a.required) return;
    const escalationUsers = a.escalation.flatMap((s) => s.addApprovers?.users ?? []);
    const escalationGroups = a.escalation.flatMap((s) => s.addApprovers?.groups ?? []);
    if (a.approvers.users.length + a.approvers.groups.length + escalationUsers.length + escalationGroups.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: 'approval is required but no approvers are listed (add users or groups, or set required: false)',
      });
    }
    if (
      a.approvers.groups.length === 0 &&
      escalationGroups.length === 0 &&
      new Set([...a.approvers.users, ...escalationUsers].map((u) => u.toLowerCase())).size < a.minApprovals
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['minApprovals'],
        message: `minApprovals is ${a.minApprovals} but only ${new Set([...a.approvers.users, ...escalationUsers]).size} approver(s) are listed`,
      });
    }
    if (a.onDeadline === 'approve' && a.deadline === undefined) {
      ctx.addIssue({ code: 'custom', path: ['onDeadline'], message: 'onDeadline: approve needs a deadline' });
    }
    const deadline = a.deadline === undefined ? undefined : tryParseDuration(a.deadline);
    a.escalation.forEach((s, i) => {
      const after = tryParseDuration(s.after);
      if (deadline !== undefined && after !== undefined && after >= deadline) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', i, 'after'],
          message: `escalation after ${s.after} would fire at or after the deadline ${a.deadline}`,
        });
      }
      const prev = i > 0 ? tryParseDuration(a.escalation[i - 1]!.after) : undefined;
      if (prev !== undefined && after !== undefined && after <= prev) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', i, 'after'],
          message: 'escalation steps must be in increasing order of delay',
        });
      }
    });
  });
export type Approval = z.output<typeof Approval>;

const AliasName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, { message: 'must be letters, digits, _ or -' })
  .refine((s) => s.toLowerCase() !== 'latest' && !/^v\d+$/i.test(s), {
    message: "MLflow reserves 'latest' and 'v<number>' alias names",
  });

export const Promotion = z
  .strictObject({
    mode: z
      .enum(['aliases', 'stages'])
      .default('aliases')
      .meta({ description: 'aliases (recommended) or legacy stages (Staging/Production).' }),
    challengerAlias: AliasName.default('challenger'),
    championAlias: AliasName.default('champion'),
    archivePrevious: z
      .boolean()
      .default(true)
      .meta({ description: 'stages mode: archive the previous Production version.' }),
  })
  .refine((p) => p.challengerAlias !== p.championAlias, {
    message: 'challengerAlias and championAlias must differ',
    path: ['championAlias'],
  });
export type Promotion = z.output<typeof Promotion>;

const SECRET_REF = /^\{\{secrets\/[A-Za-z0-9_.-]{1,128}\/[A-Za-z0-9_.-]{1,128}\}\}$/;
/** Serving endpoint config and rollout (shared/serving). Secrets only by reference, never as values. */
const ServingDeploy = {
  runner: z.enum(['databricks', 'local']).default('databricks').meta({
    description:
      'databricks: Model Serving REST API; local: the local serving runner (mlflow models serve behind a local proxy, local host only).',
  }),
  entityName: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Served entity (UC model catalog.schema.model); default: the model name.' }),
  workloadSize: z.enum(['Small', 'Medium', 'Large']).default('Small'),
  scaleToZero: z.boolean().default(true),
  environmentVars: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/),
      z.string().regex(SECRET_REF, { message: 'must be a secret reference {{secrets/<scope>/<key>}}' }),
    )
    .default({})
    .meta({
      description: 'Environment variables of the served entity, by secret reference {{secrets/scope/key}} only.',
    }),
  rollout: z
    .strictObject({
      challengerTraffic: z.int().min(0).max(50).default(10).meta({
        description:
          'Percent of traffic the new version gets beside the serving one during the hold; 0 switches directly.',
      }),
      hold: Duration.default('30m').meta({
        description: 'How long the split runs before the ab-test checks gate the move to 100%.',
      }),
      updateTimeout: Duration.default('30m').meta({
        description: 'Bound on each wait for state.config_update to leave IN_PROGRESS.',
      }),
      pollEvery: Duration.default('30s'),
    })
    .prefault({}),
};

export const Deploy = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('none') }),
  z.strictObject({ action: z.literal('batch-scoring'), job: JobDef }),
  z.strictObject({
    action: z.literal('serving-endpoint'),
    endpoint: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, { message: 'must be 1-63 letters, digits, - or _' }),
    job: JobDef.optional().meta({
      description:
        'A job that deploys instead of Stagecraft (legacy). Without it Stagecraft configures the endpoint itself with a rollout.',
    }),
    ...ServingDeploy,
  }),
]);
export type Deploy = z.output<typeof Deploy>;

export const DriftRule = z
  .strictObject({
    metric: z.string().min(1),
    threshold: z.number(),
    direction: z
      .enum(['above', 'below'])
      .default('above')
      .meta({ description: "'above': value > threshold drifts (distances); 'below' for p-values." }),
    n: z.int().min(1),
    m: z.int().min(1),
    requireLatest: z.boolean().default(true),
  })
  .refine((r) => r.n <= r.m, { message: 'n must not exceed m', path: ['n'] });
export type DriftRule = z.output<typeof DriftRule>;

export const Retraining = z
  .strictObject({
    enabled: z.boolean().default(true),
    trainingJob: JobDef,
    schedule: Cron.optional().meta({
      description:
        'Five-field cron in UTC (minute hour day-of-month month day-of-week) for scheduled retraining. Only on an exact model name: in defaults or on a glob entry it is a policy error (a glob names no model to retrain).',
    }),
    drift: z.array(DriftRule).default([]),
    cooldown: Duration.default('24h'),
    maxDelay: Duration.optional().meta({
      description: 'Upper bound on how long a suppressed drift trigger waits for its trailing run.',
    }),
    blockWhilePendingApproval: z.boolean().default(true),
    parameters: z.record(RetrainParameterName, RetrainParameter).default({}).meta({
      description:
        'What a manual retrain request may set (body `parameters`), with its type and bounds. None declared: requests with parameters are refused. Names that steer the process (NODE_OPTIONS, LD_*, PYTHON*, PATH...) or provenance (tracking_uri, git_commit...) or that the training job already sets are refused always.',
    }),
  })
  .superRefine((r, ctx) => {
    for (const name of Object.keys(r.parameters)) {
      const reason = reservedReason(name, r.trainingJob);
      if (reason)
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', name],
          message: `'${name}' may never be a request parameter: ${reason}`,
        });
    }
  });
export type Retraining = z.output<typeof Retraining>;

export const NotifyEvent = z.enum([
  'validation.passed',
  'validation.failed',
  'approval.requested',
  'approval.reminder',
  'approval.escalated',
  'approval.decided',
  'model.promoted',
  'model.rolled_back',
  'deploy.failed',
  'retrain.started',
  'retrain.suppressed',
  'retrain.finished',
  'ci.finished',
  'release.finished',
  'job.failed',
]);
export type NotifyEvent = z.output<typeof NotifyEvent>;

export const RollbackPolicy = z.strictObject({
  requireApproval: z.boolean().default(false).meta({
    description:
      "Every rollback waits for an approval (kind 'rollback') under the model's approval rules; the requester may not approve it.",
  }),
  minApprovals: z
    .int()
    .min(1)
    .optional()
    .meta({ description: "Approvals a rollback needs (default: the model's approval.minApprovals)." }),
  unapprovedTarget: z.enum(['promote', 'refuse']).default('promote').meta({
    description:
      'A target that was never an approved champion: promote runs it through validation and approval like a promotion (requester as trigger); refuse records ROLLBACK_TARGET_NOT_APPROVED.',
  }),
});
export type RollbackPolicy = z.output<typeof RollbackPolicy>;

export const ModelPolicy = z
  .strictObject({
    registry: z.enum(REGISTRY_KINDS).default('mlflow').meta({
      description:
        'Where the model lives: mlflow (OSS MLflow), databricks-workspace (legacy workspace registry, stages possible) or unity-catalog (catalog.schema.model, aliases only).',
    }),
    dryRun: z.boolean().optional().meta({ description: 'Overrides the top-level dryRun for this model.' }),
    validations: z
      .record(Identifier, Check)
      .default({})
      .meta({ description: 'Checks by id; an entry with the same id overrides, null removes.' }),
    // prefault (not default): an absent section is parsed as {}, so "required but no approvers" is reported.
    approval: Approval.prefault({}),
    promotion: Promotion.prefault({}),
    deploy: Deploy.default({ action: 'none' }),
    notify: z.array(Identifier).default([]).meta({ description: 'Names of channels (top-level channels) to notify.' }),
    retraining: Retraining.optional(),
    rollback: RollbackPolicy.prefault({}),
  })
  .superRefine((p, ctx) => {
    for (const i of registryIssues(p)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    // A rollback approval uses the model's approvers: its quorum must be reachable with them.
    if (!p.rollback.requireApproval) return;
    const a = p.approval;
    const n = p.rollback.minApprovals ?? a.minApprovals;
    const users = new Set(
      [...a.approvers.users, ...a.escalation.flatMap((s) => s.addApprovers?.users ?? [])].map((u) => u.toLowerCase()),
    );
    const groups = a.approvers.groups.length + a.escalation.flatMap((s) => s.addApprovers?.groups ?? []).length;
    if (groups === 0 && users.size === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['rollback', 'requireApproval'],
        message: 'rollback approval needs approvers: list them under approval.approvers',
      });
    else if (groups === 0 && users.size < n)
      ctx.addIssue({
        code: 'custom',
        path: ['rollback', 'minApprovals'],
        message: `rollback approval needs ${n} approvals but the approval section names only ${users.size} approver(s)`,
      });
  });
export type ModelPolicy = z.output<typeof ModelPolicy>;
export type ModelPolicyInput = z.input<typeof ModelPolicy>;
