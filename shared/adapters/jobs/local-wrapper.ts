/**
 * The supervisor every local job runs under: a detached `node -e` process that spawns the command with
 * its output going straight to the run's log file, enforces the timeout, and writes the exit file
 * atomically when the command ends. Because it is detached and writes files (no pipes to the host), a
 * run outlives a host crash and its outcome is found on the next get().
 *
 * Input: env STAGECRAFT_JOB (JSON {command, args, cwd, timeoutMs, exitPath}), removed before the command runs.
 * Exit file: {code, signal, timedOut, canceled, error?, endedAt}. SIGTERM to the supervisor = cancel.
 */
export const WRAPPER_SOURCE = String.raw`
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const job = JSON.parse(process.env.STAGECRAFT_JOB);
delete process.env.STAGECRAFT_JOB;
let written = false, timedOut = false, canceled = false;
function write(o) {
  if (written) return;
  written = true;
  const tmp = job.exitPath + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(Object.assign({ timedOut, canceled, endedAt: new Date().toISOString() }, o)));
  fs.renameSync(tmp, job.exitPath);
}
let child;
function stop() {
  if (!child) return;
  try { child.kill('SIGTERM'); } catch (e) {}
  setTimeout(() => { try { child.kill('SIGKILL'); } catch (e) {} }, 5000).unref();
}
try {
  child = spawn(job.command, job.args, { cwd: job.cwd, env: process.env, stdio: ['ignore', 'inherit', 'inherit'] });
} catch (e) {
  write({ code: null, signal: null, error: String(e && e.message || e) });
  process.exit(0);
}
const timer = setTimeout(() => { timedOut = true; stop(); }, job.timeoutMs);
process.on('SIGTERM', () => { canceled = true; stop(); });
child.on('error', (e) => { clearTimeout(timer); write({ code: null, signal: null, error: e.message }); process.exit(0); });
child.on('exit', (code, signal) => { clearTimeout(timer); write({ code, signal }); process.exit(0); });
`;
