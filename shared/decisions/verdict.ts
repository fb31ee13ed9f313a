/**
 * The promotion gate over all validation results.
 *
 * Rules:
 * - A blocking check that `failed` or ended in `error` (could not run: job crashed, timed out, registry
 *   unreachable) blocks: the gate fails closed.
 * - Advisory failures and errors are reported, never block.
 * - `skipped` checks (disabled, not applicable) neither pass nor block.
 * - dryRun: everything is recorded exactly as without it, `wouldBlock` says what would have happened,
 *   but `gate` is always 'open'.
 */
export type CheckStatus = 'passed' | 'failed' | 'error' | 'skipped';
export type CheckSeverity = 'blocking' | 'advisory';

export interface CheckResult {
  id: string;
  severity: CheckSeverity;
  status: CheckStatus;
  message?: string;
}

export interface ValidationVerdict {
  gate: 'open' | 'blocked';
  /** What the gate would be without dryRun. */
  wouldBlock: boolean;
  dryRun: boolean;
  blockingFailures: string[];
  advisoryFailures: string[];
  passed: string[];
  skipped: string[];
  summary: string;
}

export function validationVerdict(
  results: readonly CheckResult[],
  options: { dryRun?: boolean } = {},
): ValidationVerdict {
  const dryRun = options.dryRun ?? false;
  const blockingFailures: string[] = [];
  const advisoryFailures: string[] = [];
  const passed: string[] = [];
  const skipped: string[] = [];
  for (const r of results) {
    if (r.status === 'passed') passed.push(r.id);
    else if (r.status === 'skipped') skipped.push(r.id);
    else if (r.severity === 'blocking') blockingFailures.push(r.id);
    else advisoryFailures.push(r.id);
  }
  const wouldBlock = blockingFailures.length > 0;
  const gate = wouldBlock && !dryRun ? 'blocked' : 'open';
  const parts = [
    `${passed.length} passed`,
    `${blockingFailures.length} blocking failed`,
    `${advisoryFailures.length} advisory failed`,
    `${skipped.length} skipped`,
  ];
  let summary = parts.join(', ');
  if (dryRun && wouldBlock) summary += ` (dry run: would have blocked on ${blockingFailures.join(', ')})`;
  else if (gate === 'blocked') summary += ` (blocked by ${blockingFailures.join(', ')})`;
  return { gate, wouldBlock, dryRun, blockingFailures, advisoryFailures, passed, skipped, summary };
}
