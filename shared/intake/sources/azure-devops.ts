/**
 * Azure DevOps service hooks (no payload signature exists: basic auth or a shared custom header).
 * - `git.pullrequest.updated` / `git.pullrequest.merged` with `resource.status == "completed"` (and a succeeded
 *   merge when mergeStatus is present) → git.merged / git.release.pushed, commit = lastMergeCommit.commitId.
 * - `git.push` → one event per updated ref on a configured branch, commit = newObjectId.
 * The same normalizer serves messages Azure DevOps publishes straight to the Service Bus topic (native shape).
 * The event `id` (GUID) is the delivery id.
 */
import { z } from 'zod';
import { ValidationError } from '../../errors';
import { EVENT_TYPES, type AnyStagecraftEvent } from '../../events';
import { AnyOfVerifier, BasicAuthVerifier, SharedSecretVerifier, type Verifier } from '../verifiers';
import { list, optionalText, textWithDefault } from '../../setting-values';
import { defineSource, type ParseContext, type ParseOutcome } from './types';
import { classifyBranch, event, eventsOf, ignored, invalid, parseWith } from './util';

const SOURCE = '/stagecraft/intake/azure-devops';
const ZERO_SHA = /^0+$/;

const Envelope = z.looseObject({
  id: z.string().min(1),
  eventType: z.string().min(1),
  publisherId: z.string().optional(),
  resource: z.looseObject({}),
  createdDate: z.string().optional(),
});

const Repository = z.looseObject({
  id: z.string().optional(),
  name: z.string().min(1),
  project: z.looseObject({ name: z.string().min(1) }),
  remoteUrl: z.string().optional(),
});

const PullRequest = z.looseObject({
  repository: Repository,
  pullRequestId: z.number().int(),
  status: z.string().min(1),
  title: z.string().optional(),
  sourceRefName: z.string().optional(),
  targetRefName: z.string().min(1),
  mergeStatus: z.string().optional(),
  closedDate: z.string().optional(),
  closedBy: z.looseObject({ uniqueName: z.string().optional() }).optional(),
  lastMergeCommit: z.looseObject({ commitId: z.string().min(1) }).optional(),
  url: z.string().optional(),
});

const Push = z.looseObject({
  repository: Repository,
  refUpdates: z.array(z.looseObject({ name: z.string().min(1), newObjectId: z.string().min(1) })),
  pushedBy: z.looseObject({ uniqueName: z.string().optional() }).optional(),
  date: z.string().optional(),
});

function iso(value: string | undefined): string | undefined {
  return value !== undefined && z.iso.datetime({ offset: true }).safeParse(value).success ? value : undefined;
}

const stripHeads = (ref: string): string | undefined =>
  ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;

interface AzureDevOpsSettings {
  username: string | undefined;
  passwords: string[];
  headerName: string;
  headerSecrets: string[];
}

/** Basic auth and/or a shared header, whichever are configured (neither: every delivery is refused). */
export function azureDevOpsVerifier(ado: AzureDevOpsSettings): Verifier {
  const verifiers: Verifier[] = [];
  if (ado.username !== undefined)
    verifiers.push(new BasicAuthVerifier({ username: ado.username, passwords: ado.passwords }));
  if (ado.headerSecrets.length > 0)
    verifiers.push(new SharedSecretVerifier({ secrets: ado.headerSecrets, headers: [ado.headerName] }));
  return new AnyOfVerifier(verifiers);
}

/** Normalizes an Azure DevOps service-hook event (HTTP body or native Service Bus message body). */
export function parseAzureDevOpsEvent(body: unknown, ctx: ParseContext): ParseOutcome {
  const env = parseWith(Envelope, body, 'Azure DevOps service hook payload');
  if (!env.ok) return env.outcome;
  const { eventType, resource } = env.value;
  const git = ctx.config.git;
  if (eventType === 'git.pullrequest.updated' || eventType === 'git.pullrequest.merged') {
    const p = parseWith(PullRequest, resource, `Azure DevOps ${eventType} resource`, 'resource');
    if (!p.ok) return p.outcome;
    const pr = p.value;
    if (pr.status !== 'completed') return ignored(`${eventType}: pull request is ${pr.status}, not completed`);
    if (pr.mergeStatus !== undefined && pr.mergeStatus.toLowerCase() !== 'succeeded')
      return ignored(`${eventType}: merge status ${pr.mergeStatus}`);
    const branch = stripHeads(pr.targetRefName);
    if (branch === undefined) return ignored(`${eventType}: target ${pr.targetRefName} is not a branch`);
    const where = classifyBranch(branch, git);
    if (where === 'other')
      return ignored(`${eventType}: merged into ${branch}, not a configured main or release branch`);
    if (pr.lastMergeCommit === undefined) {
      return invalid(
        new ValidationError(
          'INTAKE_PAYLOAD_INVALID',
          'Azure DevOps pull request is invalid: resource.lastMergeCommit.commitId: required for a completed pull request',
          {
            details: {
              fields: [{ path: 'resource.lastMergeCommit.commitId', message: 'required for a completed pull request' }],
            },
          },
        ),
      );
    }
    const repo = {
      id: `${pr.repository.project.name}/${pr.repository.name}`,
      ...(pr.repository.remoteUrl ? { url: pr.repository.remoteUrl } : {}),
    };
    const commit = pr.lastMergeCommit.commitId;
    const occurredAt = iso(pr.closedDate);
    const actor = pr.closedBy?.uniqueName;
    return eventsOf(() => [
      where === 'main'
        ? event(
            EVENT_TYPES.gitMerged,
            {
              provider: 'azure-devops',
              repository: repo,
              branch,
              commit,
              via: 'pull_request',
              pullRequest: {
                number: pr.pullRequestId,
                title: pr.title,
                url: pr.url,
                sourceBranch: pr.sourceRefName && stripHeads(pr.sourceRefName),
              },
              actor,
              occurredAt,
            },
            SOURCE,
            ctx,
            occurredAt,
          )
        : event(
            EVENT_TYPES.gitReleasePushed,
            { provider: 'azure-devops', repository: repo, branch, commit, actor, occurredAt },
            SOURCE,
            ctx,
            occurredAt,
          ),
    ]);
  }
  if (eventType === 'git.push') {
    const p = parseWith(Push, resource, 'Azure DevOps git.push resource', 'resource');
    if (!p.ok) return p.outcome;
    const push = p.value;
    const repo = {
      id: `${push.repository.project.name}/${push.repository.name}`,
      ...(push.repository.remoteUrl ? { url: push.repository.remoteUrl } : {}),
    };
    const occurredAt = iso(push.date);
    const actor = push.pushedBy?.uniqueName;
    const skipped: string[] = [];
    const outcome = eventsOf(() => {
      const events: AnyStagecraftEvent[] = [];
      for (const ref of push.refUpdates) {
        const branch = stripHeads(ref.name);
        if (branch === undefined || ZERO_SHA.test(ref.newObjectId)) {
          skipped.push(ref.name);
          continue;
        }
        const where = classifyBranch(branch, git);
        if (where === 'other') {
          skipped.push(branch);
          continue;
        }
        const data = { provider: 'azure-devops', repository: repo, branch, commit: ref.newObjectId, actor, occurredAt };
        events.push(
          where === 'main'
            ? event(EVENT_TYPES.gitMerged, { ...data, via: 'push' }, SOURCE, ctx)
            : event(EVENT_TYPES.gitReleasePushed, data, SOURCE, ctx),
        );
      }
      return events;
    });
    return outcome.kind === 'ignored'
      ? ignored(`git.push to ${skipped.join(', ') || 'no ref'}: not a configured main or release branch`)
      : outcome;
  }
  return ignored(`${eventType}: event not handled by Stagecraft`);
}

export const azureDevOpsSource = defineSource({
  name: 'azure-devops',
  eventSource: SOURCE,
  http: {
    route: 'webhooks/azure-devops',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the sender (signature, shared secret or basic auth) before parsing',
    security: 'Azure DevOps service hook: basic auth or shared header (`AZDO_WEBHOOK_*`)',
  },
  settings: {
    key: 'azureDevOps',
    env: {
      AZDO_WEBHOOK_USERNAME: {
        schema: optionalText,
        description: 'Azure DevOps service hook basic-auth user name (with AZDO_WEBHOOK_PASSWORDS).',
      },
      AZDO_WEBHOOK_PASSWORDS: {
        schema: list,
        secret: true,
        description: 'Azure DevOps service hook basic-auth passwords, comma-separated for rotation.',
      },
      AZDO_WEBHOOK_HEADER_NAME: {
        schema: textWithDefault('X-Stagecraft-Token').pipe(
          z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name (letters, digits, -)'),
        ),
        default: 'X-Stagecraft-Token',
        description:
          'Header carrying the shared secret when Azure DevOps authenticates with a custom header (`httpHeaders`).',
      },
      AZDO_WEBHOOK_HEADER_SECRETS: {
        schema: list,
        secret: true,
        description:
          'Azure DevOps shared header secrets, comma-separated for rotation. Either basic auth or this must be set.',
      },
    },
    check: (v) =>
      v.AZDO_WEBHOOK_USERNAME !== undefined && v.AZDO_WEBHOOK_PASSWORDS.length === 0
        ? [{ setting: 'AZDO_WEBHOOK_PASSWORDS', problem: 'AZDO_WEBHOOK_USERNAME is set but no password is' }]
        : [],
    toConfig: (v) => ({
      username: v.AZDO_WEBHOOK_USERNAME,
      passwords: v.AZDO_WEBHOOK_PASSWORDS,
      headerName: v.AZDO_WEBHOOK_HEADER_NAME,
      headerSecrets: v.AZDO_WEBHOOK_HEADER_SECRETS,
    }),
  },
  verifier: azureDevOpsVerifier,
  deliveryId: (_request, body) => {
    const id = (body as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  },
  parse: parseAzureDevOpsEvent,
});
