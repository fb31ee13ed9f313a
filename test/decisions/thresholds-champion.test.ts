import { describe, expect, it } from 'vitest';
import { compareMetric, compareWithChampion, evaluateThreshold, evaluateThresholds } from '../../shared/decisions';

describe('metric thresholds', () => {
  it('passes a metric inside [min, max], bounds inclusive', () => {
    expect(evaluateThreshold({ auc: 0.9 }, { metric: 'auc', min: 0.9 }).status).toBe('passed');
    expect(evaluateThreshold({ loss: 0.3 }, { metric: 'loss', max: 0.3 }).status).toBe('passed');
    expect(evaluateThreshold({ x: 5 }, { metric: 'x', min: 1, max: 10 }).status).toBe('passed');
  });

  it('fails below min and above max, saying which bound', () => {
    expect(evaluateThreshold({ auc: 0.89 }, { metric: 'auc', min: 0.9 })).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/below the minimum 0\.9/) as unknown,
    });
    expect(evaluateThreshold({ loss: 0.31 }, { metric: 'loss', max: 0.3 })).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/above the maximum/) as unknown,
    });
  });

  it('fails closed when the metric was not logged or is NaN', () => {
    expect(evaluateThreshold({}, { metric: 'auc', min: 0.5 }).status).toBe('missing');
    expect(evaluateThreshold({ auc: Number.NaN }, { metric: 'auc', min: 0.5 }).status).toBe('missing');
    expect(
      evaluateThresholds({ auc: 0.9 }, [
        { metric: 'auc', min: 0.5 },
        { metric: 'f1', min: 0.5 },
      ]).passed,
    ).toBe(false);
  });

  it('does not read inherited object properties as metrics', () => {
    expect(evaluateThreshold({}, { metric: 'constructor', max: 1 }).status).toBe('missing');
  });

  it('passes an empty threshold list', () => {
    expect(evaluateThresholds({}, [])).toEqual({ passed: true, results: [] });
  });
});

describe('champion comparison', () => {
  it('passes the first version (no champion) with a note, whatever the rules', () => {
    const r = compareWithChampion({}, undefined, [{ metric: 'auc', direction: 'higher', minImprovement: 0.1 }]);
    expect(r).toMatchObject({
      passed: true,
      hasChampion: false,
      note: expect.stringMatching(/first version/) as unknown,
    });
    expect(r.results[0]?.status).toBe('no-champion');
  });

  it('is direction-aware: higher-is-better and lower-is-better both give positive improvement when better', () => {
    expect(compareMetric({ auc: 0.92 }, { auc: 0.9 }, { metric: 'auc', direction: 'higher' }).delta).toBeCloseTo(0.02);
    expect(compareMetric({ loss: 0.2 }, { loss: 0.25 }, { metric: 'loss', direction: 'lower' }).delta).toBeCloseTo(
      0.05,
    );
    expect(compareMetric({ loss: 0.3 }, { loss: 0.25 }, { metric: 'loss', direction: 'lower' }).status).toBe('failed');
  });

  it('without minImprovement or maxRegression requires "not worse" (equal passes)', () => {
    expect(compareMetric({ auc: 0.9 }, { auc: 0.9 }, { metric: 'auc', direction: 'higher' }).status).toBe('passed');
    expect(compareMetric({ auc: 0.8999 }, { auc: 0.9 }, { metric: 'auc', direction: 'higher' }).status).toBe('failed');
  });

  it('requires a minimum absolute improvement', () => {
    const rule = { metric: 'auc', direction: 'higher' as const, minImprovement: 0.01 };
    expect(compareMetric({ auc: 0.915 }, { auc: 0.9 }, rule).status).toBe('passed');
    expect(compareMetric({ auc: 0.905 }, { auc: 0.9 }, rule)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/below the required/) as unknown,
    });
  });

  it('allows a maximum relative regression (5% worse latency passes, 6% fails)', () => {
    const rule = { metric: 'latency', direction: 'lower' as const, mode: 'relative' as const, maxRegression: 0.05 };
    expect(compareMetric({ latency: 105 }, { latency: 100 }, rule).status).toBe('passed');
    const worse = compareMetric({ latency: 106 }, { latency: 100 }, rule);
    expect(worse.status).toBe('failed');
    expect(worse.relativeDelta).toBeCloseTo(-0.06);
  });

  it('uses |champion| for relative deltas of negative metrics', () => {
    const r = compareMetric(
      { score: -0.9 },
      { score: -1 },
      { metric: 'score', direction: 'higher', mode: 'relative', minImprovement: 0.1 },
    );
    expect(r.relativeDelta).toBeCloseTo(0.1);
    expect(r.status).toBe('passed');
  });

  it('falls back to absolute when the champion value is 0, and says so', () => {
    const r = compareMetric(
      { err: 0.01 },
      { err: 0 },
      { metric: 'err', direction: 'lower', mode: 'relative', maxRegression: 0.02 },
    );
    expect(r.status).toBe('passed');
    expect(r.message).toMatch(/champion is 0/);
  });

  it('fails when the challenger lacks the metric; passes (noted) when only the champion lacks it', () => {
    expect(compareWithChampion({}, { auc: 0.9 }, [{ metric: 'auc', direction: 'higher' }]).passed).toBe(false);
    const r = compareWithChampion({ auc: 0.9 }, {}, [{ metric: 'auc', direction: 'higher' }]);
    expect(r.passed).toBe(true);
    expect(r.results[0]?.status).toBe('champion-missing');
  });

  it('fails overall when any rule fails (champion better on one metric)', () => {
    const r = compareWithChampion({ auc: 0.95, loss: 0.4 }, { auc: 0.9, loss: 0.3 }, [
      { metric: 'auc', direction: 'higher' },
      { metric: 'loss', direction: 'lower', maxRegression: 0.05 },
    ]);
    expect(r.passed).toBe(false);
    expect(r.results.map((x) => x.status)).toEqual(['passed', 'failed']);
  });
});
