import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PolicyInvalidError,
  PolicyNotFoundError,
  compareSpecificity,
  deepMerge,
  globMatches,
  jobSpecFromDef,
  matchingGlobs,
  parsePolicyText,
  resolvePolicy,
  tryResolvePolicy,
  resolvePipeline,
  renderTemplate,
} from '../../shared/policy';
import { loadPolicy } from '../../shared/policy/load';
import { policyCheck } from '../../shared/policy/check';
import { policyJsonSchema } from '../../shared/policy/gen-schema';

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'policy-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = `
version: 1
channels:
  hook: { type: webhook, url: "http://127.0.0.1:9/hook" }
defaults:
  approval:
    approvers: { users: [alice@contoso.com, bob@contoso.com] }
    deadline: 2d
  validations:
    sig: { type: signature }
    desc: { type: description, severity: advisory }
  notify: [hook]
models:
`;

function invalid(text: string): PolicyInvalidError {
  try {
    parsePolicyText(text, 'test.yaml');
  } catch (e) {
    if (e instanceof PolicyInvalidError) return e;
    throw e;
  }
  throw new Error('expected the policy to be invalid');
}

describe('the repository policy', () => {
  it('stagecraft.policy.yaml validates and resolves breast-cancer-classifier', async () => {
    const r = await policyCheck(join(ROOT, 'stagecraft.policy.yaml'));
    expect(r.report).toContain('is valid');
    expect(r.exitCode).toBe(0);
    const p = await loadPolicy(join(ROOT, 'stagecraft.policy.yaml'));
    const eff = resolvePolicy(p, 'breast-cancer-classifier');
    expect(eff.policy.validations.quality?.type).toBe('metric-threshold');
    expect(eff.policy.validations['required-tags']?.type).toBe('required-tags');
    expect(eff.policy.retraining?.drift[0]).toMatchObject({ metric: 'psi', n: 3, m: 5 });
    expect(resolvePipeline(p, 'Contoso/Breast-Cancer-ML')?.suites.unit).toBeDefined();
  });

  it('docs/policy.schema.json is up to date with the zod schema (run npx tsx shared/policy/gen-schema.ts)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'policy.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(policyJsonSchema())));
  });
});

describe('valid policies', () => {
  it('applies built-in defaults for sections a model does not set', () => {
    const p = parsePolicyText(`${base}  m1: {}\n`);
    const eff = resolvePolicy(p, 'm1').policy;
    expect(eff.promotion).toEqual({
      mode: 'aliases',
      challengerAlias: 'challenger',
      championAlias: 'champion',
      archivePrevious: true,
    });
    expect(eff.deploy).toEqual({ action: 'none' });
    expect(eff.approval).toMatchObject({
      required: true,
      minApprovals: 1,
      excludeAuthor: true,
      excludeTrigger: false,
      onDeadline: 'reject',
    });
    expect(eff.validations.sig).toMatchObject({ severity: 'blocking', enabled: true, retries: 0 });
  });

  it('reads the same policy from JSON as from YAML', () => {
    const json = JSON.stringify({
      version: 1,
      defaults: { approval: { required: false } },
      models: { m: { deploy: { action: 'none' } } },
    });
    expect(resolvePolicy(parsePolicyText(json, 'p.json'), 'm').policy.approval.required).toBe(false);
  });

  it('fills job defaults (timeout 1h, retries 0, backoff 30s, args style) and renders placeholders into a JobSpec', () => {
    const p = parsePolicyText(
      `${base}  m:\n    validations:\n      j: { type: job, job: { runner: local, command: node, args: ["{{model.name}}.js"], parameters: { v: "{{model.version}}" } } }\n`,
    );
    const check = resolvePolicy(p, 'm').policy.validations.j;
    if (check?.type !== 'job') throw new Error('expected a job check');
    expect(check.job).toMatchObject({ timeout: '1h', retries: 0, backoff: '30s', parameterStyle: 'args' });
    expect(jobSpecFromDef(check.job, { 'model.name': 'm', 'model.version': '3' })).toEqual({
      runner: 'local',
      command: 'node',
      args: ['m.js'],
      env: {},
      parameters: { v: '3' },
      parameterStyle: 'args',
      timeoutMs: 3_600_000,
    });
  });

  it('refuses to render an unknown placeholder and names it', () => {
    expect(() => renderTemplate('{{model.nmae}}', { 'model.name': 'x' }, 'parameters.a')).toThrow(
      /parameters\.a: unknown placeholder\(s\) \{\{model\.nmae\}\}/,
    );
  });
});

describe('invalid policies report every problem with its path and line', () => {
  it('reports a YAML syntax error with a line number', () => {
    const e = invalid('version: 1\nmodels:\n  m: [unclosed\n');
    expect(e.issues[0]?.line).toBeGreaterThan(0);
  });

  it('reports a missing version and an unknown top-level key', () => {
    const e = invalid('modles: {}\n');
    const paths = e.issues.map((i) => i.path);
    expect(paths).toContain('version');
    expect(e.issues.some((i) => /modles/.test(i.message))).toBe(true);
  });

  it('reports a bad duration, a threshold without bounds and a job without jobId at their paths and lines', () => {
    const text = `${base}  m:\n    approval:\n      reminderEvery: 1 hour\n    validations:\n      t: { type: metric-threshold, thresholds: [{ metric: auc }] }\n      j: { type: job, job: { runner: databricks } }\n`;
    const e = invalid(text);
    const expectedLine = text.split('\n').findIndex((l) => l.includes('reminderEvery: 1 hour')) + 1;
    const byPath = Object.fromEntries(e.issues.map((i) => [i.path, i]));
    expect(byPath['models.m.approval.reminderEvery']?.message).toMatch(/duration like/);
    expect(byPath['models.m.approval.reminderEvery']?.line).toBe(expectedLine);
    expect(byPath['models.m.validations.t.thresholds[0]']?.message).toMatch(/set min, max or both/);
    expect(byPath['models.m.validations.j.job.jobId']?.message).toMatch(/is required/);
  });

  it('attributes an inherited error to defaults, once, even when several models inherit it', () => {
    const e = invalid(
      `version: 1\ndefaults:\n  approval: { approvers: { users: [a] }, reminderEvery: 5s }\nmodels:\n  a: {}\n  b: {}\n`,
    );
    expect(e.issues.filter((i) => i.path === 'defaults.approval.reminderEvery')).toHaveLength(1);
  });

  it('requires approvers when approval is required, and quorum within the listed users', () => {
    expect(invalid('version: 1\nmodels:\n  m: {}\n').issues.map((i) => i.path)).toContain(
      'models.m.approval.approvers',
    );
    expect(invalid(`${base}  m: { approval: { minApprovals: 3 } }\n`).issues.map((i) => i.path)).toContain(
      'models.m.approval.minApprovals',
    );
  });

  it('refuses onDeadline: approve in defaults and without a deadline', () => {
    expect(
      invalid(`${base.replace('deadline: 2d', 'deadline: 2d\n    onDeadline: approve')}  m: {}\n`).issues.map(
        (i) => i.path,
      ),
    ).toContain('defaults.approval.onDeadline');
    expect(
      invalid(`${base}  m: { approval: { deadline: null, onDeadline: approve } }\n`).issues.map((i) => i.path),
    ).toContain('models.m.approval.onDeadline');
  });

  it('refuses an escalation step at or after the deadline', () => {
    const e = invalid(`${base}  m: { approval: { escalation: [{ after: 3d }] } }\n`);
    expect(e.issues.map((i) => i.path)).toContain('models.m.approval.escalation[0].after');
  });

  it('refuses reserved alias names, equal aliases, n > m in a drift rule, a bad cron and unknown channels', () => {
    expect(invalid(`${base}  m: { promotion: { championAlias: latest } }\n`).issues.map((i) => i.path)).toContain(
      'models.m.promotion.championAlias',
    );
    expect(
      invalid(`${base}  m: { promotion: { challengerAlias: x, championAlias: x } }\n`).issues.map((i) => i.path),
    ).toContain('models.m.promotion.championAlias');
    const retr = invalid(
      `${base}  m:\n    retraining:\n      trainingJob: { runner: databricks, jobId: 1 }\n      schedule: "61 * * * *"\n      drift: [{ metric: psi, threshold: 0.2, n: 4, m: 3 }]\n`,
    );
    const msgs = Object.fromEntries(retr.issues.map((i) => [i.path, i.message]));
    expect(msgs['models.m.retraining.schedule']).toMatch(/minute field/);
    expect(msgs['models.m.retraining.drift[0].n']).toMatch(/n must not exceed m/);
    expect(invalid(`${base}  m: { notify: [nope] }\n`).issues.map((i) => i.path)).toContain('models.m.notify[0]');
  });

  it('refuses a channel with both url and urlSetting, or neither', () => {
    const e = invalid(
      `version: 1\nchannels:\n  s: { type: slack }\n  t: { type: teams, url: "https://x.example/a", urlSetting: T }\n`,
    );
    expect(e.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['channels.s.url', 'channels.t.url']));
  });
});

describe('glob resolution: the most specific entry wins', () => {
  it('matches * across any characters and ? as one character, case-sensitively', () => {
    expect(globMatches('fraud-*', 'fraud-detector')).toBe(true);
    expect(globMatches('prod.ml.*', 'prod.ml.fraud')).toBe(true);
    expect(globMatches('m?', 'm1')).toBe(true);
    expect(globMatches('m?', 'm12')).toBe(false);
    expect(globMatches('Fraud-*', 'fraud-x')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
  });

  it('orders exact > more literal characters > fewer wildcards, ties by key', () => {
    expect(matchingGlobs(['*', 'fraud-*', 'fraud-detector', 'fraud-d*'], 'fraud-detector')).toEqual([
      '*',
      'fraud-*',
      'fraud-d*',
      'fraud-detector',
    ]);
    expect(compareSpecificity('a*b*', 'ab*')).toBeLessThan(0);
    expect(compareSpecificity('a?', 'a*')).toBeGreaterThan(0);
    expect(compareSpecificity('x*', 'y*')).toBeLessThan(0);
  });

  it('layers defaults and every matching entry field by field, lists replacing, null removing', () => {
    const p = parsePolicyText(
      `${base}  "*": { approval: { minApprovals: 2 } }\n  "fraud-*": { approval: { deadline: 1d }, validations: { sig: null } }\n  fraud-detector: { approval: { excludeTrigger: true } }\n`,
    );
    const eff = resolvePolicy(p, 'fraud-detector');
    expect(eff.matched).toEqual(['*', 'fraud-*', 'fraud-detector']);
    expect(eff.policy.approval).toMatchObject({ minApprovals: 2, deadline: '1d', excludeTrigger: true });
    expect(Object.keys(eff.policy.validations)).toEqual(['desc']);
    expect(Object.keys(resolvePolicy(p, 'other').policy.validations).sort()).toEqual(['desc', 'sig']);
    expect(resolvePolicy(p, 'other').channels.hook?.type).toBe('webhook');
  });

  it('gives a typed no-policy error when no entry matches, even with defaults', () => {
    const p = parsePolicyText(`${base}  fraud-*: {}\n`);
    expect(() => resolvePolicy(p, 'churn')).toThrow(PolicyNotFoundError);
    expect(tryResolvePolicy(p, 'churn')).toMatchObject({ ok: false, error: { code: 'POLICY_NO_MODEL' } });
  });

  it('reports an invalid combination of layered globs as POLICY_INVALID at resolve time', () => {
    const p = parsePolicyText(
      `${base}  "*": { approval: { deadline: 1d } }\n  "fr*": { approval: { escalation: [{ after: 1d }], deadline: 2d } }\n`,
    );
    // "fr*" alone is valid (escalation 1d < deadline 2d); merged with "*"'s deadline it still is: "fr*" wins on deadline.
    expect(tryResolvePolicy(p, 'fraud').ok).toBe(true);
    const q = parsePolicyText(
      `${base}  "*": { approval: { deadline: 1d } }\n  "fr*": { approval: { escalation: [{ after: 1d }] } }\n`.replace(
        'deadline: 2d\n',
        'deadline: 3d\n',
      ),
    );
    expect(tryResolvePolicy(q, 'fraud')).toMatchObject({ ok: false, error: { code: 'POLICY_INVALID' } });
  });

  it('merges without mutating its inputs', () => {
    const a = { x: { y: 1 }, l: [1] };
    const b = { x: { z: 2 }, l: [2] };
    expect(deepMerge(a, b)).toEqual({ x: { y: 1, z: 2 }, l: [2] });
    expect(a).toEqual({ x: { y: 1 }, l: [1] });
  });
});

describe('policyCheck (stagecraft policy check)', () => {
  it('exits 1 with a report naming path and line for an invalid file', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, `${base}  m: { approval: { minApprovals: 0 } }\n`);
    const r = await policyCheck(f);
    expect(r.exitCode).toBe(1);
    expect(r.report).toMatch(/models\.m\.approval\.minApprovals: .*\(line \d+, column \d+\)/);
  });

  it('exits 2 for a missing file and 0 with warnings for inline Slack URLs', async () => {
    expect((await policyCheck(join(dir, 'missing.yaml'))).exitCode).toBe(2);
    const f = join(dir, 'warn.yaml');
    writeFileSync(f, 'version: 1\nchannels:\n  s: { type: slack, url: "https://hooks.example/T/B/x" }\n');
    const r = await policyCheck(f);
    expect(r.exitCode).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/no models are configured[\s\S]*prefer urlSetting/);
  });
});
