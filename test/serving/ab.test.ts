import { describe, expect, it } from 'vitest';
import { Check } from '../../shared/policy/schema-model';
import { abDecision, abStatement, metricsByVersion } from '../../shared/serving/ab';
import type { AbTestCheck } from '../../shared/serving/types';

const check = (extra: Record<string, unknown> = {}) =>
  Check.parse({
    type: 'ab-test',
    inferenceTable: 'main.ml.payload',
    rules: [{ metric: 'error_rate', direction: 'lower', maxRegression: 0.01 }],
    minSamples: 10,
    ...extra,
  }) as AbTestCheck;

describe('ab-test check', () => {
  it('refuses a table name that is not catalog.schema.table identifiers, and metrics outside the live set', () => {
    expect(() => check({ inferenceTable: 'main.ml.x; DROP TABLE y' })).toThrow(/catalog\.schema\.table/);
    expect(() => check({ rules: [{ metric: 'accuracy', direction: 'higher' }] })).toThrow();
  });
  it('binds every value as a parameter in both table formats', () => {
    for (const tableFormat of ['ai-gateway', 'legacy']) {
      const { statement, parameters } = abStatement(
        check({ tableFormat }),
        "ep'x",
        '1',
        '2',
        '2026-01-01T00:00:00.000Z',
      );
      expect(statement).toContain('`main`.`ml`.`payload`');
      expect(statement).not.toContain("ep'x");
      expect(parameters.map((p) => p.name).sort()).toEqual(['challenger', 'champion', 'endpoint', 'since']);
    }
  });
  it('passes within maxRegression, fails beyond it, and fails with too few samples on either side', () => {
    const rows = (a: [string, string], b: [string, string]) =>
      metricsByVersion({
        statementId: 's',
        columns: ['version', 'samples', 'error_rate'],
        rows: [
          { version: '1', samples: a[0], error_rate: a[1] },
          { version: '2', samples: b[0], error_rate: b[1] },
        ],
      });
    expect(abDecision(check(), '1', '2', rows(['100', '0.01'], ['50', '0.015'])).status).toBe('passed');
    const bad = abDecision(check(), '1', '2', rows(['100', '0.01'], ['50', '0.05']));
    expect(bad).toMatchObject({ status: 'failed' });
    expect(bad.message).toMatch(/regresses more than the allowed/);
    expect(abDecision(check(), '1', '2', rows(['100', '0.01'], ['9', '0'])).message).toMatch(/not enough live traffic/);
    expect(abDecision(check(), '1', '2', new Map()).status).toBe('failed');
  });
});
