import { describe, expect, it } from 'vitest';
import { ciVerdict, validationVerdict } from '../../shared/decisions';

describe('validation verdict', () => {
  it('opens the gate when all checks pass', () => {
    const v = validationVerdict([
      { id: 'a', severity: 'blocking', status: 'passed' },
      { id: 'b', severity: 'advisory', status: 'passed' },
    ]);
    expect(v).toMatchObject({ gate: 'open', wouldBlock: false, passed: ['a', 'b'] });
  });

  it('blocks on a blocking failure and on a blocking check that could not run (fail closed)', () => {
    expect(validationVerdict([{ id: 'a', severity: 'blocking', status: 'failed' }]).gate).toBe('blocked');
    const v = validationVerdict([{ id: 'job', severity: 'blocking', status: 'error' }]);
    expect(v).toMatchObject({ gate: 'blocked', blockingFailures: ['job'] });
    expect(v.summary).toMatch(/blocked by job/);
  });

  it('records an advisory failure without blocking', () => {
    expect(
      validationVerdict([
        { id: 'a', severity: 'advisory', status: 'failed' },
        { id: 'b', severity: 'blocking', status: 'passed' },
      ]),
    ).toMatchObject({ gate: 'open', advisoryFailures: ['a'] });
  });

  it('dry run records the blocking failure but never blocks', () => {
    const v = validationVerdict([{ id: 'a', severity: 'blocking', status: 'failed' }], { dryRun: true });
    expect(v).toMatchObject({ gate: 'open', wouldBlock: true, dryRun: true, blockingFailures: ['a'] });
    expect(v.summary).toMatch(/dry run: would have blocked on a/);
  });

  it('neither passes nor blocks skipped checks; an empty list opens the gate', () => {
    expect(validationVerdict([{ id: 's', severity: 'blocking', status: 'skipped' }])).toMatchObject({
      gate: 'open',
      skipped: ['s'],
    });
    expect(validationVerdict([]).gate).toBe('open');
  });
});

describe('CI verdict', () => {
  it('is success when every suite succeeded', () => {
    expect(
      ciVerdict([
        { name: 'unit', state: 'SUCCEEDED' },
        { name: 'int', state: 'SUCCEEDED' },
      ]),
    ).toMatchObject({ state: 'success', description: '2 of 2 suites passed' });
  });

  it('is failure when a required suite failed, naming it', () => {
    expect(
      ciVerdict([
        { name: 'unit', state: 'SUCCEEDED' },
        { name: 'int', state: 'FAILED' },
      ]),
    ).toMatchObject({ state: 'failure', failed: ['int'] });
  });

  it('is error (not failure) when a suite timed out or was cancelled and none failed', () => {
    expect(
      ciVerdict([
        { name: 'int', state: 'TIMED_OUT' },
        { name: 'unit', state: 'SUCCEEDED' },
      ]),
    ).toMatchObject({ state: 'error', errored: ['int'] });
    expect(
      ciVerdict([
        { name: 'int', state: 'TIMED_OUT' },
        { name: 'unit', state: 'FAILED' },
      ]).state,
    ).toBe('failure');
  });

  it('is pending while any suite runs, even if another failed', () => {
    expect(
      ciVerdict([
        { name: 'a', state: 'FAILED' },
        { name: 'b', state: 'RUNNING' },
      ]).state,
    ).toBe('pending');
  });

  it('ignores optional suites for the verdict but reports them', () => {
    expect(
      ciVerdict([
        { name: 'a', state: 'SUCCEEDED' },
        { name: 'lint', state: 'FAILED', required: false },
      ]),
    ).toMatchObject({ state: 'success', optionalFailed: ['lint'] });
  });

  it('is success with a note when no suites are configured, and keeps descriptions within 140 characters', () => {
    expect(ciVerdict([])).toMatchObject({ state: 'success', description: 'no test suites configured' });
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `suite-number-${i}`, state: 'FAILED' as const }));
    expect(ciVerdict(many).description.length).toBeLessThanOrEqual(140);
  });
});
