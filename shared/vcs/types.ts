/**
 * Where a CI outcome is reported: a GitHub commit (status or check run) or an Azure DevOps pull request
 * (or commit, for pushes without a PR). `state` uses the CI verdict vocabulary of shared/decisions/ci.
 */
export type ReportState = 'success' | 'failure' | 'error' | 'pending';

export interface StatusReport {
  state: ReportState;
  /** Short text (GitHub truncates at 140 characters; we truncate first). */
  description: string;
  /** Name shown beside the status, e.g. `stagecraft/ci`. */
  context: string;
  /** Link to the run (our /api/runs/{id} or a report). */
  targetUrl?: string;
  /** Longer text for check runs (markdown). */
  summary?: string;
}

export interface GitHubTarget {
  provider: 'github';
  /** owner/name */
  repo: string;
  sha: string;
}

export interface AzureDevOpsTarget {
  provider: 'azure-devops';
  /** project/name as in events (Azure DevOps repository names are unique per project). */
  repo: string;
  sha: string;
  pullRequestId?: number;
}

export type VcsTarget = GitHubTarget | AzureDevOpsTarget;

export interface ReportOutcome {
  reported: boolean;
  provider: VcsTarget['provider'];
  /** Why nothing was sent (no token configured), or what was created. */
  detail: string;
  /** Id the provider returned (status id / check run id), when any. */
  id?: string;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
