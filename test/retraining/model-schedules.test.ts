/**
 * Model retraining crons apply only to models named exactly in the policy: a cron in `defaults` or on a glob entry
 * cannot know which models to retrain, so the policy refuses it (load and `stagecraft policy check`), and the
 * schedule evaluator only ever signals exact model names.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyInvalidError, parsePolicyText, resolvePolicy } from '../../shared/policy';
import { policyCheck } from '../../shared/policy/check';
import { dueSchedules } from '../../shared/pipelines/schedules';

const dir = mkdtempSync(join(tmpdir(), 'model-schedules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job = '{ runner: local, command: node, args: [train.js] }';
const RULE = 'a retraining schedule must be written on an exact model name';

function issuesOf(text: string): Array<{ path: string; message: string; line?: number }> {
  try {
    parsePolicyText(text, 'test.yaml');
  } catch (e) {
    if (e instanceof PolicyInvalidError) return e.issues;
    throw e;
  }
  throw new Error('expected the policy to be invalid');
}

describe('model retraining schedules', () => {
  it('a retraining schedule on a glob entry is a policy error naming the entry and its line', () => {
    const issues = issuesOf(`version: 1
defaults:
  approval: { required: false }
models:
  churn-*:
    retraining:
      trainingJob: ${job}
      schedule: "0 3 * * 1"
  churn-eu: {}
`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'models.churn-*.retraining.schedule', line: 8 });
    expect(issues[0]!.message).toContain(RULE);
  });

  it('a retraining schedule in defaults is a policy error too (defaults name no model either)', () => {
    const issues = issuesOf(`version: 1
defaults:
  approval: { required: false }
  retraining:
    trainingJob: ${job}
    schedule: "0 3 * * *"
models:
  churn: {}
`);
    expect(issues.map((i) => i.path)).toEqual(['defaults.retraining.schedule']);
    expect(issues[0]!.message).toContain(RULE);
  });

  it('stagecraft policy check reports the glob schedule and exits 1', async () => {
    const file = join(dir, 'glob-schedule.yaml');
    writeFileSync(
      file,
      `version: 1\ndefaults:\n  approval: { required: false }\nmodels:\n  "*":\n    retraining:\n      trainingJob: ${job}\n      schedule: "0 3 * * 1"\n`,
    );
    const r = await policyCheck(file);
    expect(r.exitCode).toBe(1);
    expect(r.report).toContain('models.*.retraining.schedule');
    expect(r.report).toContain(RULE);
  });

  it('glob entries may carry the rest of retraining; only exact entries with their own cron are scheduled', () => {
    const policy = parsePolicyText(
      `version: 1
defaults:
  approval: { required: false }
models:
  churn-*:
    retraining:
      trainingJob: ${job}
      cooldown: 2h
  churn-eu:
    retraining:
      trainingJob: ${job}
      schedule: "0 3 * * 1"
  churn-us: {}
  churn-off:
    retraining:
      trainingJob: ${job}
      schedule: "0 3 * * 1"
      enabled: false
  churn-unset:
    retraining:
      trainingJob: ${job}
      schedule: null
`,
      'test.yaml',
    );
    // The glob's settings still merge into the exact entries.
    expect(resolvePolicy(policy, 'churn-eu').policy.retraining).toMatchObject({
      cooldown: '2h',
      schedule: '0 3 * * 1',
    });
    expect(resolvePolicy(policy, 'churn-us').policy.retraining?.schedule).toBeUndefined();
    const monday = Date.parse('2026-11-30T03:00:00Z');
    const due = dueSchedules(policy, monday - 60_000, monday + 30_000);
    expect(due.models).toEqual([{ model: 'churn-eu', scheduledFor: '2026-11-30T03:00:00.000Z' }]);
    // Several missed ticks of one model's cron catch up as one (the latest).
    const week = 7 * 86_400_000;
    expect(dueSchedules(policy, monday - 2 * week - 60_000, monday + 30_000).models).toEqual([
      { model: 'churn-eu', scheduledFor: '2026-11-30T03:00:00.000Z' },
    ]);
    expect(dueSchedules(policy, monday + 60_000, monday + 120_000).models).toEqual([]);
  });
});
