import { z } from 'zod';
import { Cron, Duration, Identifier, JobDef } from './schema-common';
import { Approval, NotifyEvent } from './schema-model';

/** The policy file: top-level structure, channels, pipelines and scheduled jobs. Pure: no I/O. */

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const SettingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an app setting name' });

/**
 * Incoming-webhook URLs of Teams and Slack carry their own secret: prefer `urlSetting` (the name of an app
 * setting holding the URL) over an inline `url`. Secrets are never written in the policy: `secretSetting`
 * names the setting that holds the HMAC key.
 */
const channelTarget = {
  url: HttpUrl.optional(),
  urlSetting: SettingName.optional().meta({ description: 'Name of the app setting that holds the URL.' }),
  events: z.array(NotifyEvent).optional().meta({ description: 'Only these events (default: all).' }),
};
const oneTarget = (c: { url?: string | undefined; urlSetting?: string | undefined }) =>
  (c.url === undefined) !== (c.urlSetting === undefined);
const oneTargetError = { message: 'set exactly one of url or urlSetting', path: ['url'] };

export const Channel = z.discriminatedUnion('type', [
  z
    .strictObject({
      type: z.literal('webhook'),
      ...channelTarget,
      secretSetting: SettingName.optional().meta({
        description: 'App setting with the HMAC-SHA256 key; adds X-Stagecraft-Signature.',
      }),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
    })
    .refine(oneTarget, oneTargetError),
  z
    .strictObject({
      type: z.literal('teams'),
      ...channelTarget,
      format: z.enum(['adaptive-card', 'message-card']).default('adaptive-card'),
    })
    .refine(oneTarget, oneTargetError),
  z.strictObject({ type: z.literal('slack'), ...channelTarget }).refine(oneTarget, oneTargetError),
  // Direct (per-recipient) channels: only for approval links (approval.linkChannel), never in a notify list.
  z
    .strictObject({
      type: z.literal('direct-webhook'),
      url: HttpUrl.optional(),
      urlSetting: SettingName.optional().meta({ description: 'Name of the app setting that holds the URL.' }),
      secretSetting: SettingName.meta({
        description: 'App setting with the HMAC-SHA256 key; every message is signed (X-Stagecraft-Signature).',
      }),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
    })
    .refine(oneTarget, oneTargetError)
    .meta({
      description:
        'One signed POST per approver: { recipient, approvalId, links } (for a Power Automate / Logic App flow that messages that person).',
    }),
  z
    .strictObject({
      type: z.literal('slack-dm'),
      tokenSetting: SettingName.meta({
        description: 'App setting with the Slack bot token (chat:write; users:read.email for e-mail lookup).',
      }),
      apiUrl: HttpUrl.default('https://slack.com/api'),
      users: z
        .record(
          z.string().min(1),
          z.string().regex(/^[UW][A-Z0-9]{2,}$/, { message: 'must be a Slack user id such as U0123ABCD' }),
        )
        .default({})
        .meta({ description: 'Approver id (e-mail/UPN) → Slack user id; others are looked up by e-mail.' }),
      lookupByEmail: z
        .boolean()
        .default(true)
        .meta({ description: 'Find unmapped approvers with users.lookupByEmail.' }),
    })
    .meta({
      description: 'Each approver gets a direct message from the Slack app (chat.postMessage to their user id).',
    }),
  z
    .strictObject({
      type: z.literal('email'),
      connectionStringSetting: SettingName.meta({
        description:
          'App setting with the Azure Communication Services connection string (endpoint=https://…;accesskey=…).',
      }),
      sender: z.email({ error: 'must be an e-mail address' }).meta({
        description:
          'senderAddress: a MailFrom address of a domain connected to the resource, e.g. DoNotReply@contoso.com.',
      }),
      addresses: z
        .record(z.string().min(1), z.email({ error: 'must be an e-mail address' }))
        .default({})
        .meta({ description: 'Approver id → mailbox (default: the approver id, when it is an address).' }),
    })
    .meta({
      description:
        'Each approver gets an e-mail through Azure Communication Services Email (POST {endpoint}/emails:send, HMAC-SHA256 access key).',
    }),
]);
export const DIRECT_CHANNEL_TYPES: ReadonlySet<string> = new Set(['direct-webhook', 'slack-dm', 'email']);
export type Channel = z.output<typeof Channel>;

export const Suite = z.strictObject({
  job: JobDef,
  required: z.boolean().default(true).meta({ description: 'false: reported, never fails the CI verdict.' }),
});

export const JobDefinitionFile = z.strictObject({
  name: Identifier,
  file: z.string().min(1).meta({
    description: 'Path in the repo of the job settings JSON (Databricks JobSettings) or a local job definition.',
  }),
  jobId: z
    .int()
    .positive()
    .optional()
    .meta({ description: 'Databricks job to reset with this file; absent for local definitions.' }),
});

export const Release = z.strictObject({
  branches: z
    .array(z.string().min(1))
    .min(1)
    .meta({ description: "Branch globs that are releases, e.g. 'release/*'." }),
  jobDefinitions: z.array(JobDefinitionFile).default([]),
  smokeRun: z.strictObject({ job: JobDef }).optional(),
  approval: Approval.optional().meta({
    description: 'Gate the release with the same approval mechanism as model promotion.',
  }),
});

export const Pipeline = z.strictObject({
  provider: z.enum(['github', 'azure-devops']).default('github'),
  branches: z.array(z.string().min(1)).default(['main']).meta({ description: 'Branch globs whose merges run CI.' }),
  suites: z.record(Identifier, Suite).default({}),
  timeout: Duration.default('2h').meta({ description: 'Overall CI time limit.' }),
  release: Release.optional(),
  notify: z.array(Identifier).default([]),
});
export type Pipeline = z.output<typeof Pipeline>;

export const ScheduledJob = z.strictObject({
  kind: z.enum(['feature-refresh', 'batch-scoring']),
  job: JobDef,
  schedule: Cron.optional(),
  model: z.string().min(1).optional().meta({ description: 'Model the job belongs to (scoring jobs).' }),
  enabled: z.boolean().default(true),
  notify: z.array(Identifier).default([]),
});
export type ScheduledJob = z.output<typeof ScheduledJob>;

/** Raw settings objects are merged (defaults, then matching globs) before ModelPolicy validates them. */
const RawSettings = z.record(z.string(), z.unknown());

export const PolicyFile = z.strictObject({
  version: z.literal(1).meta({ description: 'Policy file format version.' }),
  dryRun: z
    .boolean()
    .default(false)
    .meta({ description: 'Record every validation result but never block a promotion.' }),
  channels: z.record(Identifier, Channel).default({}),
  defaults: RawSettings.default({}),
  models: z
    .record(z.string().min(1), RawSettings)
    .default({})
    .meta({ description: 'Per-model settings by model-name glob (* any characters, ? one character).' }),
  pipelines: z
    .record(
      z.string().regex(/^[^\s/]+(\/[^\s/]+){1,2}$/, { message: "must be 'owner/repo' or 'org/project/repo'" }),
      Pipeline,
    )
    .default({}),
  jobs: z.record(Identifier, ScheduledJob).default({}),
});
export type PolicyFile = z.output<typeof PolicyFile>;
