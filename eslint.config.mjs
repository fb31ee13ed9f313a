// Flat ESLint config: type-aware rules everywhere, plus the determinism boundary for orchestrators.
import tseslint from 'typescript-eslint';

const nonDeterministic = [
  { name: 'Date', message: 'Orchestrators read time only through context.df.currentUtcDateTime.' },
  { name: 'setTimeout', message: 'Orchestrators wait only through context.df.createTimer.' },
  { name: 'setInterval', message: 'Orchestrators wait only through context.df.createTimer.' },
  { name: 'setImmediate', message: 'Orchestrators schedule work only through context.df.' },
  { name: 'fetch', message: 'Orchestrators do no I/O: call an activity.' },
  { name: 'performance', message: 'Orchestrators read time only through context.df.' },
];

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
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name="only"]',
          message: 'Focused tests hide the rest of the suite.',
        },
      ],
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
            {
              group: ['**/devhost/**', '**/devhost'],
              message: 'shared/ must not depend on the local host (never deployed).',
            },
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
    // Trigger files and activities are deployed: they may use shared/, never the local host.
    files: ['functions/**/*.ts', 'orchestrations/activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/devhost/**', '**/devhost'],
              message: 'Deployed code must not depend on the local host (never deployed).',
            },
          ],
        },
      ],
    },
  },
  {
    // The determinism boundary: orchestrator code (orchestrations/**, except activities/) does no I/O
    // and reads no clock or randomness except through context.df.
    files: ['orchestrations/**/*.ts'],
    ignores: ['orchestrations/activities/**'],
    rules: {
      'no-restricted-globals': ['error', ...nonDeterministic],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Orchestrators get randomness only through context.df.newGuid.',
        },
        {
          object: 'Date',
          property: 'now',
          message: 'Orchestrators read time only through context.df.currentUtcDateTime.',
        },
        { object: 'crypto', property: 'randomUUID', message: 'Use context.df.newGuid.' },
        {
          object: 'process',
          property: 'env',
          message: 'Orchestrators read settings through an activity (settings can change between replays).',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'crypto', 'child_process', 'os'],
              message: 'Node built-ins are I/O; use them in activities only.',
            },
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
);
