/**
 * GitHub webhooks (`X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256: sha256=<hex>`).
 * - `pull_request` closed with `merged: true` into a main branch → git.merged (commit = merge_commit_sha, the commit
 *   that landed on the base branch for merge, squash and rebase alike); into a release branch → git.release.pushed.
 * - `push` to a main branch → git.merged (via push), to a release branch → git.release.pushed.
 * A PR merge and the push of its commit share the dedupe key (repo + commit), so they collapse into one event.
 * - `ping` is answered (202 ignored) so the hook shows green.
 */
import { z } from 'zod';
import { ValidationError } from '../../errors';
import { EVENT_TYPES } from '../../events';
import { HexHmacVerifier } from '../verifiers';
import { list } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { classifyBranch, event, eventsOf, header, ignored, invalid, parseWith } from './util';

const SOURCE = '/stagecraft/intake/github';
const ZERO_SHA = /^0+$/;

const Repository = z.looseObject({ full_name: z.string().min(1), html_url: z.string().optional() });

const PullRequestEvent = z.looseObject({
  action: z.string().min(1),
  pull_request: z.looseObject({
    number: z.number().int(),
    title: z.string().optional(),
    html_url: z.string().optional(),
    merged: z.boolean().nullish(),
    merged_at: z.string().nullish(),
    merge_commit_sha: z.string().nullish(),
    merged_by: z.looseObject({ login: z.string() }).nullish(),
    head: z.looseObject({ ref: z.string() }),
    base: z.looseObject({ ref: z.string().min(1) }),
  }),
  repository: Repository,
});

const PushEvent = z.looseObject({
  ref: z.string().min(1),
  after: z.string().min(1),
  deleted: z.boolean().optional(),
  repository: Repository,
  pusher: z.looseObject({ name: z.string().optional() }).optional(),
  head_commit: z.looseObject({ timestamp: z.string().optional() }).nullish(),
});

const PingEvent = z.looseObject({ zen: z.string().optional(), hook_id: z.number().optional() });

function isoOrUndefined(value: string | null | undefined): string | undefined {
  return value !== null && value !== undefined && z.iso.datetime({ offset: true }).safeParse(value).success
    ? value
    : undefined;
}

export const githubSource = defineSource({
  name: 'github',
  eventSource: SOURCE,
  http: {
    route: 'webhooks/github',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the sender (signature, shared secret or basic auth) before parsing',
    security: 'GitHub: `X-Hub-Signature-256` (`GITHUB_WEBHOOK_SECRETS`)',
  },
  settings: {
    key: 'github',
    env: {
      GITHUB_WEBHOOK_SECRETS: {
        schema: list,
        secret: true,
        description: 'GitHub webhook secrets, comma-separated for rotation.',
      },
    },
    toConfig: (v) => ({ secrets: v.GITHUB_WEBHOOK_SECRETS }),
  },
  verifier: (settings) =>
    new HexHmacVerifier({ header: 'X-Hub-Signature-256', prefix: 'sha256=', secrets: settings.secrets }),
  // A new GitHub webhook defaults to form encoding (`payload=<JSON>`); the signature covers the form bytes.
  body: { formPayload: true },
  deliveryId: (request) => request.headers.get('x-github-delivery'),
  parse(body, ctx): ParseOutcome {
    const kind = header(ctx, 'X-GitHub-Event');
    if (kind === undefined || kind === '') {
      return invalid(
        new ValidationError('INTAKE_HEADER_MISSING', 'X-GitHub-Event header is missing', {
          details: { fields: [{ path: 'X-GitHub-Event', message: 'required header' }] },
        }),
      );
    }
    const git = ctx.config.git;
    if (kind === 'ping') {
      const p = PingEvent.safeParse(body);
      return ignored(
        `ping: webhook reachable${p.success && p.data.hook_id !== undefined ? ` (hook ${p.data.hook_id})` : ''}`,
      );
    }
    if (kind === 'pull_request') {
      const p = parseWith(PullRequestEvent, body, 'GitHub pull_request payload');
      if (!p.ok) return p.outcome;
      const { action, pull_request: pr, repository } = p.value;
      if (action !== 'closed') return ignored(`pull_request ${action}: not a merge`);
      if (pr.merged !== true) return ignored('pull_request closed without merge');
      const branch = pr.base.ref;
      const where = classifyBranch(branch, git);
      if (where === 'other')
        return ignored(`pull_request merged into ${branch}: not a configured main or release branch`);
      if (!pr.merge_commit_sha) {
        return invalid(
          new ValidationError(
            'INTAKE_PAYLOAD_INVALID',
            'GitHub pull_request payload is invalid: pull_request.merge_commit_sha: required for a merged pull request',
            {
              details: {
                fields: [{ path: 'pull_request.merge_commit_sha', message: 'required for a merged pull request' }],
              },
            },
          ),
        );
      }
      const repo = { id: repository.full_name, ...(repository.html_url ? { url: repository.html_url } : {}) };
      const occurredAt = isoOrUndefined(pr.merged_at);
      return eventsOf(() => [
        where === 'main'
          ? event(
              EVENT_TYPES.gitMerged,
              {
                provider: 'github',
                repository: repo,
                branch,
                commit: pr.merge_commit_sha,
                via: 'pull_request',
                pullRequest: { number: pr.number, title: pr.title, url: pr.html_url, sourceBranch: pr.head.ref },
                actor: pr.merged_by?.login,
                occurredAt,
              },
              SOURCE,
              ctx,
              occurredAt,
            )
          : event(
              EVENT_TYPES.gitReleasePushed,
              {
                provider: 'github',
                repository: repo,
                branch,
                commit: pr.merge_commit_sha,
                actor: pr.merged_by?.login,
                occurredAt,
              },
              SOURCE,
              ctx,
              occurredAt,
            ),
      ]);
    }
    if (kind === 'push') {
      const p = parseWith(PushEvent, body, 'GitHub push payload');
      if (!p.ok) return p.outcome;
      const { ref, after, deleted, repository, pusher, head_commit } = p.value;
      if (!ref.startsWith('refs/heads/')) return ignored(`push to ${ref}: not a branch`);
      if (deleted === true || ZERO_SHA.test(after)) return ignored(`push deleted ${ref}`);
      const branch = ref.slice('refs/heads/'.length);
      const where = classifyBranch(branch, git);
      if (where === 'other') return ignored(`push to ${branch}: not a configured main or release branch`);
      const repo = { id: repository.full_name, ...(repository.html_url ? { url: repository.html_url } : {}) };
      const occurredAt = isoOrUndefined(head_commit?.timestamp);
      return eventsOf(() => [
        where === 'main'
          ? event(
              EVENT_TYPES.gitMerged,
              {
                provider: 'github',
                repository: repo,
                branch,
                commit: after,
                via: 'push',
                actor: pusher?.name,
                occurredAt,
              },
              SOURCE,
              ctx,
            )
          : event(
              EVENT_TYPES.gitReleasePushed,
              { provider: 'github', repository: repo, branch, commit: after, actor: pusher?.name, occurredAt },
              SOURCE,
              ctx,
            ),
      ]);
    }
    return ignored(`${kind}: event not handled by Stagecraft`);
  },
});
