/**
 * From a git event and the policy to what a CI or release run does. Pure given the loaded policy.
 */
import { z } from 'zod';
import { parseDuration } from '../decisions/duration';
import { GitMergedData, GitReleasePushedData } from '../events';
import { type Policy, jobTimeoutSeconds } from '../policy';
import type { CiPlan, GitContext, ReleasePlan } from './contract';
import { branchMatches, findPipeline } from './match';

const MergedEvent = z.object({ id: z.string(), data: GitMergedData });
const PushedEvent = z.object({ id: z.string(), data: GitReleasePushedData });

function gitVars(git: GitContext, instanceId: string): Record<string, string> {
  return {
    repo: git.repo,
    commit: git.commit,
    branch: git.branch,
    'git.repo': git.repo,
    'git.commit': git.commit,
    'git.branch': git.branch,
    'instance.id': instanceId,
    'trigger.kind': 'git',
  };
}

export function planCi(policy: Policy, rawEvent: unknown, instanceId: string, now: string): CiPlan {
  const ev = MergedEvent.safeParse(rawEvent);
  if (!ev.success)
    return {
      skip: true,
      reason: `input is not a git.merged event: ${ev.error.issues[0]?.path.join('.') ?? ''} ${ev.error.issues[0]?.message ?? ''}`,
    };
  const d = ev.data.data;
  const found = findPipeline(policy, d.provider, d.repository.id);
  if (!found)
    return { skip: true, reason: `no pipeline in the policy for ${d.provider} repository ${d.repository.id}` };
  if (!found.pipeline.branches.some((b) => branchMatches(b, d.branch)))
    return {
      skip: true,
      reason: `branch ${d.branch} is not a CI branch of ${found.key} (${found.pipeline.branches.join(', ')})`,
    };
  const git: GitContext = {
    provider: d.provider,
    repo: d.repository.id,
    branch: d.branch,
    commit: d.commit,
    policyKey: found.key,
  };
  if (d.pullRequest) git.pullRequest = d.pullRequest.number;
  if (d.actor) git.actor = d.actor;
  const timeoutSeconds = Math.ceil(parseDuration(found.pipeline.timeout) / 1000);
  const vars = gitVars(git, instanceId);
  const suites = Object.entries(found.pipeline.suites).map(([name, s]) => {
    const ref = { kind: 'pipeline-suite' as const, repo: found.key, suite: name };
    return {
      name,
      required: s.required,
      ref,
      vars: { ...vars, 'suite.name': name },
      runner: s.job.runner,
      timeoutSeconds: Math.min(timeoutSeconds, jobTimeoutSeconds(s.job)),
    };
  });
  return { skip: false, git, suites, timeoutSeconds, startedAt: now };
}

export function planRelease(policy: Policy, rawEvent: unknown, instanceId: string, now: string): ReleasePlan {
  const ev = PushedEvent.safeParse(rawEvent);
  if (!ev.success)
    return {
      skip: true,
      reason: `input is not a git.release.pushed event: ${ev.error.issues[0]?.path.join('.') ?? ''} ${ev.error.issues[0]?.message ?? ''}`,
    };
  const d = ev.data.data;
  const found = findPipeline(policy, d.provider, d.repository.id);
  if (!found)
    return { skip: true, reason: `no pipeline in the policy for ${d.provider} repository ${d.repository.id}` };
  const release = found.pipeline.release;
  if (!release) return { skip: true, reason: `pipeline ${found.key} declares no release section` };
  if (!release.branches.some((b) => branchMatches(b, d.branch)))
    return {
      skip: true,
      reason: `branch ${d.branch} is not a release branch of ${found.key} (${release.branches.join(', ')})`,
    };
  const git: GitContext = {
    provider: d.provider,
    repo: d.repository.id,
    branch: d.branch,
    commit: d.commit,
    policyKey: found.key,
  };
  if (d.actor) git.actor = d.actor;
  const plan: ReleasePlan = {
    skip: false,
    git,
    startedAt: now,
    definitions: release.jobDefinitions.map((j) => ({
      name: j.name,
      file: j.file,
      ...(j.jobId !== undefined ? { jobId: j.jobId } : {}),
    })),
  };
  if (release.smokeRun) {
    const job = release.smokeRun.job;
    plan.smoke = {
      ref: { kind: 'release-smoke', repo: found.key },
      vars: gitVars(git, instanceId),
      runner: job.runner,
      timeoutSeconds: jobTimeoutSeconds(job),
    };
  }
  if (release.approval && release.approval.required) {
    plan.approval = release.approval;
    plan.approvalNotify = found.pipeline.notify;
  }
  return plan;
}
