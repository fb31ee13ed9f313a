import { z } from 'zod';
import { type RestClient } from '../adapters/http';
import { type AzureDevOpsTarget, type ReportState, type StatusReport, truncate } from './types';

/**
 * Azure DevOps Git statuses (api-version 7.1):
 * - pull request: `POST {org}/{project}/_apis/git/repositories/{repo}/pullRequests/{id}/statuses`
 * - commit:       `POST {org}/{project}/_apis/git/repositories/{repo}/commits/{sha}/statuses`
 * The status `context` is `{ genre, name }`; a newer status with the same context supersedes the older one
 * in the PR view, so repeating a report is harmless.
 */
const API_VERSION = '7.1';
const Answer = z.looseObject({ id: z.union([z.number(), z.string()]).optional() });

const STATE: Record<ReportState, string> = {
  success: 'succeeded',
  failure: 'failed',
  error: 'error',
  pending: 'pending',
};

function split(repo: string): { project: string; name: string } {
  const parts = repo.split('/');
  const name = parts.pop();
  const project = parts.pop();
  if (!project || !name)
    throw new RangeError(`Azure DevOps repository must be 'project/name' (or 'org/project/name'), got '${repo}'`);
  return { project, name };
}

function contextOf(context: string): { genre: string; name: string } {
  const i = context.indexOf('/');
  return i > 0 ? { genre: context.slice(0, i), name: context.slice(i + 1) } : { genre: 'stagecraft', name: context };
}

export async function createAzureDevOpsStatus(
  client: RestClient,
  target: AzureDevOpsTarget,
  report: StatusReport,
): Promise<string> {
  const { project, name } = split(target.repo);
  const base = `/${encodeURIComponent(project)}/_apis/git/repositories/${encodeURIComponent(name)}`;
  const path =
    target.pullRequestId !== undefined
      ? `${base}/pullRequests/${target.pullRequestId}/statuses`
      : `${base}/commits/${encodeURIComponent(target.sha)}/statuses`;
  const body: Record<string, unknown> = {
    state: STATE[report.state],
    description: truncate(report.description, 400),
    context: contextOf(report.context),
  };
  if (report.targetUrl) body.targetUrl = report.targetUrl;
  const r = await client.request({
    method: 'POST',
    path,
    query: { 'api-version': API_VERSION },
    body,
    idempotent: true,
    schema: Answer,
  });
  return r.id === undefined ? '' : String(r.id);
}
