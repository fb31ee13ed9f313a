import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/host';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'stagecraft.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, STAGECRAFT_URL: 'http://127.0.0.1:9' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stagecraft CLI', () => {
  it('lists every command in its help and exits 0', () => {
    const r = cli('help');
    expect(r.code).toBe(0);
    for (const c of ['start', 'instances', 'servicebus', 'policy check', 'approvals', 'rollback', 'retrain', 'runs'])
      expect(r.out).toContain(c);
  });

  it('exits 2 with the usage for an unknown command', () => {
    const r = cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('Unknown command "frobnicate"');
  });

  it('validates the repository policy with `policy check`', () => {
    const r = cli('policy', 'check');
    expect(r.code).toBe(0);
    expect(r.out).toContain('is valid');
  });

  it('rejects an invalid policy with exit 1 and names the field at fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nmodels:\n  churn:\n    approval:\n      minApprovals: zero\n');
    const r = cli('policy', 'check', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/minApprovals/);
  });

  it('says how to fix it when no host is running for an operator command', () => {
    const r = cli('rollback', 'churn');
    expect(r.code).toBe(1);
    expect(r.err).toContain('Cannot reach Stagecraft at http://127.0.0.1:9');
  });
});
