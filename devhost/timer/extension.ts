/**
 * Timer triggers (`app.timer`): NCRONTAB or TimeSpan schedules with `%AppSetting%` resolution, `runOnStartup`,
 * `useMonitor` (default on, turned off for schedules more frequent than a minute, as in Azure), schedule status
 * persisted under `<stateDir>/timers/`, and function-level `retry` policies (fixedDelay / exponentialBackoff) run as
 * the Functions host runs them: a failed run is retried with `context.retryContext` before the next occurrence is armed.
 *
 * Invariant: a schedule that does not parse stops start-up naming the function (one naming a missing `%Setting%` never
 * gets here: the host disables that function at start-up, as the Functions host does).
 */
import { parseRetryPolicy, runWithRetry } from '../host/retry';
import type { HostContext, HostExtension, RegisteredFunction } from '../host/types';
import { TimerListener, type TimerInput } from './listener';
import { createSchedule, formatTimerDate, timeZoneFromSettings, type TimerSchedule, type TimeZone } from './schedule';
import { StatusStore } from './status-store';

export interface TimerExtension extends HostExtension {
  /** Next occurrence (epoch ms) of a timer function, for listings and tests. */
  nextOccurrence(functionName: string): number | undefined;
}

function scheduleOf(fn: RegisteredFunction, host: HostContext, zone: TimeZone): TimerSchedule {
  const raw = fn.trigger['schedule'];
  if (typeof raw !== 'string' || !raw.trim())
    throw new Error('timer trigger has no "schedule" (an NCRONTAB expression such as "0 */5 * * * *")');
  return createSchedule(host.resolveSetting(raw), zone);
}

function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

export function createTimerExtension(): TimerExtension {
  const listeners = new Map<string, TimerListener>();
  const schedules = new Map<string, TimerSchedule>();
  let zone: TimeZone | undefined;
  // Ends retry waits at shutdown (Azure cancels the retry delay when the host stops).
  const stopping = new AbortController();

  return {
    name: 'timer',
    triggerTypes: ['timerTrigger'],
    retryPolicies: 'supported',
    validate(fn, host) {
      try {
        zone ??= timeZoneFromSettings(host.settings);
        scheduleOf(fn, host, zone);
      } catch (e) {
        return `invalid timer schedule: ${(e as Error).message}`;
      }
      return undefined;
    },
    async start(host) {
      zone ??= timeZoneFromSettings(host.settings);
      const store = new StatusStore(host.stateDir);
      for (const fn of host.functions) {
        if (fn.trigger.type.toLowerCase() !== 'timertrigger') continue;
        const schedule = scheduleOf(fn, host, zone);
        schedules.set(fn.name, schedule);
        const useMonitor = (flag(fn.trigger['useMonitor']) ?? true) && !schedule.subMinute;
        const log = host.logger.child({ function: fn.name });
        const retry = parseRetryPolicy(fn.metadata.retryOptions); // validated by the host at start-up
        const listener = new TimerListener({
          name: fn.name,
          schedule,
          zone,
          runOnStartup: flag(fn.trigger['runOnStartup']) ?? false,
          useMonitor,
          store,
          clock: host.clock,
          invoke: async (input: TimerInput, reason) => {
            if (reason !== 'schedule')
              log.log(
                'information',
                reason === 'pastDue'
                  ? `Timer '${fn.name}' is past due; running it now`
                  : `Timer '${fn.name}' runs on start-up`,
              );
            await runWithRetry(
              retry,
              async (retryContext) => {
                await host.invoke(fn, input, {
                  logFields: { trigger: 'timer', reason },
                  ...(retryContext ? { retryContext } : {}),
                });
              },
              log,
              stopping.signal,
            );
          },
        });
        listeners.set(fn.name, listener);
        listener.start();
        log.log('debug', `Timer schedule ${schedule.description} in ${zone.name}`, { useMonitor });
      }
    },
    describe(fn) {
      const schedule = schedules.get(fn.name);
      const next = listeners.get(fn.name)?.nextOccurrence;
      const z = zone;
      return `${fn.name}: timerTrigger  ${schedule?.description ?? String(fn.trigger['schedule'])}${next !== undefined && z ? `  next: ${formatTimerDate(next, z)}${z.name === 'UTC' ? '' : ` (${z.name})`}` : ''}`;
    },
    nextOccurrence: (name) => listeners.get(name)?.nextOccurrence,
    async stop(deadlineMs) {
      stopping.abort();
      await Promise.all([...listeners.values()].map((l) => l.stop(deadlineMs)));
    },
  };
}
