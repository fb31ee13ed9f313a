/**
 * The validation report in three renderings: JSON (machines), HTML (people), JUnit XML (CI tools).
 * Pure; every user-supplied string is escaped for its format. Champion deltas are shown per metric.
 */
import type { ValidationVerdict } from '../decisions/verdict';
import type { ValidationResult } from './types';

export interface ValidationReport {
  model: string;
  version: string;
  instanceId: string;
  generatedAt: string;
  dryRun: boolean;
  verdict: ValidationVerdict;
  results: ValidationResult[];
  runId?: string;
  gitCommit?: string;
}

export function renderJson(r: ValidationReport): string {
  return `${JSON.stringify({ schema: 'stagecraft.validation-report/v1', ...r }, null, 2)}\n`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** XML 1.0 text: escapes markup and drops characters XML cannot carry. */
export function escapeXml(s: string): string {
  return escapeHtml(s).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

function seconds(r: ValidationResult): number {
  const ms = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

function fmt(n: number | undefined): string {
  return n === undefined ? '—' : String(Number(n.toPrecision(6)));
}

function detailsHtml(r: ValidationResult): string {
  const parts: string[] = [];
  if (r.thresholds?.length) {
    parts.push('<table class="inner"><tr><th>metric</th><th>value</th><th>min</th><th>max</th><th>status</th></tr>');
    for (const t of r.thresholds)
      parts.push(
        `<tr><td>${escapeHtml(t.metric)}</td><td>${fmt(t.value)}</td><td>${fmt(t.min)}</td><td>${fmt(t.max)}</td><td class="${t.status}">${t.status}</td></tr>`,
      );
    parts.push('</table>');
  }
  if (r.champion?.results.length) {
    const head = r.champion.championVersion ? `vs champion v${escapeHtml(r.champion.championVersion)}` : 'no champion';
    parts.push(
      `<div>${head}</div><table class="inner"><tr><th>metric</th><th>challenger</th><th>champion</th><th>delta (+ is better)</th><th>relative</th><th>status</th></tr>`,
    );
    for (const c of r.champion.results) {
      const rel = c.relativeDelta === undefined ? '—' : `${(c.relativeDelta * 100).toFixed(2)}%`;
      parts.push(
        `<tr><td>${escapeHtml(c.metric)}</td><td>${fmt(c.challenger)}</td><td>${fmt(c.champion)}</td><td>${fmt(c.delta)}</td><td>${rel}</td><td class="${c.status}">${c.status}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  if (r.job)
    parts.push(
      `<div>job run ${escapeHtml(r.job.runRef)}: ${escapeHtml(r.job.state)}</div>${r.job.outputTail ? `<pre>${escapeHtml(r.job.outputTail)}</pre>` : ''}`,
    );
  return parts.join('');
}

export function renderHtml(r: ValidationReport): string {
  const v = r.verdict;
  const gate = v.gate === 'blocked' ? 'BLOCKED' : v.wouldBlock ? 'OPEN (dry run: would have blocked)' : 'OPEN';
  const rows = r.results
    .map(
      (x) =>
        `<tr><td>${escapeHtml(x.id)}</td><td>${escapeHtml(x.type)}</td><td>${x.severity}</td><td class="${x.status}">${x.status}</td><td>${escapeHtml(x.message)}${detailsHtml(x)}</td><td>${x.attempts}</td><td>${seconds(x).toFixed(1)} s</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Validation: ${escapeHtml(r.model)} v${escapeHtml(r.version)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
.passed{color:#176d2b}.failed,.missing{color:#b00020}.error{color:#8a4b00}.skipped,.no-champion,.champion-missing{color:#666}table.inner{margin-top:.4rem;font-size:90%}</style></head>
<body>
<h1>${escapeHtml(r.model)} version ${escapeHtml(r.version)}</h1>
<p>Gate: <strong>${escapeHtml(gate)}</strong> — ${escapeHtml(v.summary)}</p>
<p>Orchestration ${escapeHtml(r.instanceId)}${r.runId ? ` · run ${escapeHtml(r.runId)}` : ''}${r.gitCommit ? ` · commit ${escapeHtml(r.gitCommit)}` : ''} · generated ${escapeHtml(r.generatedAt)}</p>
<table><tr><th>check</th><th>type</th><th>severity</th><th>status</th><th>details</th><th>attempts</th><th>time</th></tr>
${rows}
</table>
</body></html>
`;
}

/** JUnit XML: one testsuite per promotion, one testcase per check; advisory failures are failures too (CI shows them), blocking ones are marked in the type. */
export function renderJUnit(r: ValidationReport): string {
  const failures = r.results.filter((x) => x.status === 'failed').length;
  const errors = r.results.filter((x) => x.status === 'error').length;
  const skipped = r.results.filter((x) => x.status === 'skipped').length;
  const total = r.results.reduce((s, x) => s + seconds(x), 0);
  const name = `${r.model} v${r.version}`;
  const cases = r.results
    .map((x) => {
      const attrs = `name="${escapeXml(x.id)}" classname="${escapeXml(`stagecraft.${r.model}.${x.type}`)}" time="${seconds(x).toFixed(3)}"`;
      let inner = '';
      if (x.status === 'failed')
        inner = `<failure type="${x.severity}" message="${escapeXml(x.message)}">${escapeXml(x.message)}</failure>`;
      else if (x.status === 'error')
        inner = `<error type="${x.severity}" message="${escapeXml(x.message)}">${escapeXml(x.message)}</error>`;
      else if (x.status === 'skipped') inner = `<skipped message="${escapeXml(x.message)}"/>`;
      const out = x.job?.outputTail ? `<system-out>${escapeXml(x.job.outputTail)}</system-out>` : '';
      return `    <testcase ${attrs}>${inner}${out}</testcase>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="stagecraft-validation" tests="${r.results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${total.toFixed(3)}">
  <testsuite name="${escapeXml(name)}" tests="${r.results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${total.toFixed(3)}" timestamp="${escapeXml(r.generatedAt)}">
    <properties><property name="instanceId" value="${escapeXml(r.instanceId)}"/><property name="gate" value="${r.verdict.gate}"/><property name="dryRun" value="${r.dryRun}"/></properties>
${cases}
  </testsuite>
</testsuites>
`;
}
