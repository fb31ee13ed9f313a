import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { PolicyFileError } from './errors';
import { type Policy, parsePolicyText } from './parse';

/**
 * Parsed policies by path, valid while the file's (mtime, size, inode) are unchanged. Every promotion and
 * retraining activity loads the policy; parsing YAML + zod each time was a tenth of the host's CPU under load.
 * Invariant: callers get their own copy (structuredClone), so a caller that mutates it cannot change the cache,
 * and an edited file is re-read on the next load.
 */
const cache = new Map<string, { stamp: string; policy: Policy }>();

function fileError(path: string, e: unknown): PolicyFileError {
  const code = (e as NodeJS.ErrnoException).code;
  return new PolicyFileError(path, code === 'ENOENT' ? 'file not found' : (code ?? 'read failed'), e);
}

/** What a process loaded: each new file version once (by content hash), valid or not. */
export interface PolicyLoadEvent {
  path: string;
  sha256: string;
  outcome: 'accepted' | 'refused';
  reason?: string;
}

const listeners = new Set<(e: PolicyLoadEvent) => void>();
const reported = new Set<string>();

/** Observes policy loads (the app audits them, functions/startup.ts); returns an unsubscribe function. */
export function onPolicyLoad(listener: (e: PolicyLoadEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function report(e: PolicyLoadEvent): void {
  const key = `${e.path}\0${e.sha256}`;
  if (reported.has(key)) return;
  reported.add(key);
  for (const l of listeners) {
    try {
      l(e);
    } catch {
      // an observer never breaks a load
    }
  }
}

/** Reads and validates a policy file (YAML or JSON). Throws PolicyFileError or PolicyInvalidError. */
export async function loadPolicy(path: string): Promise<Policy> {
  let stamp: string;
  try {
    const s = await stat(path);
    stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch (e) {
    cache.delete(path);
    throw fileError(path, e);
  }
  const hit = cache.get(path);
  if (hit?.stamp === stamp) return structuredClone(hit.policy);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fileError(path, e);
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  let policy: Policy;
  try {
    policy = parsePolicyText(text, path);
  } catch (e) {
    report({ path, sha256, outcome: 'refused', reason: (e as { code?: string }).code ?? 'POLICY_INVALID' });
    throw e;
  }
  report({ path, sha256, outcome: 'accepted' });
  cache.set(path, { stamp, policy: structuredClone(policy) });
  return policy;
}
