import { defineConfig } from 'vitest/config';

// End-to-end suite (`npm run test:e2e`): real MLflow server from PyPI, real Python example project, real local host.
// Kept out of `npm test` so that a machine with Node only can run the unit and integration tests.
// It never skips: a missing Python or MLflow fails the suite (see scripts/mlflow/venv.ts).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    // First run installs the example's Python requirements (minutes); later runs reuse the venv (stamp file).
    hookTimeout: 20 * 60_000,
    testTimeout: 5 * 60_000,
    pool: 'forks',
    // The files run side by side: each starts its own MLflow server (own data dir, free port) and Python processes,
    // and spends much of its time waiting (server start, webhook deliveries and retries, the host), so two at a time
    // overlap those waits on 2 cores. The lifecycle host's Azurite takes free ports if 10000-10002 are taken.
    fileParallelism: true,
    maxWorkers: 3,
    allowOnly: false,
    reporters: ['default'],
  },
});
