import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Orchestrator code imports shared/decisions and the pure part of shared/policy, so these files must
 * stay free of I/O: no Node built-ins, no Azure SDKs, no adapters, no clock or randomness reads.
 */
const ROOT = join(__dirname, '..', '..');
const IO_FILES = new Set(['load.ts', 'check.ts', 'gen-schema.ts']);

function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !IO_FILES.has(f))
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(ROOT, dir, f), 'utf8') }));
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('purity of decisions and policy (importable from orchestrators)', () => {
  // shared/policy/checks: the validation check types (schema, facts, evaluation), part of the policy.
  const files = [...sources('shared/decisions'), ...sources('shared/policy'), ...sources('shared/policy/checks')];

  it('imports nothing but zod, yaml (croner in cron.ts) and each other (no Node built-ins, SDKs or adapters)', () => {
    const pure = (file: string, m: string): boolean => {
      if (m === 'zod' || m === 'yaml') return true;
      // croner computes cron occurrences for shared/decisions/cron.ts: pure computation (no I/O; its Cron is only
      // used paused, never scheduled), and a root dependency of the app.
      if (m === 'croner' && file === 'shared/decisions/cron.ts') return true;
      if (!m.startsWith('.')) return false;
      const target = posix.join(posix.dirname(file), m);
      // decisions import only decisions; policy (and its checks) also policy.
      return (
        target === 'shared/errors' ||
        target.startsWith('shared/decisions/') ||
        (file.startsWith('shared/policy/') && target.startsWith('shared/policy/'))
      );
    };
    const offending = files.flatMap(({ file, text }) =>
      importsOf(text)
        .filter((m) => !pure(file, m))
        .map((m) => `${file} imports ${m}`),
    );
    expect(offending).toEqual([]);
  });

  it('reads no clock and no randomness in shared/decisions', () => {
    const offending = sources('shared/decisions')
      .filter(({ text }) => /Date\.now\(|new Date\(\)|Math\.random|performance\.now|crypto\./.test(text))
      .map((f) => f.file);
    expect(offending).toEqual([]);
  });
});
