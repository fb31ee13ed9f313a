// Flat ESLint config: type-aware rules everywhere, plus the folder boundaries, the determinism boundary for
// orchestrators and the purity of shared/decisions and shared/policy (docs/ARCHITECTURE.md, "Folders").
// test/lint/boundaries.test.ts proves each boundary rule reports what it should.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const focusedTests = {
  selector: 'CallExpression[callee.property.name="only"]',
  message: 'Focused tests hide the rest of the suite.',
};

// Every Node built-in, `node:`-prefixed or bare (`fs`, `fs/promises`, `http`, `crypto`, `child_process`, ...). A regex,
// not a gitignore-style group: a group `path` also matches `../shared/policy/path`.
const builtin = `(node:|(${builtinModules.join('|')})(/|$))`;
const builtinImport = `^${builtin}`;

// The local host, by path or by its package name (npm workspace `azfunc-devhost`).
const devhostImports = ['**/devhost/**', '**/devhost', 'azfunc-devhost', 'azfunc-devhost/**'];
const noDevhost = {
  group: devhostImports,
  message: 'Deployed code must not depend on the local host (never deployed).',
};

/**
 * Reads of the clock, randomness, timers, the network and settings. Orchestrators (replayed) and pure decisions
 * (called from orchestrators) must not make them; `instead` says, per boundary, what to do instead.
 */
function nondeterministic(instead) {
  return {
    globals: [
      { name: 'setTimeout', message: instead.wait },
      { name: 'setInterval', message: instead.wait },
      { name: 'setImmediate', message: instead.schedule },
      { name: 'fetch', message: instead.io },
      { name: 'performance', message: instead.time },
      { name: 'crypto', message: instead.random },
    ],
    properties: [
      { object: 'Math', property: 'random', message: instead.random },
      { object: 'Date', property: 'now', message: instead.time },
      { object: 'process', property: 'env', message: instead.settings },
    ],
  };
}

const orchestratorInstead = {
  time: 'Orchestrators read time only through context.df.currentUtcDateTime.',
  wait: 'Orchestrators wait only through context.df.createTimer.',
  schedule: 'Orchestrators schedule work only through context.df.',
  io: 'Orchestrators do no I/O: call an activity.',
  random: 'Orchestrators get randomness only through context.df.newGuid.',
  settings: 'Orchestrators read settings through an activity (settings can change between replays).',
};

const pureInstead = {
  time: 'Pure code reads no clock: take the instant as an argument (orchestrators pass context.df.currentUtcDateTime).',
  wait: 'Pure code does not wait: return the instant to wait for; the orchestrator waits with context.df.createTimer.',
  schedule: 'Pure code schedules nothing: return the decision and let the caller act on it.',
  io: 'Pure code does no I/O: take the facts as arguments (fetch them in an activity or adapter).',
  random: 'Pure code uses no randomness: take ids or random values as arguments (orchestrators: context.df.newGuid).',
  settings: 'Pure code reads no settings: take them as arguments (orchestrators read them through an activity).',
};

// A path of plain segments (no `.` or `..`): an allowed relative import stays inside the folder it names.
const SEGMENTS = '[\\w-]+(/[\\w-]+)*';

/**
 * The purity boundary for one folder of shared/decisions or shared/policy (orchestrators import them): packages
 * only from `packages`, relative imports only of the forms in `relative` (regex alternatives, written for the
 * folder's depth), never the policy's I/O files, and no clock, randomness, timers, network or settings.
 */
function purity({ files, ignores = [], packages, relative, ioFiles, folder, reach }) {
  const allowedPackages = packages.map((p) => `\`${p}\``).join(', ');
  const pure = nondeterministic(pureInstead);
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: builtinImport,
              message: `Node built-ins are I/O; ${folder} is pure (orchestrators import it): take what you need as arguments, or do the I/O in an adapter or activity.`,
            },
            {
              regex: `^(?![./]|${builtin}|(${packages.join('|')})(/|$))`,
              message: `${folder} is pure (orchestrators import it): of packages it uses only ${allowedPackages} (croner only in shared/decisions/cron.ts: call its functions). SDKs and other packages belong in adapters or activities.`,
            },
            {
              regex: `^(?=[./])(?!(${relative.join('|')})$)`,
              message: `${folder} is pure: it imports only ${reach}. Take what else you need as arguments.`,
            },
            ...(ioFiles
              ? [
                  {
                    regex: `^${ioFiles}(load|check|gen-schema)$`,
                    message:
                      'shared/policy/load.ts, check.ts and gen-schema.ts do file I/O: pure code takes a loaded policy as an argument.',
                  },
                ]
              : []),
          ],
        },
      ],
      'no-restricted-globals': ['error', ...pure.globals],
      'no-restricted-properties': ['error', ...pure.properties],
      'no-restricted-syntax': [
        'error',
        focusedTests,
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: pureInstead.time },
        { selector: "CallExpression[callee.name='Date']", message: pureInstead.time },
        {
          selector: "ImportExpression, CallExpression[callee.name='require']",
          message: `${folder} imports statically (import … from), so this boundary sees every import.`,
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
      'examples/**',
      '.stagecraft/**',
      '.devhost/**',
      'test/fixtures/**',
      'dist-package/**',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-syntax': ['error', focusedTests],
    },
  },
  {
    // The operator console's browser code (DOM types, Preact JSX) has its own tsconfig.
    files: ['console/**/*.ts', 'console/**/*.tsx'],
    languageOptions: { parserOptions: { project: ['./console/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
  },
  {
    // Folder boundaries (docs/ARCHITECTURE.md): shared/ is the domain and its adapters; it never reaches into the
    // triggers, the orchestrators or the local host, so the deployed app never depends on devhost/.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: devhostImports, message: 'shared/ must not depend on the local host (never deployed).' },
            {
              group: ['**/functions/**'],
              message: 'shared/ must not depend on trigger files; pass what it needs as arguments.',
            },
            { group: ['**/orchestrations/**'], message: 'shared/ must not depend on orchestrators or activities.' },
          ],
        },
      ],
    },
  },
  {
    // The local host is its own package (devhost/package.json, devhost/tsconfig.json): its sources and tests never
    // reach into the app that uses it, so it runs any Functions app and can leave this repository as it is.
    files: ['devhost/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(shared|functions|orchestrations)(/|$)',
              message:
                'devhost/ must not depend on the app (shared/, functions/, orchestrations/): it runs any Functions app.',
            },
            {
              regex: '^(\\.\\./)+(cli|bench|scripts|test)(/|$)',
              message: 'devhost/ must not depend on files outside devhost/ (its tests use devhost/test/helpers).',
            },
          ],
        },
      ],
    },
  },
  {
    // Activities are deployed: they may use shared/ (adapters too), never the local host.
    files: ['orchestrations/activities/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noDevhost] }] },
  },
  // Trigger files (functions/ → shared/): parse, verify and call shared/; they never reach into orchestrators,
  // activities, the CLI, the console's browser code, tests or the local host. Orchestrators and activities register
  // themselves (package.json "main"). One block per depth: the allowed relative forms name folders from the file.
  ...[
    { files: ['functions/*.ts'], relative: ['\\./' + SEGMENTS, '\\.\\./shared/' + SEGMENTS] },
    {
      files: ['functions/*/**/*.ts'],
      relative: ['\\./' + SEGMENTS, '\\.\\./' + SEGMENTS, '\\.\\./\\.\\./shared/' + SEGMENTS],
    },
  ].map(({ files, relative }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noDevhost,
            {
              regex: `^(?=[./])(?!(${relative.join('|')})$)`,
              message:
                'Trigger files import only shared/ and functions/ (functions/ → shared/): move what they need into shared/.',
            },
          ],
        },
      ],
    },
  })),
  {
    // The determinism boundary: orchestrator code (orchestrations/**, except activities/) does no I/O
    // and reads no clock or randomness except through context.df.
    files: ['orchestrations/**/*.ts'],
    ignores: ['orchestrations/activities/**'],
    rules: {
      // Date entirely (not only Date.now and new Date()): orchestrators take instants from context.df.
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: orchestratorInstead.time },
        ...nondeterministic(orchestratorInstead).globals,
      ],
      'no-restricted-properties': ['error', ...nondeterministic(orchestratorInstead).properties],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noDevhost,
            { regex: builtinImport, message: 'Node built-ins are I/O; use them in activities only.' },
            {
              group: ['@azure/service-bus', '@azure/data-tables', '@azure/storage-blob', '@azure/identity'],
              message: 'SDK clients are I/O; use them in activities only.',
            },
            {
              group: ['**/shared/adapters/**', '**/shared/records/**', '**/shared/config*'],
              message: 'Adapters and config are I/O; call them from activities.',
            },
            {
              group: ['**/activities/**'],
              message: 'Orchestrators call activities by name through context.df.callActivity, never directly.',
            },
          ],
        },
      ],
    },
  },
  // Purity: orchestrators import shared/decisions and shared/policy (all but its file readers load.ts, check.ts and
  // gen-schema.ts), so these do no I/O and read no clock, randomness or settings. Packages: zod and yaml; croner in
  // shared/decisions/cron.ts only (pure computation: its Cron is only used paused, never scheduled).
  purity({
    folder: 'shared/decisions',
    reach: 'shared/decisions and shared/errors',
    files: ['shared/decisions/**/*.ts'],
    ignores: ['shared/decisions/cron.ts'],
    packages: ['zod', 'yaml'],
    relative: ['\\./' + SEGMENTS, '\\.\\./errors', '\\.\\./decisions/' + SEGMENTS],
  }),
  purity({
    folder: 'shared/decisions',
    reach: 'shared/decisions and shared/errors',
    files: ['shared/decisions/cron.ts'],
    packages: ['zod', 'yaml', 'croner'],
    relative: ['\\./' + SEGMENTS, '\\.\\./errors', '\\.\\./decisions/' + SEGMENTS],
  }),
  purity({
    folder: 'shared/policy',
    reach: 'shared/policy, shared/decisions and shared/errors',
    files: ['shared/policy/*.ts'],
    ignores: ['shared/policy/load.ts', 'shared/policy/check.ts', 'shared/policy/gen-schema.ts'],
    packages: ['zod', 'yaml'],
    relative: ['\\./' + SEGMENTS, '\\.\\./errors', '\\.\\./decisions/' + SEGMENTS],
    ioFiles: '\\./',
  }),
  purity({
    folder: 'shared/policy',
    reach: 'shared/policy, shared/decisions and shared/errors',
    files: ['shared/policy/*/**/*.ts'],
    packages: ['zod', 'yaml'],
    relative: ['\\./' + SEGMENTS, '\\.\\./' + SEGMENTS, '\\.\\./\\.\\./errors', '\\.\\./\\.\\./decisions/' + SEGMENTS],
    ioFiles: '(\\./|\\.\\./)',
  }),
);
