import { createHash } from 'node:crypto';

/** The approval id of an orchestration's request: deterministic (a replayed activity finds its request), URL-safe. */
export function approvalIdFor(instanceId: string, kind = 'promotion'): string {
  return `apr-${createHash('sha256').update(`${kind}\u0000${instanceId}`, 'utf8').digest('base64url').slice(0, 22)}`;
}
