import { type PolicyIssue, PolicyInvalidError, PolicyNotFoundError } from './errors';
import { matchingGlobs } from './glob';
import { deepMerge } from './merge';
import type { Policy } from './parse';
import { formatPath } from './path';
import type { Channel } from './schema-file';
import { ModelPolicy } from './schema-model';

/**
 * The effective policy of one model: built-in defaults (in the schema), then `defaults`, then every
 * matching `models` entry from least to most specific (see glob.ts), merged per merge.ts.
 *
 * A model with no matching entry has NO policy (defaults alone do not opt a model in): Stagecraft never
 * promotes a model nobody configured. Use a `'*'` entry to opt every model in.
 */
export interface ResolvedModelPolicy {
  model: string;
  /** Matching globs, least specific first. */
  matched: string[];
  /** Effective dry-run: the model's `dryRun` if set, else the file's. */
  dryRun: boolean;
  policy: ModelPolicy;
  /** The channels the model's `notify` list names (escalation steps may name others; see `channels`). */
  channels: Record<string, Channel>;
}

export type ResolveResult =
  | { ok: true; value: ResolvedModelPolicy }
  | { ok: false; error: { code: 'POLICY_NO_MODEL' | 'POLICY_INVALID'; message: string; issues?: PolicyIssue[] } };

export function resolvePolicy(policy: Policy, modelName: string): ResolvedModelPolicy {
  const matched = matchingGlobs(Object.keys(policy.models), modelName);
  if (matched.length === 0) throw new PolicyNotFoundError(modelName, policy.source);
  let merged = deepMerge({}, policy.defaults);
  for (const key of matched) merged = deepMerge(merged, policy.models[key]!);
  const r = ModelPolicy.safeParse(merged);
  if (!r.success) {
    // Only reachable when several globs layer into an invalid combination (each entry alone was validated at load).
    throw new PolicyInvalidError(
      policy.source,
      r.error.issues.map((i) => ({
        path: formatPath(['models', modelName, ...i.path]),
        message: `${i.message} (merged from ${matched.join(', ')})`,
      })),
    );
  }
  const names = new Set([...r.data.notify, ...r.data.approval.escalation.flatMap((s) => s.notify)]);
  const channels = Object.fromEntries(
    [...names].filter((n) => policy.channels[n]).map((n) => [n, policy.channels[n]!]),
  );
  return { model: modelName, matched, dryRun: r.data.dryRun ?? policy.dryRun, policy: r.data, channels };
}

/** resolvePolicy as a value, for callers that record the failure instead of throwing (activities, orchestrators). */
export function tryResolvePolicy(policy: Policy, modelName: string): ResolveResult {
  try {
    return { ok: true, value: resolvePolicy(policy, modelName) };
  } catch (e) {
    if (e instanceof PolicyNotFoundError) return { ok: false, error: { code: 'POLICY_NO_MODEL', message: e.message } };
    if (e instanceof PolicyInvalidError)
      return { ok: false, error: { code: 'POLICY_INVALID', message: e.message, issues: e.issues } };
    throw e;
  }
}

/** The pipeline policy of a repo ('owner/repo' or 'org/project/repo'), compared case-insensitively. */
export function resolvePipeline(policy: Policy, repo: string): Policy['pipelines'][string] | undefined {
  const key = Object.keys(policy.pipelines).find((k) => k.toLowerCase() === repo.toLowerCase());
  return key === undefined ? undefined : policy.pipelines[key];
}
