/** JUnit XML for CI tools: one <testsuite> per CI run, one <testcase> per integration suite. Pure. */
export interface JUnitCase {
  name: string;
  state: string;
  required: boolean;
  durationMs: number;
  message?: string;
  output?: string;
}

function esc(s: string): string {
  // XML 1.0 cannot carry most control characters even escaped: drop them.

  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function junitXml(suiteName: string, timestamp: string, cases: readonly JUnitCase[]): string {
  const failures = cases.filter((c) => c.state === 'FAILED').length;
  const errors = cases.filter((c) => c.state !== 'FAILED' && c.state !== 'SUCCEEDED').length;
  const total = cases.reduce((a, c) => a + c.durationMs, 0) / 1000;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(suiteName)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${total.toFixed(3)}">`,
    `  <testsuite name="${esc(suiteName)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${total.toFixed(3)}" timestamp="${esc(timestamp)}">`,
  ];
  for (const c of cases) {
    lines.push(
      `    <testcase classname="${esc(suiteName)}" name="${esc(c.name)}${c.required ? '' : ' (optional)'}" time="${(c.durationMs / 1000).toFixed(3)}">`,
    );
    if (c.state === 'FAILED') lines.push(`      <failure message="${esc(c.message ?? 'failed')}" type="FAILED"/>`);
    else if (c.state !== 'SUCCEEDED')
      lines.push(`      <error message="${esc(c.message ?? c.state)}" type="${esc(c.state)}"/>`);
    if (c.output) lines.push(`      <system-out>${esc(c.output)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
