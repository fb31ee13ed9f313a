/**
 * Orchestration versioning (host.json `extensions.durableTask.defaultVersion`, `versionMatchStrategy`,
 * `versionFailureStrategy`), per "Orchestration versioning in Durable Functions":
 * - new instances and sub-orchestrations started without a version get `defaultVersion`;
 * - before running an episode the instance's version is matched against the worker's `defaultVersion`:
 *   `None` matches everything, `Strict` only the same version, `CurrentOrOlder` (default) versions ≤ it;
 * - on a mismatch `Reject` (default) leaves the work queued for a compatible worker, `Fail` fails the instance.
 *
 * Comparison rules (documented): empty versions are equal; empty is older than any version; two versions that
 * parse as System.Version (2–4 numeric parts) compare numerically; otherwise case-insensitive string comparison.
 * Invariant: without a `defaultVersion` nothing is checked (there is no worker version to compare with).
 */

export const VERSION_MATCH_STRATEGIES = ['None', 'Strict', 'CurrentOrOlder'] as const;
export const VERSION_FAILURE_STRATEGIES = ['Reject', 'Fail'] as const;
export type VersionMatchStrategy = (typeof VERSION_MATCH_STRATEGIES)[number];
export type VersionFailureStrategy = (typeof VERSION_FAILURE_STRATEGIES)[number];

export interface VersioningOptions {
  defaultVersion: string;
  matchStrategy: VersionMatchStrategy;
  failureStrategy: VersionFailureStrategy;
}

const SYSTEM_VERSION = /^\d+(\.\d+){1,3}$/;

function systemVersionParts(v: string): number[] | undefined {
  return SYSTEM_VERSION.test(v) ? v.split('.').map(Number) : undefined;
}

/** <0 when a is older than b, 0 when equal, >0 when newer. */
export function compareVersions(a: string | null | undefined, b: string | null | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  if (!x && !y) return 0;
  if (!x) return -1;
  if (!y) return 1;
  const px = systemVersionParts(x);
  const py = systemVersionParts(y);
  if (px && py) {
    // System.Version: an undefined component (-1) is less than any defined one (1.0 < 1.0.0).
    for (let i = 0; i < 4; i++) {
      const d = (px[i] ?? -1) - (py[i] ?? -1);
      if (d !== 0) return d;
    }
    return 0;
  }
  const lx = x.toLowerCase();
  const ly = y.toLowerCase();
  return lx < ly ? -1 : lx > ly ? 1 : 0;
}

/** Undefined when the instance may run on this worker; otherwise why not. */
export function versionMismatch(instanceVersion: string, o: VersioningOptions | undefined): string | undefined {
  if (!o || !o.defaultVersion || o.matchStrategy === 'None') return undefined;
  const c = compareVersions(instanceVersion, o.defaultVersion);
  const ok = o.matchStrategy === 'Strict' ? c === 0 : c <= 0;
  if (ok) return undefined;
  const shown = instanceVersion ? `'${instanceVersion}'` : '(none)';
  return o.matchStrategy === 'Strict'
    ? `The orchestration version ${shown} does not match the worker version '${o.defaultVersion}' (versionMatchStrategy Strict)`
    : `The orchestration version ${shown} is newer than the worker version '${o.defaultVersion}' (versionMatchStrategy CurrentOrOlder)`;
}
