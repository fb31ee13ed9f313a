/** Which pipeline policy a repository event belongs to, and branch globs. Pure. */
import type { Pipeline, Policy } from '../policy';

/** `*` matches any characters (including `/`), `?` one character; the rest is literal. Case-sensitive, like git refs. */
export function branchMatches(glob: string, branch: string): boolean {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(branch.replace(/^refs\/heads\//, ''));
}

/**
 * The pipeline of `repo` for `provider`. GitHub repos are `owner/name`; Azure DevOps events carry
 * `project/name` while the policy may say `org/project/name`, so a key ending in `/<project>/<name>` matches too.
 */
export function findPipeline(
  policy: Pick<Policy, 'pipelines'>,
  provider: Pipeline['provider'],
  repo: string,
): { key: string; pipeline: Pipeline } | undefined {
  const want = repo.toLowerCase();
  for (const [key, pipeline] of Object.entries(policy.pipelines)) {
    if (pipeline.provider !== provider) continue;
    const k = key.toLowerCase();
    if (k === want || (provider === 'azure-devops' && k.endsWith(`/${want}`))) return { key, pipeline };
  }
  return undefined;
}
