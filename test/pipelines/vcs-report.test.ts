/**
 * CI outcomes reported where users look, over real HTTP against HTTP-level fakes written from the documented APIs:
 * Azure DevOps pull request and commit statuses (api-version 7.1, PAT as basic auth with an empty user), GitHub
 * commit statuses and check runs (bearer token), a report skipped with the reason when no token is configured (no
 * request at all), and a refused token surfacing as a typed error, not a silent success.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportStatus } from '../../shared/vcs/report';
import { vcsSettings } from '../../shared/vcs/settings';

interface Seen {
  method: string;
  url: string;
  auth: string;
  body: Record<string, unknown>;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 201, body: { id: 7 } };

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req
      .setEncoding('utf8')
      .on('data', (c: string) => (s += c))
      .on('end', () => resolve(s));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((text) => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        auth: req.headers.authorization ?? '',
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const report = {
  state: 'failure' as const,
  description: 'integration suite failed: 2 of 3 passed',
  context: 'stagecraft/ci',
  targetUrl: 'http://127.0.0.1/api/runs/ci%3Ax',
};

describe('reporting CI outcomes to the git provider', () => {
  it('posts an Azure DevOps pull request status with the PAT as basic auth and the context split into genre/name', async () => {
    seen.length = 0;
    answer = { status: 201, body: { id: 11 } };
    const settings = vcsSettings({ AZDO_TOKEN: 'pat-123', AZDO_ORG_URL: `${base}/contoso` });
    const out = await reportStatus(
      { provider: 'azure-devops', repo: 'fraud/fraud-ml', sha: 'abc123', pullRequestId: 42 },
      report,
      settings,
    );
    expect(out).toMatchObject({ reported: true, provider: 'azure-devops', id: '11' });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/contoso/fraud/_apis/git/repositories/fraud-ml/pullRequests/42/statuses?api-version=7.1',
        auth: `Basic ${Buffer.from(':pat-123').toString('base64')}`,
        body: {
          state: 'failed',
          description: report.description,
          context: { genre: 'stagecraft', name: 'ci' },
          targetUrl: report.targetUrl,
        },
      },
    ]);
  });

  it('posts an Azure DevOps commit status when the push has no pull request', async () => {
    seen.length = 0;
    const settings = vcsSettings({ AZDO_TOKEN: 'pat-123', AZDO_ORG_URL: `${base}/contoso` });
    await reportStatus(
      { provider: 'azure-devops', repo: 'fraud/fraud-ml', sha: 'abc123' },
      { ...report, state: 'success' },
      settings,
    );
    expect(seen[0]).toMatchObject({
      url: '/contoso/fraud/_apis/git/repositories/fraud-ml/commits/abc123/statuses?api-version=7.1',
      body: { state: 'succeeded' },
    });
  });

  it('posts a GitHub commit status, or a completed check run when GITHUB_STATUS_KIND=check', async () => {
    seen.length = 0;
    const target = { provider: 'github' as const, repo: 'contoso/fraud-ml', sha: 'abc123' };
    await reportStatus(target, report, vcsSettings({ GITHUB_TOKEN: 'ghp_x', GITHUB_API_URL: base }));
    await reportStatus(
      target,
      report,
      vcsSettings({ GITHUB_TOKEN: 'ghs_y', GITHUB_API_URL: base, GITHUB_STATUS_KIND: 'check' }),
    );
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/repos/contoso/fraud-ml/statuses/abc123',
      auth: 'Bearer ghp_x',
      body: { state: 'failure', context: 'stagecraft/ci', target_url: report.targetUrl },
    });
    expect(seen[1]).toMatchObject({
      method: 'POST',
      url: '/repos/contoso/fraud-ml/check-runs',
      auth: 'Bearer ghs_y',
      body: {
        name: 'stagecraft/ci',
        head_sha: 'abc123',
        status: 'completed',
        conclusion: 'failure',
        details_url: report.targetUrl,
      },
    });
  });

  it('skips the report with the reason when no token is configured, sending nothing', async () => {
    seen.length = 0;
    const gh = await reportStatus(
      { provider: 'github', repo: 'contoso/fraud-ml', sha: 'abc123' },
      report,
      vcsSettings({ GITHUB_API_URL: base }),
    );
    const ado = await reportStatus(
      { provider: 'azure-devops', repo: 'fraud/fraud-ml', sha: 'abc123', pullRequestId: 1 },
      report,
      vcsSettings({ AZDO_ORG_URL: `${base}/contoso` }),
    );
    expect(gh).toMatchObject({ reported: false, provider: 'github' });
    expect(gh.detail).toContain('GITHUB_TOKEN is not set');
    expect(ado).toMatchObject({ reported: false, provider: 'azure-devops' });
    expect(ado.detail).toContain('AZDO_TOKEN is not set');
    expect(seen).toEqual([]);
  });

  it('surfaces a refused token as a typed 401 error naming the service', async () => {
    answer = { status: 401, body: { message: 'Bad credentials' } };
    await expect(
      reportStatus(
        { provider: 'github', repo: 'contoso/fraud-ml', sha: 'abc123' },
        report,
        vcsSettings({ GITHUB_TOKEN: 'revoked', GITHUB_API_URL: base }),
      ),
    ).rejects.toMatchObject({ status: 401 });
    answer = { status: 201, body: { id: 7 } };
  });

  it('refuses invalid settings at load, naming the setting', () => {
    expect(() => vcsSettings({ GITHUB_STATUS_KIND: 'comment' })).toThrow(/GITHUB_STATUS_KIND/);
    expect(() => vcsSettings({ AZDO_ORG_URL: 'ftp://x' })).toThrow(/AZDO_ORG_URL/);
  });
});
