import { createHash } from 'node:crypto';

/**
 * The approval id of one request: deterministic (a replayed or retried activity finds its request), URL-safe.
 * `execution` names the orchestration EXECUTION that asks (a replay-safe guid from `context.df.newGuid`), so a
 * re-run of the same instance id after a purge asks anew instead of reusing the old run's decision.
 */
export function approvalIdFor(instanceId: string, kind = 'promotion', execution?: string): string {
  const key = execution === undefined ? `${kind}\u0000${instanceId}` : `${kind}\u0000${instanceId}\u0000${execution}`;
  return `apr-${createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 22)}`;
}
