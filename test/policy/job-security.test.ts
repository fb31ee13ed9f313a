/**
 * What a job may be, from the policy's side: jobs are named by reference (catalog), shell scripts render values as
 * literal words, declared env reads settings by name, manual retrain parameters are checked against the model's
 * schema, `policy check` warns about risky jobs and approvals, and git gets only hex commit ids.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type JobRef, jobRefTimeoutSeconds, resolveJob } from '../../shared/jobs/catalog';
import { RunJobInput } from '../../shared/jobs/contract';
import {
  PolicyInvalidError,
  checkRetrainParameters,
  jobSpecFromDef,
  parsePolicyText,
  renderShellScript,
  resolvePolicy,
} from '../../shared/policy';
import { policyCheck } from '../../shared/policy/check';
import { localCheckoutSource, validCommitId } from '../../shared/vcs/contents';

const dir = mkdtempSync(join(tmpdir(), 'job-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policyText = `
version: 1
defaults:
  approval: { approvers: { users: [alice@contoso.com] } }
models:
  m:
    validations:
      holdout:
        type: job
        timeout: 5m
        job:
          runner: local
          command: /bin/sh
          args: [-c, "echo {{model.name}} v{{model.version}}"]
          env:
            MLFLOW_TRACKING_URI: { setting: MLFLOW_TRACKING_URI }
            MODE: "check-{{model.version}}"
            OPTIONAL_TOKEN: { setting: NOT_SET_ANYWHERE }
      sig: { type: signature }
    deploy:
      action: batch-scoring
      job: { runner: databricks, jobId: 42, parameters: { model: "{{model.name}}" }, timeout: 20m }
    retraining:
      trainingJob: { runner: local, command: python, args: [train.py], parameters: { reason: "{{trigger.kind}}" }, env: { MLFLOW_TRACKING_URI: { setting: MLFLOW_TRACKING_URI } } }
      parameters:
        epochs: { type: integer, min: 1, max: 50 }
        learning_rate: { type: number, min: 0, max: 1 }
        mode: { enum: [fast, full] }
        tag: { type: string, pattern: "[a-z0-9-]{1,20}" }
  off:
    deploy: { action: none }
pipelines:
  org/repo:
    suites:
      unit: { job: { runner: local, command: node, args: [test.js], parameters: { suite: "{{suite.name}}" } } }
    release:
      branches: [release/*]
      smokeRun: { job: { runner: local, command: node, args: [smoke.js, "{{commit}}"] } }
jobs:
  refresh: { kind: feature-refresh, job: { runner: local, command: node, args: [refresh.js], timeout: 3m } }
  old: { kind: feature-refresh, enabled: false, job: { runner: local, command: node, args: [old.js] } }
`;
const policy = parsePolicyText(policyText, 'p.yaml');
const settings = { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000', STAGECRAFT_APPROVER_KEYS: 'secret' };

describe('the job catalog: runJob names a job by reference into the policy', () => {
  it('resolves each kind of reference to the job the policy declares, with its templates rendered', () => {
    const v = resolveJob(
      policy,
      { kind: 'model-validation', model: 'm', check: 'holdout' },
      { 'model.version': '3' },
      settings,
    );
    expect(v).toMatchObject({
      runner: 'local',
      command: '/bin/sh',
      args: ['-c', 'echo "${STAGECRAFT_TPL_1}" v"${STAGECRAFT_TPL_2}"'],
      timeoutMs: 300_000,
    });
    expect(v.runner === 'local' && v.env).toMatchObject({ STAGECRAFT_TPL_1: 'm', STAGECRAFT_TPL_2: '3' });
    expect(resolveJob(policy, { kind: 'deploy', model: 'm' }, {}, settings)).toEqual({
      runner: 'databricks',
      jobId: 42,
      parameters: { model: 'm' },
      timeoutMs: 1_200_000,
    });
    expect(resolveJob(policy, { kind: 'pipeline-suite', repo: 'ORG/repo', suite: 'unit' }, {})).toMatchObject({
      command: 'node',
      parameters: { suite: 'unit' },
    });
    expect(resolveJob(policy, { kind: 'release-smoke', repo: 'org/repo' }, { commit: 'abc1234' })).toMatchObject({
      args: ['smoke.js', 'abc1234'],
    });
    expect(resolveJob(policy, { kind: 'scheduled', job: 'refresh' }, {})).toMatchObject({
      args: ['refresh.js'],
      timeoutMs: 180_000,
    });
    expect(jobRefTimeoutSeconds(policy, { kind: 'model-validation', model: 'm', check: 'holdout' })).toBe(300);
  });

  it('refuses a reference the policy does not declare with JOB_NOT_IN_POLICY, naming what is missing', () => {
    const refused: Array<[JobRef, RegExp]> = [
      [{ kind: 'model-validation', model: 'm', check: 'nope' }, /no validation 'nope'/],
      [{ kind: 'model-validation', model: 'm', check: 'sig' }, /signature check, not a job/],
      [{ kind: 'deploy', model: 'off' }, /deploy.action is none/],
      [{ kind: 'deploy', model: 'unknown-model' }, /unknown-model/],
      [{ kind: 'training', model: 'off' }, /no retraining section/],
      [{ kind: 'pipeline-suite', repo: 'org/repo', suite: 'evil' }, /no suite 'evil'/],
      [{ kind: 'release-smoke', repo: 'other/repo' }, /no pipeline other\/repo/],
      [{ kind: 'scheduled', job: 'old' }, /disabled/],
      [{ kind: 'scheduled', job: 'constructor' }, /no job 'constructor'/],
    ];
    for (const [ref, message] of refused) {
      let err: unknown;
      try {
        resolveJob(policy, ref, {});
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(ref)).toMatchObject({ code: 'JOB_NOT_IN_POLICY', status: 400 });
      expect((err as Error).message).toMatch(message);
    }
  });

  it('the runJob input has no command: a job/command field or an unknown ref kind is refused', () => {
    const base = { ref: { kind: 'scheduled', job: 'refresh' }, idempotencyKey: 'k', label: 'l' };
    expect(RunJobInput.safeParse(base).success).toBe(true);
    const withJob = RunJobInput.safeParse({ ...base, job: { runner: 'local', command: 'sh', args: ['-c', 'env'] } });
    expect(withJob.success).toBe(false);
    expect(JSON.stringify(withJob.error?.issues)).toContain('job');
    expect(RunJobInput.safeParse({ ...base, ref: { kind: 'command', command: 'sh -c env' } }).success).toBe(false);
    expect(RunJobInput.safeParse({ ...base, ref: { kind: 'scheduled', job: 'refresh', command: 'env' } }).success).toBe(
      false,
    );
  });

  it('declared env reads app settings by name (unset ones are left out) and renders literals; nothing else', () => {
    const v = resolveJob(
      policy,
      { kind: 'model-validation', model: 'm', check: 'holdout' },
      { 'model.version': '3' },
      settings,
    );
    expect(v.runner === 'local' && v.env).toEqual({
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000',
      MODE: 'check-3',
      STAGECRAFT_TPL_1: 'm',
      STAGECRAFT_TPL_2: '3',
    });
  });

  it('a training job gets the run parameters and checked manual parameters; refused ones fail RETRAIN_PARAMETERS_INVALID', () => {
    const vars = {
      'retraining.runId': 'r1',
      'trigger.kind': 'manual',
      'data.snapshot': '2026-01-01T00:00:00Z',
      'param.epochs': '10',
    };
    expect(resolveJob(policy, { kind: 'training', model: 'm' }, vars, settings).parameters).toEqual({
      retraining_run_id: 'r1',
      trigger_kind: 'manual',
      data_snapshot: '2026-01-01T00:00:00Z',
      epochs: '10',
      reason: 'manual',
    });
    for (const bad of ['param.NODE_OPTIONS', 'param.git_commit', 'param.undeclared']) {
      expect(() => resolveJob(policy, { kind: 'training', model: 'm' }, { ...vars, [bad]: 'x' })).toThrow(
        expect.objectContaining({ code: 'RETRAIN_PARAMETERS_INVALID' }) as Error,
      );
    }
  });
});

describe('shell scripts never get a value as script text', () => {
  const evil = `x'; touch ${join(dir, 'pwned')}; echo "$(touch ${join(dir, 'pwned2')})" \`id\` '`;
  function run(script: string): string {
    const r = renderShellScript(script, { v: evil }, 'args[1]');
    expect(r.script).not.toContain('pwned');
    return execFileSync('/bin/sh', ['-c', r.script, 'sh'], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...r.env },
    });
  }

  it('bare, single-quoted, double-quoted, substituted and here-document placeholders all print the value verbatim', () => {
    expect(run('printf %s {{v}}')).toBe(evil);
    expect(run("printf %s '{{v}}'")).toBe(evil);
    expect(run('printf %s "{{v}}"')).toBe(evil);
    expect(run('printf %s "a-{{v}}-b"')).toBe(`a-${evil}-b`);
    expect(run('printf %s "$(printf %s {{v}})"')).toBe(evil);
    expect(run('cat <<EOF\n{{v}}\nEOF')).toBe(`"${evil}"\n`);
    expect(run('printf %s {{v}} {{v}}')).toBe(evil + evil);
    for (const f of ['pwned', 'pwned2']) expect(() => execFileSync('test', ['-e', join(dir, f)])).toThrow();
  });

  it('jobSpecFromDef turns placeholders into variable references only in the -c script of a shell; other args are passed as they are', () => {
    const def = resolvePolicy(
      parsePolicyText(
        `version: 1\nmodels:\n  m:\n    approval: { required: false }\n    deploy: { action: batch-scoring, job: { runner: local, command: bash, args: [-ec, "run {{model.name}}", "{{model.name}}"] } }\n`,
      ),
      'm',
    ).policy.deploy;
    if (def.action === 'none' || !def.job) throw new Error('expected a deploy job');
    expect(jobSpecFromDef(def.job, { 'model.name': 'a b' })).toMatchObject({
      args: ['-ec', 'run "${STAGECRAFT_TPL_1}"', 'a b'],
      env: { STAGECRAFT_TPL_1: 'a b' },
    });
  });
});

describe('manual retraining parameters are checked against the declared schema', () => {
  const retraining = resolvePolicy(policy, 'm').policy.retraining!;
  const check = (p: Record<string, string>) => checkRetrainParameters(retraining.parameters, retraining.trainingJob, p);

  it('accepts declared parameters within their bounds', () => {
    expect(check({ epochs: '10', learning_rate: '0.01', mode: 'fast', tag: 'exp-1' })).toEqual([]);
  });

  it('refuses process-steering, provenance, training-job and undeclared names, each named', () => {
    const problems = check({
      NODE_OPTIONS: '--require x',
      LD_PRELOAD: '/x.so',
      PYTHONPATH: '/x',
      tracking_uri: 'http://evil',
      git_commit: 'fake',
      retraining_run_id: 'r',
      reason: 'x',
      MLFLOW_TRACKING_URI: 'x',
      bogus: '1',
    });
    expect(problems.map((p) => p.name)).toEqual([
      'NODE_OPTIONS',
      'LD_PRELOAD',
      'PYTHONPATH',
      'tracking_uri',
      'git_commit',
      'retraining_run_id',
      'reason',
      'MLFLOW_TRACKING_URI',
      'bogus',
    ]);
    expect(problems.find((p) => p.name === 'bogus')?.problem).toMatch(/not declared/);
  });

  it('refuses values outside the schema', () => {
    const problems = check({ epochs: '51', learning_rate: 'abc', mode: 'turbo', tag: '--tracking_uri=http://evil' });
    expect(Object.fromEntries(problems.map((p) => [p.name, p.problem]))).toEqual({
      epochs: 'must be at most 50',
      learning_rate: 'must be a number',
      mode: 'must be one of fast, full',
      tag: "must not start with '-' (it would read as an option)",
    });
  });

  it('without a declared schema every parameter is refused, saying to declare them', () => {
    expect(checkRetrainParameters({}, undefined, { epochs: '1' })[0]?.problem).toMatch(
      /declares no retraining.parameters/,
    );
  });

  it('a policy declaring a reserved name is invalid (policy check reports it as an error)', async () => {
    for (const name of ['NODE_OPTIONS', 'ld_preload', 'PYTHONPATH', 'tracking_uri', 'git_commit', 'reason']) {
      const text = policyText.replace('epochs: { type: integer, min: 1, max: 50 }', `${name}: { type: string }`);
      let err: unknown;
      try {
        parsePolicyText(text, 'p.yaml');
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(PolicyInvalidError);
      expect(
        (err as PolicyInvalidError).issues.some(
          (i) =>
            i.path === `models.m.retraining.parameters.${name}` && /may never be a request parameter/.test(i.message),
        ),
      ).toBe(true);
    }
    const file = join(dir, 'reserved.yaml');
    writeFileSync(
      file,
      policyText.replace('epochs: { type: integer, min: 1, max: 50 }', 'LD_PRELOAD: { type: string }'),
    );
    const r = await policyCheck(file);
    expect(r.exitCode).toBe(1);
    expect(r.report).toMatch(/retraining\.parameters\.LD_PRELOAD.*may never be a request parameter/);
  });
});

describe('policy check warnings', () => {
  async function warnings(text: string): Promise<string[]> {
    const file = join(dir, `w-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);
    const r = await policyCheck(file);
    expect(r.exitCode, r.report).toBe(0);
    return r.warnings;
  }

  it('warns on unquoted placeholders in a shell script, placeholders in inline code, and shell syntax without a shell', async () => {
    const w = await warnings(`version: 1
models:
  m:
    approval: { required: false }
    validations:
      a: { type: job, job: { runner: local, command: sh, args: [-c, "train --model {{model.name}} && echo '{{model.version}}'"] } }
      b: { type: job, job: { runner: local, command: python3, args: [-c, "print('{{model.name}}')"] } }
      c: { type: job, job: { runner: local, command: node, args: [run.js, "{{model.name}} | tee log"] } }
      d: { type: job, job: { runner: local, command: sh, args: [-c, "train --model \\"{{model.name}}\\""] } }
      e: { type: job, job: { runner: local, command: "python train.py && echo done" } }
`);
    expect(
      w.some((x) =>
        /models\.m\.validations\.a\.job\.args\[1\]: unquoted \{\{model\.name\}\} in a shell script/.test(x),
      ),
    ).toBe(true);
    expect(w.some((x) => /validations\.a.*model\.version/.test(x))).toBe(false);
    expect(w.some((x) => /validations\.b\.job\.args\[1\].*inline code/.test(x))).toBe(true);
    expect(w.some((x) => /validations\.c\.job\.args\[1\]: shell syntax/.test(x))).toBe(true);
    expect(w.some((x) => /validations\.d/.test(x))).toBe(false);
    expect(w.some((x) => /validations\.e\.job\.command: looks like a shell command line/.test(x))).toBe(true);
  });

  it('warns on onDeadline: approve', async () => {
    const w = await warnings(
      'version: 1\nmodels:\n  m:\n    approval: { approvers: { users: [a@b.c] }, deadline: 1d, onDeadline: approve }\n',
    );
    expect(w).toContain(
      'models.m.approval.onDeadline: approve promotes without a human decision when the deadline passes',
    );
  });

  it('quorum above the named users (no groups) and an empty approver set are reported (as errors by the schema)', async () => {
    const file = join(dir, 'quorum.yaml');
    writeFileSync(
      file,
      'version: 1\nmodels:\n  m:\n    approval: { approvers: { users: [a@b.c] }, minApprovals: 2 }\n  n:\n    approval: { approvers: { users: [] } }\n',
    );
    const r = await policyCheck(file);
    expect(r.report).toMatch(/models\.m\.approval\.minApprovals/);
    expect(r.report).toMatch(/models\.n\.approval\.approvers/);
    // With a group the number of possible approvers is unknowable: no complaint.
    expect(
      await warnings(
        'version: 1\nmodels:\n  m:\n    approval: { approvers: { users: [a@b.c], groups: [g] }, minApprovals: 3 }\n',
      ),
    ).toEqual([]);
  });

  it('the repository policies give no job warnings', async () => {
    for (const f of ['stagecraft.policy.yaml', 'examples/ml-project/stagecraft.policy.yaml']) {
      const r = await policyCheck(join(__dirname, '..', '..', f));
      expect(r.exitCode, r.report).toBe(0);
      expect(r.warnings.filter((w) => /args|command|onDeadline|approvers|minApprovals/.test(w))).toEqual([]);
    }
  });
});

describe('git gets only hex commit ids', () => {
  it('validCommitId accepts 7-64 hex digits and refuses options, refs and ranges', () => {
    expect(validCommitId('0123abc')).toBe('0123abc');
    expect(validCommitId('a'.repeat(64))).toBe('a'.repeat(64));
    for (const bad of [
      '--output=/tmp/x',
      'HEAD',
      'main',
      'abc',
      'a'.repeat(65),
      'abc1234..def5678',
      'abc1234 --',
      '0123abz',
    ]) {
      expect(() => validCommitId(bad), bad).toThrow(expect.objectContaining({ code: 'COMMIT_ID_INVALID' }) as Error);
    }
  });

  it('reading a file from a local checkout refuses an invalid commit id before running git', async () => {
    const repo = join(dir, 'repo');
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, 'jobs.json'), '{"a":1}');
    execFileSync('git', ['-C', repo, 'add', '.']);
    execFileSync('git', ['-C', repo, '-c', 'user.email=t@e.st', '-c', 'user.name=t', 'commit', '-qm', 'x']);
    const sha = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const source = localCheckoutSource({ 'org/repo': repo });
    await expect(source.read({ provider: 'github', repo: 'org/repo', sha, path: 'jobs.json' })).resolves.toBe(
      '{"a":1}',
    );
    const out = join(dir, 'written-by-git');
    await expect(
      source.read({ provider: 'github', repo: 'org/repo', sha: `--output=${out}`, path: 'jobs.json' }),
    ).rejects.toMatchObject({ code: 'COMMIT_ID_INVALID' });
    expect(() => execFileSync('test', ['-e', out])).toThrow();
  });
});
