import { describe, expect, it } from 'vitest';
import { Check } from '../../shared/policy';
import { CHECK_TYPES } from '../../shared/policy/checks';
import { evaluateCheck, factsNeeded, mlmodelFacts, type CheckFacts } from '../../shared/promotion/checks';
import { previousChampionFromHistory, type AliasHistoryRow } from '../../shared/promotion/aliases';
import type { VersionInfo } from '../../shared/promotion/types';

const version: VersionInfo = {
  name: 'm',
  version: '4',
  status: 'READY',
  runId: 'r4',
  source: 'runs:/r4/model',
  author: 'dave',
  description: 'weekly retrain',
  tags: { git_commit: 'abc' },
  aliases: [],
  currentStage: undefined,
  createdAt: undefined,
  gitCommit: 'abc',
  retrainingRun: undefined,
};
const facts = (o: Partial<CheckFacts> = {}): CheckFacts => ({
  version,
  runTags: {},
  runMetrics: { roc_auc: 0.96, log_loss: 0.3 },
  ...o,
});
const champion = Check.parse({
  type: 'champion',
  rules: [
    { metric: 'roc_auc', direction: 'higher', maxRegression: 0.005 },
    { metric: 'log_loss', direction: 'lower', mode: 'relative', maxRegression: 0.05 },
  ],
});

describe('built-in checks', () => {
  it('every check type is one registry entry declaring its facts; the policy schema accepts exactly these types', () => {
    const declared = Object.fromEntries(Object.entries(CHECK_TYPES).map(([type, d]) => [type, [...d.facts]]));
    expect(declared).toEqual({
      'required-tags': ['run'],
      description: [],
      signature: ['mlmodel'],
      'input-example': ['mlmodel'],
      'metric-threshold': ['run'],
      champion: ['run', 'champion'],
      artifacts: ['artifacts'],
      datasets: ['run', 'datasets'],
      job: [],
      'ab-test': [],
    });
    for (const [type, d] of Object.entries(CHECK_TYPES)) expect(d.type).toBe(type);
    expect(factsNeeded(champion)).toEqual(['run', 'champion']);
    expect(Check.safeParse({ type: 'no-such-check' }).success).toBe(false);
  });

  it('champion better: passes with per-metric deltas', () => {
    const out = evaluateCheck(
      champion,
      facts({ champion: { version: '3', metrics: { roc_auc: 0.95, log_loss: 0.31 } } }),
    );
    expect(out.status).toBe('passed');
    expect(out.champion?.championVersion).toBe('3');
    expect(out.champion?.results[0]?.delta).toBeCloseTo(0.01);
  });

  it('champion worse: fails naming the metric that regressed too much', () => {
    const out = evaluateCheck(
      champion,
      facts({ champion: { version: '3', metrics: { roc_auc: 0.99, log_loss: 0.3 } } }),
    );
    expect(out.status).toBe('failed');
    expect(out.message).toContain('worse than champion v3');
    expect(out.message).toContain('roc_auc');
  });

  it('first version with no champion passes and says so', () => {
    const out = evaluateCheck(champion, facts({ champion: null }));
    expect(out).toMatchObject({ status: 'passed', champion: { hasChampion: false } });
    expect(out.message).toContain('no champion');
  });

  it('thresholds fail closed on a missing metric and a version without a run', () => {
    const t = Check.parse({ type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] });
    expect(evaluateCheck(t, facts()).status).toBe('failed');
    expect(evaluateCheck(t, facts({ runMetrics: undefined })).message).toContain('no run');
    expect(evaluateCheck(t, facts({ runMetrics: { accuracy: 0.91 } })).status).toBe('passed');
  });

  it('required tags look at version tags then run tags; description, artifacts and datasets report what is missing', () => {
    expect(
      evaluateCheck(Check.parse({ type: 'required-tags', tags: ['git_commit', 'owner'] }), facts()).missing,
    ).toEqual(['owner']);
    expect(
      evaluateCheck(Check.parse({ type: 'required-tags', tags: ['owner'] }), facts({ runTags: { owner: 'x' } })).status,
    ).toBe('passed');
    expect(evaluateCheck(Check.parse({ type: 'description', minLength: 50 }), facts()).status).toBe('failed');
    expect(
      evaluateCheck(
        Check.parse({ type: 'artifacts', paths: ['model/MLmodel'] }),
        facts({ artifacts: ['model/MLmodel', 'model/conda.yaml'] }),
      ).status,
    ).toBe('passed');
    expect(
      evaluateCheck(Check.parse({ type: 'artifacts', paths: ['model/MLmodel'] }), facts({ artifacts: [] })).missing,
    ).toEqual(['model/MLmodel']);
    expect(
      evaluateCheck(Check.parse({ type: 'datasets', names: ['train'] }), facts({ datasets: ['eval'] })).status,
    ).toBe('failed');
  });

  it('signature and input example fail closed when the MLmodel cannot be read', () => {
    expect(evaluateCheck(Check.parse({ type: 'signature' }), facts()).status).toBe('failed');
    expect(
      evaluateCheck(
        Check.parse({ type: 'signature' }),
        facts({ mlmodel: { signature: undefined, inputExample: true } }),
      ).message,
    ).toContain('could not be read');
    expect(
      evaluateCheck(
        Check.parse({ type: 'input-example' }),
        facts({ mlmodel: { signature: undefined, inputExample: true } }),
      ).status,
    ).toBe('passed');
    expect(
      evaluateCheck(
        Check.parse({ type: 'signature' }),
        facts({ mlmodel: mlmodelFacts({ signature: { inputs: '[]' } }) }),
      ).status,
    ).toBe('passed');
    expect(mlmodelFacts({ saved_input_example_info: { artifact_path: 'input_example.json' } })).toEqual({
      signature: false,
      inputExample: true,
    });
  });
});

describe('previous champion from the alias history', () => {
  const row = (after: string | null, before: string | null, at: string): AliasHistoryRow => ({
    model: 'm',
    alias: 'champion',
    before,
    after,
    at,
    actor: 'a',
    reason: 'r',
    instanceId: 'i',
    step: 'champion',
  });
  it('finds the champion before the current one, skipping challenger moves', () => {
    const rows = [
      row('1', null, '1'),
      { ...row('2', null, '2'), alias: 'challenger' },
      row('2', '1', '3'),
      row('3', '2', '4'),
    ];
    expect(previousChampionFromHistory(rows, 'champion', '3')).toBe('2');
    expect(previousChampionFromHistory(rows, 'champion', '2')).toBe('1');
    expect(previousChampionFromHistory(rows, 'champion', '1')).toBeUndefined();
  });
});
