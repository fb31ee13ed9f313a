import { formatIssue, type PolicyIssue, PolicyFileError, PolicyInvalidError } from './errors';
import { loadPolicy } from './load';
import { policyWarnings } from './warnings';

/**
 * `stagecraft policy check FILE`: a human report and an exit code.
 * Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unreadable.
 */
export interface PolicyCheckResult {
  ok: boolean;
  exitCode: 0 | 1 | 2;
  issues: PolicyIssue[];
  warnings: string[];
  report: string;
}

export async function policyCheck(path: string): Promise<PolicyCheckResult> {
  try {
    const p = await loadPolicy(path);
    const warnings: string[] = [];
    if (Object.keys(p.models).length === 0) warnings.push('no models are configured: no model will be promoted');
    for (const [name, c] of Object.entries(p.channels)) {
      if ((c.type === 'teams' || c.type === 'slack') && c.url !== undefined) {
        warnings.push(`channels.${name}: an inline ${c.type} webhook URL is a secret; prefer urlSetting`);
      }
    }
    if (p.dryRun) warnings.push('dryRun is on: validation failures are recorded but never block');
    warnings.push(...policyWarnings(p));
    const lines = [
      `policy ${path} is valid`,
      `  models: ${Object.keys(p.models).join(', ') || '(none)'}`,
      `  pipelines: ${Object.keys(p.pipelines).join(', ') || '(none)'}`,
      `  jobs: ${Object.keys(p.jobs).join(', ') || '(none)'}`,
      `  channels: ${Object.keys(p.channels).join(', ') || '(none)'}`,
      ...warnings.map((w) => `warning: ${w}`),
    ];
    return { ok: true, exitCode: 0, issues: [], warnings, report: lines.join('\n') };
  } catch (e) {
    if (e instanceof PolicyInvalidError) {
      return {
        ok: false,
        exitCode: 1,
        issues: e.issues,
        warnings: [],
        report: [`policy ${path} is invalid:`, ...e.issues.map((i) => `  ${formatIssue(i)}`)].join('\n'),
      };
    }
    if (e instanceof PolicyFileError) return { ok: false, exitCode: 2, issues: [], warnings: [], report: e.message };
    throw e;
  }
}
