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
    // Each file starts its own MLflow server and Python processes; on 2 cores they run one after another.
    fileParallelism: false,
    allowOnly: false,
    reporters: ['default'],
  },
});
