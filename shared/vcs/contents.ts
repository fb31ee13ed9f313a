import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors';
import { RestClient, basicAuth, bearerAuth } from '../adapters/http';
import type { VcsSettings } from './settings';

/**
 * The content of a file in a repository at a commit, from wherever this install can read it:
 * 1. a local checkout (embedded mode; setting REPO_CHECKOUTS maps repo ids to directories): `git show
 *    <sha>:<path>` when the directory is a git work tree, else the file as it is on disk (the commit is
 *    still recorded, so the record says which commit was meant);
 * 2. the GitHub contents API (`GET /repos/{o}/{r}/contents/{path}?ref={sha}`, base64 content) with GITHUB_TOKEN;
 * 3. the Azure DevOps items API (`GET {org}/{project}/_apis/git/repositories/{repo}/items?path=..&
 *    versionDescriptor.version={sha}&versionDescriptor.versionType=commit&includeContent=true`) with AZDO_TOKEN.
 * Paths are repo-relative; `..` escaping the repo is refused.
 */
export interface RepoFileRef {
  provider: 'github' | 'azure-devops';
  repo: string;
  sha: string;
  path: string;
}

export interface RepoFileSource {
  describe(ref: RepoFileRef): string;
  read(ref: RepoFileRef): Promise<string>;
}

const exec = promisify(execFile);

/** A commit id as git and the providers write it: 7-64 hex digits (SHA-1 or SHA-256, full or abbreviated). */
const COMMIT_ID = /^[0-9a-f]{7,64}$/i;

/** Refuses anything but a hex commit id before it reaches git or a provider API (no options, no refs, no ranges). */
export function validCommitId(sha: string): string {
  if (!COMMIT_ID.test(sha))
    throw new ValidationError('COMMIT_ID_INVALID', 'commit id must be 7-64 hexadecimal characters', {
      details: { length: sha.length },
    });
  return sha;
}

export function safeRepoPath(path: string): string {
  const p = normalize(path.replace(/^\/+/, ''));
  if (p === '.' || p.startsWith('..') || isAbsolute(p))
    throw new ValidationError('REPO_PATH_INVALID', `file path '${path}' must stay inside the repository`);
  return p.split('\\').join('/');
}

async function isGitWorkTree(dir: string): Promise<boolean> {
  try {
    await stat(join(dir, '.git'));
    return true;
  } catch {
    return false;
  }
}

export function localCheckoutSource(checkouts: Record<string, string>): RepoFileSource {
  return {
    describe: (ref) => `local checkout ${checkouts[ref.repo.toLowerCase()] ?? '(none)'}`,
    async read(ref) {
      const dir = checkouts[ref.repo.toLowerCase()];
      if (!dir)
        throw new NotFoundError(
          'REPO_CHECKOUT_MISSING',
          `no local checkout configured for ${ref.repo} (REPO_CHECKOUTS)`,
        );
      const sha = validCommitId(ref.sha);
      const path = safeRepoPath(ref.path);
      if (await isGitWorkTree(dir)) {
        try {
          // `--` ends the revisions: nothing after the object name is read as an option or a revision.
          const { stdout } = await exec('git', ['-C', dir, 'show', '--no-textconv', `${sha}:${path}`, '--'], {
            maxBuffer: 10 * 1024 * 1024,
          });
          return stdout;
        } catch {
          // Unknown commit in this checkout (e.g. not fetched yet): fall through to the work tree.
        }
      }
      const full = resolve(dir, path);
      if (relative(resolve(dir), full).startsWith('..'))
        throw new ValidationError('REPO_PATH_INVALID', `file path '${ref.path}' must stay inside the repository`);
      try {
        return await readFile(full, 'utf8');
      } catch {
        throw new NotFoundError('REPO_FILE_MISSING', `${ref.path} not found in the checkout of ${ref.repo}`, {
          details: { repo: ref.repo, path: ref.path },
        });
      }
    },
  };
}

const GitHubContent = z.looseObject({ content: z.string(), encoding: z.string() });
const AdoItem = z.looseObject({ content: z.string() });

export function remoteSource(settings: VcsSettings): RepoFileSource {
  return {
    describe: (ref) =>
      ref.provider === 'github'
        ? `GitHub contents API ${settings.github.apiUrl}`
        : `Azure DevOps items API ${settings.azureDevOps.orgUrl ?? '(AZDO_ORG_URL unset)'}`,
    async read(ref) {
      validCommitId(ref.sha);
      const path = safeRepoPath(ref.path);
      if (ref.provider === 'github') {
        if (!settings.github.token)
          throw new ValidationError(
            'GITHUB_TOKEN_MISSING',
            `cannot read ${ref.path} of ${ref.repo}: GITHUB_TOKEN is not set and no local checkout is configured`,
          );
        const client = new RestClient({
          service: 'github',
          baseUrl: settings.github.apiUrl,
          auth: bearerAuth(settings.github.token),
        });
        const [owner, name] = ref.repo.split('/');
        const r = await client.request({
          method: 'GET',
          path: `/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(name ?? '')}/contents/${path.split('/').map(encodeURIComponent).join('/')}`,
          query: { ref: ref.sha },
          schema: GitHubContent,
        });
        return r.encoding === 'base64' ? Buffer.from(r.content, 'base64').toString('utf8') : r.content;
      }
      const ado = settings.azureDevOps;
      if (!ado.token || !ado.orgUrl)
        throw new ValidationError(
          'AZDO_TOKEN_MISSING',
          `cannot read ${ref.path} of ${ref.repo}: AZDO_TOKEN/AZDO_ORG_URL are not set and no local checkout is configured`,
        );
      const client = new RestClient({ service: 'azure-devops', baseUrl: ado.orgUrl, auth: basicAuth('', ado.token) });
      const parts = ref.repo.split('/');
      const name = parts.pop() ?? '';
      const project = parts.pop() ?? '';
      const r = await client.request({
        method: 'GET',
        path: `/${encodeURIComponent(project)}/_apis/git/repositories/${encodeURIComponent(name)}/items`,
        query: {
          path: `/${path}`,
          'versionDescriptor.version': ref.sha,
          'versionDescriptor.versionType': 'commit',
          includeContent: true,
          'api-version': '7.1',
        },
        schema: AdoItem,
      });
      return r.content;
    },
  };
}

/** Local checkout when one is configured for the repo, else the provider's API. */
export function repoFileSource(settings: VcsSettings, checkouts: Record<string, string>): RepoFileSource {
  const local = localCheckoutSource(checkouts);
  const remote = remoteSource(settings);
  const pick = (ref: RepoFileRef) => (checkouts[ref.repo.toLowerCase()] ? local : remote);
  return { describe: (ref) => pick(ref).describe(ref), read: (ref) => pick(ref).read(ref) };
}
