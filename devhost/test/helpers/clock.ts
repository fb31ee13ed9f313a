/**
 * Test-clock helpers for hosts started with `DEVHOST_TEST_CLOCK=1`: move the host's clock forward instead of waiting
 * for durable timers (and timer triggers) in wall-clock time. See devhost/host/clock-route.ts.
 */
import { masterKeyFor } from './host';

/** The setting that starts a host on a test clock (add it to the host's env). */
export const TEST_CLOCK_ENV = { DEVHOST_TEST_CLOCK: '1' } as const;

/** Move the host's test clock forward by `ms`; resolves with the clock's time once what became due was fired. */
export async function advanceClock(host: { baseUrl: string }, ms: number): Promise<{ now: string; skewMs: number }> {
  const res = await fetch(`${host.baseUrl}/admin/host/clock`, {
    method: 'POST',
    headers: { 'x-functions-key': masterKeyFor(host.baseUrl), 'content-type': 'application/json' },
    body: JSON.stringify({ advanceMs: ms }),
  });
  if (res.status !== 200)
    throw new Error(
      `advancing the host clock answered ${res.status}: ${await res.text()} (is DEVHOST_TEST_CLOCK=1 set?)`,
    );
  return (await res.json()) as { now: string; skewMs: number };
}

/**
 * Advance the clock by `stepMs` until `done()` holds (checked before each step, then every 100 ms of wall time): for
 * a wait whose timer may not be armed yet when the test first looks (a timer is never lost: one created later
 * fires on the next step, or at once when its fire time is already past).
 */
export async function advanceUntil<T>(
  host: { baseUrl: string },
  stepMs: number,
  done: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await done();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out advancing the clock until ${what}`);
    await advanceClock(host, stepMs);
    await new Promise((r) => setTimeout(r, 100));
  }
}
