import { z } from 'zod';
import { type RestClient } from '../adapters/http';
import { type GitHubTarget, type StatusReport, truncate } from './types';

/**
 * GitHub REST: commit statuses (`POST /repos/{owner}/{repo}/statuses/{sha}`, works with a PAT or an app
 * token) and check runs (`POST /repos/{owner}/{repo}/check-runs`, GitHub App installation tokens only).
 * Both are safe to repeat: a status with the same context replaces the previous one; a second check run
 * with the same name is shown as the newest, so the caller reports each final outcome once.
 */
const StatusAnswer = z.looseObject({ id: z.union([z.number(), z.string()]) });
const CheckAnswer = z.looseObject({ id: z.union([z.number(), z.string()]) });

function repoPath(repo: string): string {
  const [owner, name, ...rest] = repo.split('/');
  if (!owner || !name || rest.length) throw new RangeError(`GitHub repository must be 'owner/name', got '${repo}'`);
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

export async function createCommitStatus(
  client: RestClient,
  target: GitHubTarget,
  report: StatusReport,
): Promise<string> {
  const body: Record<string, string> = {
    state: report.state,
    description: truncate(report.description, 140),
    context: report.context,
  };
  if (report.targetUrl) body.target_url = report.targetUrl;
  const r = await client.request({
    method: 'POST',
    path: `${repoPath(target.repo)}/statuses/${encodeURIComponent(target.sha)}`,
    body,
    idempotent: true,
    schema: StatusAnswer,
  });
  return String(r.id);
}

const CONCLUSION = { success: 'success', failure: 'failure', error: 'action_required', pending: undefined } as const;

export async function createCheckRun(client: RestClient, target: GitHubTarget, report: StatusReport): Promise<string> {
  const conclusion = CONCLUSION[report.state];
  const body: Record<string, unknown> = {
    name: report.context,
    head_sha: target.sha,
    status: conclusion === undefined ? 'in_progress' : 'completed',
    output: { title: truncate(report.description, 255), summary: report.summary ?? report.description },
  };
  if (conclusion !== undefined) body.conclusion = conclusion;
  if (report.targetUrl) body.details_url = report.targetUrl;
  const r = await client.request({
    method: 'POST',
    path: `${repoPath(target.repo)}/check-runs`,
    body,
    idempotent: false,
    schema: CheckAnswer,
  });
  return String(r.id);
}
