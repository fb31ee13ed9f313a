import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const EXCLUDE = ['test/e2e/**', 'test/parity/**', 'node_modules/**', 'dist/**'];

// Files that load a Functions app in-process (the host core's `@azure/functions-core` stand-in, the app's trigger
// files) keep a fresh module graph each: registrations are process-wide and would leak into the next file.
const ISOLATED = [
  'devhost/test/host/bindings.test.ts',
  'devhost/test/servicebus/host-e2e.test.ts',
  'devhost/test/servicebus/host-port-in-use.test.ts',
  'devhost/test/servicebus/host-session-mismatch.test.ts',
  'test/azure/registrations.test.ts',
  'test/intake/extending.test.ts',
  'test/security/routes.test.ts',
];

// What both projects run with. Not inherited with `extends: true`: that would also merge the root's globalSetup into
// each project, and each project would start an Azurite of its own (vitest runs a project's globalSetup per project).
const PROJECT = {
  exclude: EXCLUDE,
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'threads',
  allowOnly: false,
} as const;

/**
 * File order for `npm test`: vitest's own (by project; with its duration cache, longest first; without one, as in a
 * fresh clone, larger files first), then within each project the files that start processes (hosts, Azurite, model
 * servers, a browser) before those that do not. The suite is CPU-bound on 2 cores, so what decides the wall time is
 * the tail: a small file that starts a host late can finish alone after everything else. Stable: ties keep
 * vitest's order.
 */
const STARTS_PROCESSES =
  /HostProcess|runHostToExit|startHost\(|startTestHost\(|startEnv\(|runs\/harness|startAzurite|sharedAzuriteAccount|spawn[A-Z(]|spawnSync|execFile|chromium/;

function startsProcesses(file: string): boolean {
  try {
    return STARTS_PROCESSES.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

class ProcessesFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const rank = new Map(ordered.map((spec, i) => [spec, i]));
    const heavy = new Map(ordered.map((spec) => [spec, startsProcesses(spec.moduleId)]));
    return [...ordered].sort((a, b) => {
      if (a.project.name !== b.project.name) return rank.get(a)! - rank.get(b)!;
      const byKind = Number(heavy.get(b)) - Number(heavy.get(a));
      return byKind !== 0 ? byKind : rank.get(a)! - rank.get(b)!;
    });
  }
}

export default defineConfig({
  test: {
    // One Azurite for the run (an account per test file) and Azurite's standard ports held: test/setup/global.ts. The
    // root runs it once; what it provides reaches every project.
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Worker threads, and files in parallel even on 2 cores (vitest's default there is 1 worker): most files wait on
    // hosts, timers and child processes, so 6 at a time keeps both cores busy. Every test file uses its own ports,
    // state dirs and storage account, so files never share state. VITEST_MAX_WORKERS overrides it.
    pool: 'threads',
    maxWorkers: 6,
    allowOnly: false,
    // Within a project, files that start processes go first (ProcessesFirstSequencer above): no small host-starting file
    // left to finish alone at the end of a fresh clone's run.
    sequence: { sequencer: ProcessesFirstSequencer },
    reporters: ['default'],
    projects: [
      { test: { ...PROJECT, name: 'isolated', include: ISOLATED, isolate: true } },
      // Every other file shares its worker's module cache with the files before it (no re-import of the Azure SDKs
      // per file); such files must not depend on module state another file left (tests read settings from the env
      // objects they pass, and the composition root keys its clients by setting values).
      {
        test: {
          ...PROJECT,
          name: 'shared',
          include: ['test/**/*.test.ts', 'devhost/test/**/*.test.ts'],
          exclude: [...EXCLUDE, ...ISOLATED],
          isolate: false,
        },
      },
    ],
  },
});
