import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompositeJobRunner, type JobStatus, LocalJobRunner, type RunRef } from '../../shared/adapters/jobs';
import type { JobSpec } from '../../shared/policy';

type LocalSpec = Extract<JobSpec, { runner: 'local' }>;
const root = mkdtempSync(join(tmpdir(), 'local-runner-'));
let n = 0;
const stateDir = () => join(root, `state-${++n}`);
const node = process.execPath;
const started: { runner: LocalJobRunner; ref: RunRef }[] = [];

afterAll(async () => {
  // Stop anything a failed test left running, then remove the state.
  for (const { runner, ref } of started) await runner.cancel(ref).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

function spec(script: string, o: Partial<LocalSpec> = {}): LocalSpec {
  return {
    runner: 'local',
    command: node,
    args: ['-e', script, '--'],
    env: {},
    parameters: {},
    parameterStyle: 'args',
    timeoutMs: 30_000,
    ...o,
  };
}

async function start(runner: LocalJobRunner, s: JobSpec, key: string): Promise<RunRef> {
  const ref = await runner.start(s, key);
  started.push({ runner, ref });
  return ref;
}

async function settle(runner: LocalJobRunner, ref: RunRef): Promise<JobStatus> {
  for (let i = 0; i < 600; i++) {
    const s = await runner.get(ref);
    if (s.terminal) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${ref.runId} did not finish`);
}

describe('local job runner (real child processes)', () => {
  it('passes parameters as --key value, captures exit code 0 and the output tail', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir() });
    const ref = await start(
      runner,
      spec('console.log("args=" + JSON.stringify(process.argv.slice(1)))', {
        parameters: { model_name: 'bc', model_version: '3' },
      }),
      'ok-1',
    );
    const s = await settle(runner, ref);
    expect(s).toMatchObject({ state: 'SUCCEEDED', exitCode: 0, terminal: true });
    expect(s.outputTail).toContain('args=["--model_name","bc","--model_version","3"]');
  });

  it('passes parameters as upper-cased environment variables (non-alphanumerics as _) with parameterStyle env, storing no env values', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir() });
    const ref = await start(
      runner,
      spec(
        'console.log("v=" + process.env.MODEL_VERSION + " e=" + process.env.EXTRA + " argv=" + process.argv.length)',
        { parameters: { 'model.version': '7' }, parameterStyle: 'env', env: { EXTRA: 'secret-value' } },
      ),
      'env-1',
    );
    const s = await settle(runner, ref);
    expect(s.outputTail).toContain('v=7 e=secret-value argv=1');
    expect(readFileSync(runner.store.recordPath(ref.runId), 'utf8')).not.toContain('secret-value');
  });

  it('reports a non-zero exit as FAILED with the exit code and stderr in the tail', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir() });
    const s = await settle(
      runner,
      await start(runner, spec('console.error("auc 0.71 below 0.9"); process.exit(3)'), 'fail-1'),
    );
    expect(s).toMatchObject({ state: 'FAILED', exitCode: 3, resultSummary: 'FAILED: exit code 3' });
    expect(s.outputTail).toContain('auc 0.71 below 0.9');
  });

  it('starts the same key once, even when started twice at the same time', async () => {
    const dir = stateDir();
    const counter = join(dir, 'count.txt');
    const runner = new LocalJobRunner({ stateDir: dir });
    const s = spec(`require("node:fs").appendFileSync(${JSON.stringify(counter)}, "x")`);
    const [a, b] = await Promise.all([start(runner, s, 'once'), start(runner, s, 'once')]);
    expect(b).toEqual(a);
    await settle(runner, a);
    expect(await runner.start(s, 'once')).toEqual(a);
    expect(readFileSync(counter, 'utf8')).toBe('x');
  });

  it('after a restart, returns the same run for the key and reads the outcome the supervisor recorded', async () => {
    const dir = stateDir();
    const first = new LocalJobRunner({ stateDir: dir });
    const ref = await start(first, spec('setTimeout(() => console.log("done"), 300)'), 'restart-1');
    const second = new LocalJobRunner({ stateDir: dir });
    expect(await second.start(spec('process.exit(9)'), 'restart-1')).toEqual(ref);
    const s = await settle(second, ref);
    expect(s).toMatchObject({ state: 'SUCCEEDED', exitCode: 0 });
    expect(s.outputTail).toContain('done');
  });

  it('marks a run whose processes died while the runner was down FAILED with PROCESS_LOST', async () => {
    const dir = stateDir();
    const first = new LocalJobRunner({ stateDir: dir });
    const ref = await start(first, spec('setInterval(() => {}, 1000)'), 'lost-1');
    const rec = first.store.read(ref.runId)!;
    process.kill(-rec.pid!, 'SIGKILL');
    const second = new LocalJobRunner({ stateDir: dir });
    const s = await settle(second, ref);
    expect(s.state).toBe('FAILED');
    expect(s.resultSummary).toMatch(/PROCESS_LOST: the process ended while the runner was down/);
  });

  it('stops a command that exceeds its timeout and reports TIMED_OUT', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir() });
    const s = await settle(
      runner,
      await start(runner, spec('setInterval(() => {}, 1000)', { timeoutMs: 300 }), 'slow-1'),
    );
    expect(s).toMatchObject({
      state: 'TIMED_OUT',
      resultSummary: expect.stringMatching(/no result within 300 ms/) as unknown,
    });
  });

  it('cancels a running command and reports CANCELED; cancelling again is a no-op', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir() });
    const ref = await start(runner, spec('console.log("working"); setInterval(() => {}, 1000)'), 'cancel-1');
    await runner.cancel(ref);
    expect((await settle(runner, ref)).state).toBe('CANCELED');
    await expect(runner.cancel(ref)).resolves.toBeUndefined();
  });

  it('reports a command that does not exist and a missing working directory as FAILED with the reason', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir() });
    const s = await settle(
      runner,
      await start(runner, { ...spec(''), command: 'stagecraft-no-such-command-xyz', args: [] }, 'enoent-1'),
    );
    expect(s).toMatchObject({
      state: 'FAILED',
      resultSummary: expect.stringMatching(/could not run stagecraft-no-such-command-xyz: .*ENOENT/) as unknown,
    });
    const c = await settle(runner, await start(runner, spec('1', { cwd: join(root, 'missing-dir') }), 'nocwd-1'));
    expect(c.resultSummary).toMatch(/working directory .* does not exist/);
  });

  it('calls onFinished once with the final status of runs it started', async () => {
    const finished: JobStatus[] = [];
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const runner = new LocalJobRunner({
      stateDir: stateDir(),
      onFinished: (s) => {
        finished.push(s);
        resolveDone();
      },
    });
    const ref = await start(runner, spec('process.exit(0)'), 'notify-1');
    await done;
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ state: 'SUCCEEDED', ref: { runId: ref.runId } });
  });

  it('keeps only the last tailBytes of output', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir(), tailBytes: 200 });
    const s = await settle(
      runner,
      await start(runner, spec('for (let i = 0; i < 500; i++) console.log("line " + i)'), 'tail-1'),
    );
    expect(s.outputTail.length).toBeLessThanOrEqual(200);
    expect(s.outputTail).toContain('line 499');
    expect(s.outputTail).not.toContain('line 1\n');
  });

  it('a job sees only PATH, HOME, LANG, TMPDIR of the host and what its spec declares: never the host secrets', async () => {
    const secrets = {
      STAGECRAFT_APPROVER_KEYS: 'alice:approver-key-value',
      STAGECRAFT_LINK_SIGNING_KEY: 'link-signing-key-value',
      MLFLOW_TRACKING_TOKEN: 'registry-token-value',
      GITHUB_TOKEN: 'git-token-value',
      NOTIFY_WEBHOOK_SECRET: 'webhook-secret-value',
      AzureWebJobsSecretStorageKey: 'master-key-value',
      NODE_OPTIONS: '--require /tmp/evil.js',
    };
    const host = {
      ...process.env,
      ...secrets,
      PATH: process.env['PATH'] ?? '/usr/bin',
      HOME: '/home/job-home',
      LANG: 'C.UTF-8',
      TMPDIR: '/tmp',
    };
    // The real runner, with the host environment as the process sees it (default: process.env).
    const saved = { ...process.env };
    Object.assign(process.env, secrets);
    let runner: LocalJobRunner;
    try {
      runner = new LocalJobRunner({ stateDir: stateDir() });
      const ref = await start(
        runner,
        spec('console.log("ENV=" + JSON.stringify(process.env))', {
          env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' },
        }),
        'env-allow-1',
      );
      const s = await settle(runner, ref);
      const env = JSON.parse(/ENV=(\{.*\})/.exec(s.outputTail)![1]!) as Record<string, string>;
      for (const name of Object.keys(secrets)) expect(env[name], name).toBeUndefined();
      for (const value of Object.values(secrets)) expect(JSON.stringify(env)).not.toContain(value);
      expect(env['MLFLOW_TRACKING_URI']).toBe('http://127.0.0.1:5000');
      expect(env['PATH']).toBe(process.env['PATH']);
      expect(
        Object.keys(env).filter((k) => !['PATH', 'HOME', 'LANG', 'TMPDIR', 'MLFLOW_TRACKING_URI'].includes(k)),
      ).toEqual([]);
    } finally {
      for (const k of Object.keys(secrets)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    // An explicit host environment is filtered the same way.
    const explicit = new LocalJobRunner({ stateDir: stateDir(), env: host });
    const s2 = await settle(
      explicit,
      await start(explicit, spec('console.log("KEYS=" + Object.keys(process.env).sort().join(","))'), 'env-allow-2'),
    );
    expect(s2.outputTail).toContain('KEYS=HOME,LANG,PATH,TMPDIR');
  });

  it('refuses env-style parameters that would steer the process (NODE_OPTIONS, LD_PRELOAD, PYTHONPATH, PATH)', async () => {
    const runner = new LocalJobRunner({ stateDir: stateDir() });
    for (const name of ['NODE_OPTIONS', 'ld_preload', 'PYTHONPATH', 'path']) {
      await expect(
        runner.start(spec('0', { parameterStyle: 'env', parameters: { [name]: 'x' } }), `steer-${name}`),
      ).rejects.toMatchObject({ code: 'JOB_PARAMETER_NAME_REFUSED' });
    }
  });

  it('routes specs by runner kind and refuses a kind that is not configured', async () => {
    const local = new LocalJobRunner({ stateDir: stateDir() });
    const composite = new CompositeJobRunner({ local });
    const ref = await composite.start(spec('0'), 'route-1');
    started.push({ runner: local, ref });
    expect((await settle(local, ref)).state).toBe('SUCCEEDED');
    await expect(
      composite.start({ runner: 'databricks', jobId: 1, parameters: {}, timeoutMs: 1000 }, 'route-2'),
    ).rejects.toMatchObject({ code: 'JOB_RUNNER_UNAVAILABLE' });
    await expect(
      local.start({ runner: 'databricks', jobId: 1, parameters: {}, timeoutMs: 1000 }, 'route-3'),
    ).rejects.toMatchObject({ code: 'JOB_RUNNER_MISMATCH' });
  });
});
