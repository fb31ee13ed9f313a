import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'devhost/test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/parity/**', 'node_modules/**', 'dist/**'],
    // One Azurite for the run (an account per test file) and Azurite's standard ports held: test/setup/global.ts.
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Files in parallel even on 2 cores (vitest's default there is 1 worker): most files wait on hosts, timers and
    // child processes, so 6 at a time keeps both cores busy. Every test file uses its own ports, state dirs and
    // storage account, so files never share state. VITEST_MAX_WORKERS overrides it.
    maxWorkers: 6,
    allowOnly: false,
    reporters: ['default'],
  },
});
