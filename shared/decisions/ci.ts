/**
 * CI verdict over integration-test suites, mapped to what GitHub commit statuses and Azure DevOps PR
 * statuses can show (success / failure / error / pending).
 *
 * Rules:
 * - Any suite not finished → 'pending'.
 * - A required suite FAILED → 'failure' (the code is at fault).
 * - Otherwise a required suite TIMED_OUT, CANCELED or ERROR (could not run) → 'error' (infrastructure).
 * - Optional suites (`required: false`) are reported but never change the verdict.
 * - No suites at all → 'success' with a note (nothing configured is not a failure of the code).
 */
export type SuiteState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'TIMED_OUT' | 'ERROR';

export interface SuiteResult {
  name: string;
  state: SuiteState;
  required?: boolean;
  message?: string;
}

export type CiState = 'success' | 'failure' | 'error' | 'pending';

export interface CiVerdict {
  state: CiState;
  counts: Record<SuiteState, number>;
  failed: string[];
  errored: string[];
  optionalFailed: string[];
  description: string;
}

const TERMINAL: ReadonlySet<SuiteState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'TIMED_OUT', 'ERROR']);

export function ciVerdict(suites: readonly SuiteResult[]): CiVerdict {
  const counts: Record<SuiteState, number> = {
    PENDING: 0,
    RUNNING: 0,
    SUCCEEDED: 0,
    FAILED: 0,
    CANCELED: 0,
    TIMED_OUT: 0,
    ERROR: 0,
  };
  const failed: string[] = [];
  const errored: string[] = [];
  const optionalFailed: string[] = [];
  let pending = false;
  for (const s of suites) {
    counts[s.state]++;
    if (!TERMINAL.has(s.state)) {
      pending = true;
      continue;
    }
    if (s.state === 'SUCCEEDED') continue;
    if (s.required === false) optionalFailed.push(s.name);
    else if (s.state === 'FAILED') failed.push(s.name);
    else errored.push(s.name);
  }
  const state: CiState = pending ? 'pending' : failed.length ? 'failure' : errored.length ? 'error' : 'success';
  let description: string;
  if (suites.length === 0) description = 'no test suites configured';
  else if (state === 'pending')
    description = `${counts.SUCCEEDED} of ${suites.length} suites passed, ${counts.PENDING + counts.RUNNING} still running`;
  else if (state === 'failure') description = `failed: ${failed.join(', ')}`;
  else if (state === 'error') description = `could not complete: ${errored.join(', ')}`;
  else
    description = `${counts.SUCCEEDED} of ${suites.length} suites passed${optionalFailed.length ? ` (optional failed: ${optionalFailed.join(', ')})` : ''}`;
  // GitHub limits a status description to 140 characters.
  if (description.length > 140) description = `${description.slice(0, 137)}...`;
  return { state, counts, failed, errored, optionalFailed, description };
}
