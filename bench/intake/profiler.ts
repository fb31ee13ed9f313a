/**
 * `--cpu-prof` is refused in NODE_OPTIONS, and startHostProcess runs `node bin/stagecraft.js` without node flags,
 * so the host is profiled by a `--require` preload (allowed in NODE_OPTIONS) that drives node:inspector: the first
 * SIGUSR2 starts the sampler, the second stops it and writes `<dir>/host-<pid>-<n>.cpuprofile`. Only the host
 * process acts (NODE_OPTIONS also reaches its Azurite child). Profiling covers exactly the phase between signals.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PRELOAD = (dir: string) => `
const inspector = require('node:inspector');
const fs = require('node:fs');
if ((process.argv[1] || '').endsWith('stagecraft.js')) {
  const session = new inspector.Session();
  session.connect();
  let running = false;
  let n = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, r) => {
      if (err) return;
      const file = ${JSON.stringify(dir)} + '/host-' + process.pid + '-' + (n++) + '.cpuprofile';
      fs.writeFileSync(file + '.tmp', JSON.stringify(r.profile));
      fs.renameSync(file + '.tmp', file);
    });
  });
}
`;

/** Writes the preload into `dir` and returns the NODE_OPTIONS fragment that loads it. */
export function profilerNodeOptions(dir: string): string {
  const file = join(dir, 'preload-cpu-profiler.cjs');
  writeFileSync(file, PRELOAD(dir));
  return `--require ${file}`;
}

export async function waitForFile(path: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
