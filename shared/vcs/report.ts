import { RestClient, basicAuth, bearerAuth, type RestLogEvent } from '../adapters/http';
import { createAzureDevOpsStatus } from './azure-devops';
import { createCheckRun, createCommitStatus } from './github';
import type { VcsSettings } from './settings';
import type { ReportOutcome, StatusReport, VcsTarget } from './types';

/**
 * Reports a CI outcome to the target's provider. Never throws for missing configuration: the outcome says
 * why nothing was sent. Remote failures throw the typed REST errors (the caller records them; a failed
 * status report never changes the CI verdict).
 */
export async function reportStatus(
  target: VcsTarget,
  report: StatusReport,
  settings: VcsSettings,
  options: { fetch?: typeof fetch; log?: (e: RestLogEvent) => void } = {},
): Promise<ReportOutcome> {
  const common = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.log ? { log: options.log } : {}),
    timeoutMs: 15_000,
  };
  if (target.provider === 'github') {
    const gh = settings.github;
    if (!gh.token)
      return { reported: false, provider: 'github', detail: 'GITHUB_TOKEN is not set: commit status not reported' };
    const client = new RestClient({ service: 'github', baseUrl: gh.apiUrl, auth: bearerAuth(gh.token), ...common });
    const id =
      gh.kind === 'check'
        ? await createCheckRun(client, target, report)
        : await createCommitStatus(client, target, report);
    return {
      reported: true,
      provider: 'github',
      detail: `${gh.kind === 'check' ? 'check run' : 'commit status'} ${report.state}`,
      id,
    };
  }
  const ado = settings.azureDevOps;
  if (!ado.token)
    return {
      reported: false,
      provider: 'azure-devops',
      detail: 'AZDO_TOKEN is not set: pull request status not reported',
    };
  if (!ado.orgUrl)
    return {
      reported: false,
      provider: 'azure-devops',
      detail: 'AZDO_ORG_URL is not set: pull request status not reported',
    };
  // Azure DevOps PATs authenticate as basic auth with an empty user name.
  const client = new RestClient({
    service: 'azure-devops',
    baseUrl: ado.orgUrl,
    auth: basicAuth('', ado.token),
    ...common,
  });
  const id = await createAzureDevOpsStatus(client, target, report);
  return {
    reported: true,
    provider: 'azure-devops',
    detail: `${target.pullRequestId !== undefined ? 'pull request' : 'commit'} status ${report.state}`,
    id,
  };
}
