import { describe, expect, it } from 'vitest';
import { validationVerdict } from '../../shared/decisions/verdict';
import { renderHtml, renderJUnit, renderJson, type ValidationReport } from '../../shared/promotion/report';
import type { ValidationResult } from '../../shared/promotion/types';

const t = (s: number) => new Date(Date.parse('2026-05-01T10:00:00Z') + s * 1000).toISOString();
const results: ValidationResult[] = [
  {
    id: 'quality',
    type: 'metric-threshold',
    severity: 'blocking',
    status: 'passed',
    message: 'accuracy = 0.95 is >= 0.9',
    startedAt: t(0),
    finishedAt: t(1),
    attempts: 1,
    thresholds: [{ metric: 'accuracy', status: 'passed', value: 0.95, min: 0.9, max: undefined, message: 'ok' }],
  },
  {
    id: 'vs-champion',
    type: 'champion',
    severity: 'blocking',
    status: 'failed',
    message: 'worse than <champion> & "v3"',
    startedAt: t(0),
    finishedAt: t(2),
    attempts: 1,
    champion: {
      passed: false,
      hasChampion: true,
      championVersion: '3',
      results: [
        {
          metric: 'roc_auc',
          status: 'failed',
          challenger: 0.9,
          champion: 0.95,
          delta: -0.05,
          relativeDelta: -0.0526,
          message: 'x',
        },
      ],
    },
  },
  {
    id: 'bias',
    type: 'job',
    severity: 'advisory',
    status: 'error',
    message: 'timed out',
    startedAt: t(0),
    finishedAt: t(5),
    attempts: 2,
    job: { runRef: 'r1', state: 'TIMED_OUT', outputTail: 'line <1>\u0001' },
  },
  {
    id: 'desc',
    type: 'description',
    severity: 'advisory',
    status: 'skipped',
    message: 'disabled',
    startedAt: t(0),
    finishedAt: t(0),
    attempts: 0,
  },
];
const report: ValidationReport = {
  model: 'fraud<x>',
  version: '7',
  instanceId: 'promotion:fraud:7',
  generatedAt: t(10),
  dryRun: false,
  verdict: validationVerdict(results),
  results,
  runId: 'run-1',
  gitCommit: 'abc123',
};

describe('validation report rendering', () => {
  it('JSON carries every result, the verdict and a schema tag', () => {
    const j = JSON.parse(renderJson(report)) as Record<string, unknown>;
    expect(j).toMatchObject({
      schema: 'stagecraft.validation-report/v1',
      model: 'fraud<x>',
      verdict: { gate: 'blocked' },
    });
    expect((j['results'] as unknown[]).length).toBe(4);
  });

  it('HTML escapes every user-supplied string and shows champion deltas per metric', () => {
    const html = renderHtml(report);
    expect(html).not.toContain('fraud<x>');
    expect(html).toContain('fraud&lt;x&gt;');
    expect(html).toContain('worse than &lt;champion&gt; &amp; &quot;v3&quot;');
    expect(html).toContain('Gate: <strong>BLOCKED</strong>');
    expect(html).toMatch(/roc_auc<\/td><td>0\.9<\/td><td>0\.95<\/td><td>-0\.05<\/td><td>-5\.26%/);
  });

  it('JUnit XML counts failures, errors and skips, one testcase per check, and strips characters XML cannot carry', () => {
    const xml = renderJUnit(report);
    expect(xml).toContain('<testsuites name="stagecraft-validation" tests="4" failures="1" errors="1" skipped="1"');
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<failure type="blocking"');
    expect(xml).toContain('<error type="advisory"');
    expect(xml).toContain('<system-out>line &lt;1&gt;</system-out>');
    expect(xml).not.toContain('\u0001');
  });

  it('a dry run reads as open with what it would have blocked', () => {
    const dry = { ...report, dryRun: true, verdict: validationVerdict(results, { dryRun: true }) };
    expect(renderHtml(dry)).toContain('OPEN (dry run: would have blocked)');
    expect(renderJUnit(dry)).toContain('<property name="gate" value="open"/>');
  });
});
