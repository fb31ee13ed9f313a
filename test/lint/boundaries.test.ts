import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The folder boundaries and the purity of shared/decisions and shared/policy are ESLint rules (eslint.config.mjs):
 * this file proves they bite. Each snippet is linted as if it lived at the given path, with the project's own
 * config; type-aware parsing is off (the boundary rules need no types, and the snippets are not on disk), and only
 * the boundary rules run.
 */
const ROOT = join(__dirname, '..', '..');
const BOUNDARY_RULES = new Set([
  'no-restricted-imports',
  'no-restricted-globals',
  'no-restricted-properties',
  'no-restricted-syntax',
]);
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: [tseslint.configs.disableTypeChecked],
  ruleFilter: ({ ruleId }) => BOUNDARY_RULES.has(ruleId),
});

async function lint(filePath: string, code: string): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath });
  expect(result?.fatalErrorCount).toBe(0);
  return (result?.messages ?? []).map(({ ruleId, message }) => ({ ruleId, message }));
}

const reported = (ruleId: string, says: string) => [{ ruleId, message: expect.stringContaining(says) as string }];

describe('purity of shared/decisions (orchestrators import it)', () => {
  const file = 'shared/decisions/x.ts';
  const offending: [string, string, string, string][] = [
    // what, code, rule id, what the message says
    ['a node: built-in', "import { readFileSync } from 'node:fs';", 'no-restricted-imports', 'Node built-ins are I/O'],
    ['a bare built-in', "import { request } from 'http';", 'no-restricted-imports', 'Node built-ins are I/O'],
    [
      'a built-in subpath',
      "import { readFile } from 'fs/promises';",
      'no-restricted-imports',
      'Node built-ins are I/O',
    ],
    [
      'an SDK',
      "import { ServiceBusClient } from '@azure/service-bus';",
      'no-restricted-imports',
      'of packages it uses only `zod`, `yaml`',
    ],
    [
      'croner outside cron.ts',
      "import { Cron } from 'croner';",
      'no-restricted-imports',
      'croner only in shared/decisions/cron.ts',
    ],
    [
      'an adapter',
      "import { mlflow } from '../adapters/mlflow';",
      'no-restricted-imports',
      'imports only shared/decisions and shared/errors',
    ],
    [
      'a path that leaves the folder',
      "import { x } from './../records/store';",
      'no-restricted-imports',
      'imports only shared/decisions and shared/errors',
    ],
    [
      'the policy loader',
      "import { loadPolicy } from '../policy/load';",
      'no-restricted-imports',
      'imports only shared/decisions and shared/errors',
    ],
    ['Date.now()', 'export const t = Date.now();', 'no-restricted-properties', 'take the instant as an argument'],
    ['new Date()', 'export const t = new Date();', 'no-restricted-syntax', 'take the instant as an argument'],
    ['Date()', 'export const t = Date();', 'no-restricted-syntax', 'take the instant as an argument'],
    ['performance.now()', 'export const t = performance.now();', 'no-restricted-globals', 'reads no clock'],
    ['Math.random()', 'export const r = Math.random();', 'no-restricted-properties', 'uses no randomness'],
    ['crypto.*', 'export const id = crypto.randomUUID();', 'no-restricted-globals', 'uses no randomness'],
    ['process.env', 'export const v = process.env.X;', 'no-restricted-properties', 'reads no settings'],
    ['a timer', 'setTimeout(() => undefined, 1);', 'no-restricted-globals', 'context.df.createTimer'],
    ['fetch', "export const p = fetch('http://x');", 'no-restricted-globals', 'does no I/O'],
    ['a dynamic import', "export const m = import('node:fs');", 'no-restricted-syntax', 'imports statically'],
  ];
  it.each(offending)('reports %s', async (_what, code, ruleId, says) => {
    expect(await lint(file, code)).toEqual(reported(ruleId, says));
  });

  it('allows zod, yaml, shared/errors, other decisions and a Date built from a value', async () => {
    const code = [
      "import { z } from 'zod';",
      "import { parse } from 'yaml';",
      "import { ValidationError } from '../errors';",
      "import { toMs } from './time';",
      'export const schema = z.string();',
      'export const at = (x: string) => new Date(toMs(x));',
      'export { parse, ValidationError };',
    ].join('\n');
    expect(await lint(file, code)).toEqual([]);
  });

  it('allows croner in shared/decisions/cron.ts only, under the same clock rules', async () => {
    expect(await lint('shared/decisions/cron.ts', "import { Cron } from 'croner';")).toEqual([]);
    expect(await lint('shared/decisions/cron.ts', 'export const t = Date.now();')).toEqual(
      reported('no-restricted-properties', 'take the instant as an argument'),
    );
  });
});

describe('purity of shared/policy (all but its file readers)', () => {
  it('reports I/O imports in the policy and its check types, and imports of the file readers', async () => {
    expect(await lint('shared/policy/x.ts', "import { readFile } from 'node:fs/promises';")).toEqual(
      reported('no-restricted-imports', 'Node built-ins are I/O'),
    );
    expect(await lint('shared/policy/x.ts', "import { loadPolicy } from './load';")).toEqual(
      reported('no-restricted-imports', 'do file I/O: pure code takes a loaded policy as an argument'),
    );
    expect(await lint('shared/policy/checks/x.ts', "import { policyCheck } from '../check';")).toEqual(
      reported('no-restricted-imports', 'do file I/O'),
    );
    expect(await lint('shared/policy/checks/x.ts', "import { tables } from '../../records/tables';")).toEqual(
      reported('no-restricted-imports', 'imports only shared/policy, shared/decisions and shared/errors'),
    );
    expect(await lint('shared/policy/x.ts', 'export const t = Date.now();')).toEqual(
      reported('no-restricted-properties', 'take the instant as an argument'),
    );
  });

  it('allows the policy, decisions and errors from either depth, and I/O in load.ts, check.ts and gen-schema.ts', async () => {
    const top =
      "import { a } from './merge';\nimport { b } from './checks';\nimport { c } from '../decisions/cron';\nimport { d } from '../errors';\nexport { a, b, c, d };";
    expect(await lint('shared/policy/x.ts', top)).toEqual([]);
    const check =
      "import { a } from './define';\nimport { b } from '../schema-common';\nimport { c } from '../../decisions/champion';\nimport { d } from '../../errors';\nexport { a, b, c, d };";
    expect(await lint('shared/policy/checks/x.ts', check)).toEqual([]);
    for (const file of ['load', 'check', 'gen-schema']) {
      const io = "import { readFile } from 'node:fs/promises';\nimport { x } from './load';\nexport { readFile, x };";
      expect(await lint(`shared/policy/${file}.ts`, io)).toEqual([]);
    }
  });
});

describe('trigger files (functions/ → shared/)', () => {
  it('reports imports of orchestrators, activities, the CLI, tests and the local host', async () => {
    const toShared = 'Trigger files import only shared/ and functions/';
    expect(await lint('functions/x.ts', "import { A } from '../orchestrations/contracts/approvals';")).toEqual(
      reported('no-restricted-imports', toShared),
    );
    expect(await lint('functions/lib/x.ts', "import { run } from '../../orchestrations/activities/jobs';")).toEqual(
      reported('no-restricted-imports', toShared),
    );
    expect(await lint('functions/x.ts', "import { main } from '../cli/main';")).toEqual(
      reported('no-restricted-imports', toShared),
    );
    expect(await lint('functions/x.ts', "import { h } from '../test/helpers';")).toEqual(
      reported('no-restricted-imports', toShared),
    );
    expect(await lint('functions/x.ts', "import { runCli } from 'azfunc-devhost';")).toEqual(
      reported('no-restricted-imports', 'must not depend on the local host'),
    );
  });

  it('allows shared/, functions/ and packages', async () => {
    const top =
      "import { app } from '@azure/functions';\nimport { ok } from '../shared/errors';\nimport { route } from './lib/route';\nexport { app, ok, route };";
    expect(await lint('functions/x.ts', top)).toEqual([]);
    const lib =
      "import { ok } from '../../shared/errors';\nimport { route } from './route';\nimport { h } from '../health';\nexport { ok, route, h };";
    expect(await lint('functions/lib/x.ts', lib)).toEqual([]);
  });
});

describe('orchestrators', () => {
  it('may not reach the local host or any randomness (crypto.* as a global)', async () => {
    expect(await lint('orchestrations/x/y.ts', "import { runCli } from 'azfunc-devhost';")).toEqual(
      reported('no-restricted-imports', 'must not depend on the local host'),
    );
    expect(await lint('orchestrations/x/y.ts', 'export const b = crypto.getRandomValues(new Uint8Array(4));')).toEqual(
      reported('no-restricted-globals', 'context.df.newGuid'),
    );
  });
});

describe('the tree as it is', () => {
  it('keeps the purity and trigger boundaries (npm run lint checks the rest)', async () => {
    const results = await eslint.lintFiles(['shared/decisions', 'shared/policy', 'functions']);
    expect(results.length).toBeGreaterThan(40);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(problems).toEqual([]);
  });
});
