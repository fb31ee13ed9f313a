/**
 * Host lifecycle over real child processes: schedule status surviving a restart (past-due runs), graceful shutdown,
 * start-up failures that name the function.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHostToExit, startHostProcess } from '../helpers/host';

const SAMPLE = resolve(__dirname, 'fixtures', 'sample-app');
const BAD = resolve(__dirname, 'fixtures', 'bad-app');

interface TimerLine {
  name: string;
  timer?: {
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
    isPastDue: boolean;
  };
  sawAppStart?: boolean;
}

function readLines(file: string): TimerLine[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TimerLine);
  } catch {
    return [];
  }
}

const utc = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, '+00:00');

describe('timer schedule status across restarts', () => {
  it('persists the status of a monitored timer and, after a restart that missed an occurrence, runs it once with isPastDue', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'devhost-state-'));
    const effects = join(mkdtempSync(join(tmpdir(), 'devhost-se-')), 'effects.ndjson');
    const first = await startHostProcess({ appDir: SAMPLE, stateDir, env: { SIDE_EFFECT_FILE: effects } });
    expect(await first.stop()).toBe(0);
    const statusFile = join(stateDir, 'timers', 'fiveMinutes.json');
    const stored = JSON.parse(readFileSync(statusFile, 'utf8')) as {
      last: string | null;
      next: string;
      lastUpdated: string;
    };
    const next = Date.parse(stored.next);
    expect(next % 300_000).toBe(0);
    expect(stored.last).toBeNull();

    // As if the host had run the 5-minute timer 15 minutes ago and then been down: `next` is now in the past.
    const last = next - 15 * 60_000;
    const missed = last + 5 * 60_000;
    writeFileSync(
      statusFile,
      JSON.stringify({
        last: new Date(last).toISOString(),
        next: new Date(missed).toISOString(),
        lastUpdated: new Date(last).toISOString(),
      }),
    );

    const second = await startHostProcess({ appDir: SAMPLE, stateDir, env: { SIDE_EFFECT_FILE: effects } });
    try {
      await second.waitForLog("Timer 'fiveMinutes' is past due; running it now");
      await second.waitForLog(/Executed 'Functions\.fiveMinutes' \(Succeeded/);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    // Filtered on isPastDue: a 5-minute boundary may also pass during a run and fire the regular schedule.
    const runs = readLines(effects).filter((l) => l.name === 'fiveMinutes' && l.timer?.isPastDue);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.timer).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: { last: utc(last), next: utc(missed), lastUpdated: utc(last) },
      isPastDue: true,
    });
    const after = JSON.parse(readFileSync(statusFile, 'utf8')) as { last: string; next: string };
    expect(Date.parse(after.last)).toBeGreaterThan(missed);
    expect(Date.parse(after.next) % 300_000).toBe(0);
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM refuses new connections, lets an in-flight request finish, runs appTerminate hooks and exits 0', async () => {
    const effects = join(mkdtempSync(join(tmpdir(), 'devhost-se-')), 'effects.ndjson');
    const host = await startHostProcess({ appDir: SAMPLE, env: { SIDE_EFFECT_FILE: effects } });
    try {
      const inFlight = fetch(`${host.baseUrl}/api/slow?ms=1500`);
      await host.waitForLog('slow request started');
      const exit = host.stop();
      await host.waitForLog('Host stopping');
      await expect(fetch(`${host.baseUrl}/api/items/1`)).rejects.toThrow();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ slept: 1500 });
      expect(await exit).toBe(0);
      expect(readLines(effects)).toContainEqual({ name: 'appTerminate', sawAppStart: true });
    } finally {
      await host.kill();
    }
  });
});

describe('start-up failures', () => {
  it.each([
    [
      'cron',
      /Function "nightlyReport": invalid timer schedule: The schedule expression '0 0 25 \* \* \*' was not recognized.*hour value 25 is out of range 0-23/,
    ],
    [
      'route',
      /Function "badRoute": invalid route: route "api\/items\/\{id:nosuchconstraint\}" uses unknown constraint "nosuchconstraint"/,
    ],
    ['trigger', /Function "cosmosWatcher": trigger type "cosmosDBTrigger" is not supported by the local host/],
    ['throw', /Loading index\.js failed: the entry file failed to load/],
  ])(
    'a bad registration (%s) stops start-up with a non-zero exit naming the function and the problem',
    async (kind, message) => {
      const { code, output } = await runHostToExit({ appDir: BAD, env: { BAD_KIND: kind } });
      expect(code).toBe(1);
      expect(output).toMatch(/Start-up failed/);
      expect(output).toMatch(message);
      expect(output).not.toContain('Host started');
    },
  );

  it('a binding %Setting% that is not set does not stop start-up: as the real host, the function is disabled with a message naming the setting', async () => {
    const host = await startHostProcess({ appDir: BAD, env: { BAD_KIND: 'missing-setting' } });
    try {
      const logs = host.logs();
      expect(logs).toContain(
        "Error indexing method 'Functions.settingTimer'. Microsoft.Azure.WebJobs.Host: '%NO_SUCH_SCHEDULE_SETTING%' does not resolve to a value.",
      );
      expect(logs).toMatch(
        /Functions in error \(not running\):\s+settingTimer: .*'%NO_SUCH_SCHEDULE_SETTING%' does not resolve to a value/,
      );
      expect(logs.slice(logs.indexOf('Functions:'), logs.indexOf('Functions in error'))).not.toContain('settingTimer');
      expect(await (await fetch(`${host.baseUrl}/api/fine`)).text()).toBe('fine');
    } finally {
      expect(await host.stop()).toBe(0);
    }
  });

  it('the same app without the bad registration starts', async () => {
    const host = await startHostProcess({ appDir: BAD, env: { BAD_KIND: 'none' } });
    try {
      expect(await (await fetch(`${host.baseUrl}/api/fine`)).text()).toBe('fine');
    } finally {
      expect(await host.stop()).toBe(0);
    }
  });
});
