import { defineConfig } from 'vitest/config';

// Azure parity suite (`npm run test:parity`): the app run as `stagecraft start --azure-parity` (read-only deployment
// package). Kept out of `npm test` because every host start builds the package (copies the production node_modules);
// CI runs it as its own step.
export default defineConfig({
  test: {
    include: ['test/parity/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 300_000,
    hookTimeout: 330_000,
    pool: 'forks',
    fileParallelism: false,
    allowOnly: false,
    reporters: ['default'],
  },
});
