/**
 * `instances` CLI: list/show against a running host (HTTP) and against the state dir (read-only SQLite);
 * raise/terminate/purge through the host; usage errors exit 2 and say what is missing.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { instancesCommand } from '../../durable/cli';
import { startHostProcess, type HostProcess } from '../helpers/host';
import { CONFORMANCE_APP, startNew, waitFor } from './helpers';

let host: HostProcess;

beforeAll(async () => {
  host = await startHostProcess({ appDir: CONFORMANCE_APP });
});

afterAll(async () => {
  await host?.stop();
});

async function run(argv: string[], withUrl = true): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await instancesCommand(argv, {
      appDir: CONFORMANCE_APP,
      stateDir: host.stateDir,
      ...(withUrl ? { url: host.baseUrl } : {}),
    });
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('devhost instances', () => {
  it('lists and shows instances through the running host and from the state dir', async () => {
    const id = await startNew(host.baseUrl, 'HelloSequence', undefined, `cli-${Date.now()}`);
    await waitFor(host.baseUrl, id);
    for (const withUrl of [true, false]) {
      const listed = await run(['list', '--status', 'Completed', '--prefix', 'cli-'], withUrl);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(id);
      expect(listed.stdout).toContain('Completed');
      const shown = await run(['show', id, '--history', '--json'], withUrl);
      expect(shown.code).toBe(0);
      const body = JSON.parse(shown.stdout) as { output: unknown; historyEvents: unknown[] };
      expect(body.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
      expect(body.historyEvents.length).toBeGreaterThan(0);
    }
    const text = await run(['show', id, '--history'], false);
    expect(text.stdout).toContain('TaskCompleted');
  });

  it('sends the master key to the durable API, and says what to do when the host refuses it', async () => {
    const refused = await run(['list', '--master-key', 'not-the-master-key']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('HTTP 401');
    expect(refused.stderr).toContain('--master-key');
    expect((await run(['list', '--master-key', host.masterKey])).code).toBe(0);
  });

  it('raises an event, terminates and purges through the host', async () => {
    const a = await startNew(host.baseUrl, 'LongWait');
    await waitFor(host.baseUrl, a, ['Running']);
    expect((await run(['raise', a, 'go', '{"from":"cli"}'])).code).toBe(0);
    expect((await waitFor(host.baseUrl, a)).output).toEqual({ from: 'cli' });
    const b = await startNew(host.baseUrl, 'LongWait');
    await waitFor(host.baseUrl, b, ['Running']);
    expect((await run(['terminate', b, '--reason', 'ops'])).code).toBe(0);
    expect((await waitFor(host.baseUrl, b, ['Terminated'])).output).toBe('ops');
    expect((await run(['purge', b])).code).toBe(0);
    const gone = await run(['show', b]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('No instance');
  });

  it('refuses state-changing commands without a running host, and bad input, with exit code 2', async () => {
    const r = await run(['terminate', 'x'], false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--url');
    expect((await run(['raise', 'x', 'e', '{not json'])).code).toBe(2);
    expect((await run(['list', '--status', 'Sleeping'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});
