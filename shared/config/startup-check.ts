/**
 * The app's start-up check and its outcome for the rest of the process. functions/startup.ts runs it once when the
 * app starts; functions/health.ts reports it; the preInvocation gate in functions/startup.ts answers 503 while it
 * found problems (Azure only: locally the host refuses to start instead).
 */
import { existsSync } from 'node:fs';
import { loadPolicy } from '../policy/load';
import { policyFile } from '../promotion/env';
import { azureSettingWarnings, runningInAzure } from './azure';
import type { Env } from './env';
import { validateAllSettings } from './workflow-settings';

export interface StartupCheck {
  /** Each names the setting (or the policy file) and what is wrong; never a value. */
  problems: string[];
  /** Settings that are set but should not be (Flex Consumption), each by name. */
  warnings: string[];
  azure: boolean;
  checkedAt: string;
}

let last: StartupCheck | undefined;

/** Paths of every `runner: local` job declared anywhere in a policy (checks, deployments, pipelines, jobs, training). */
export function localJobPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => localJobPaths(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const o = value as Record<string, unknown>;
  if (o['runner'] === 'local') return [path || '(root)'];
  return Object.entries(o).flatMap(([k, v]) => localJobPaths(v, path ? `${path}.${k}` : k));
}

/** In Azure: the policy's local jobs can never run there (LOCAL_JOBS_NOT_IN_AZURE); say so once at start. */
async function policyWarnings(env: Env): Promise<string[]> {
  if (!runningInAzure(env) || !env['STAGECRAFT_POLICY_PATH']?.trim()) return [];
  const file = policyFile(env);
  if (!existsSync(file)) return [];
  try {
    const paths = localJobPaths(await loadPolicy(file));
    if (paths.length === 0) return [];
    return [
      `STAGECRAFT_POLICY_PATH: the policy declares ${paths.length} 'runner: local' job(s), which fail in Azure with LOCAL_JOBS_NOT_IN_AZURE (${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', ...' : ''}); use 'runner: databricks'`,
    ];
  } catch {
    return []; // an invalid policy is already a problem
  }
}

export async function runStartupCheck(env: Env = process.env): Promise<StartupCheck> {
  const problems = await validateAllSettings(env);
  const warnings = [...azureSettingWarnings(env), ...(await policyWarnings(env))];
  last = { problems, warnings, azure: runningInAzure(env), checkedAt: new Date().toISOString() };
  return last;
}

/** The outcome of the start-up check, undefined before it ran. */
export function startupCheck(): StartupCheck | undefined {
  return last;
}
