/**
 * The host's clock and its test-clock mode. With `DEVHOST_TEST_CLOCK=1` the host builds one `TestClock` shared by its
 * engines (durable timers, timer triggers, …) and serves `POST /admin/host/clock` `{"advanceMs": n}`, which moves
 * that clock forward and fires what is due; `DEVHOST_TEST_CLOCK_START` (an ISO time or epoch ms) sets where the
 * clock starts. Without the setting the host runs on the system clock and the route does not exist (404).
 *
 * Invariants:
 * - The route takes only the master key (not a system key) and refuses cross-origin browser requests, with the
 *   guards the Durable HTTP API uses (admin-guard.ts). Bad input is a 400 naming `advanceMs`.
 * - The clock only moves forward.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { systemClock, TestClock, type Clock } from '../lib/clock';
import { crossOriginReason, isAdminKey, presentedKey, type AdminKeys } from './admin-guard';
import { HostError, type SystemRoute } from './types';

export const CLOCK_ROUTE = '/admin/host/clock';
/** At most one year per call: a typo of a few zeros fails loudly instead of firing everything. */
const MAX_ADVANCE_MS = 366 * 86_400_000;

/** A test clock that may start at another time than now: `skewMs` is its distance from wall-clock time. */
export class HostTestClock extends TestClock {
  constructor(private readonly startSkew: number) {
    super(() => Date.now() + startSkew);
  }

  override get skewMs(): number {
    return this.startSkew + super.skewMs;
  }
}

/** The clock the settings ask for: the system clock, or a test clock (`DEVHOST_TEST_CLOCK=1`). */
export function clockFromSettings(settings: NodeJS.ProcessEnv): Clock {
  const mode = settings['DEVHOST_TEST_CLOCK']?.trim().toLowerCase();
  if (!mode || mode === '0' || mode === 'false') return systemClock;
  if (mode !== '1' && mode !== 'true')
    throw new HostError(
      'HOST_SETTING_INVALID',
      `DEVHOST_TEST_CLOCK must be 1 or 0 (got ${JSON.stringify(settings['DEVHOST_TEST_CLOCK'])})`,
    );
  const start = settings['DEVHOST_TEST_CLOCK_START']?.trim();
  if (!start) return new HostTestClock(0);
  const at = /^\d+$/.test(start) ? Number(start) : Date.parse(start);
  if (!Number.isFinite(at))
    throw new HostError(
      'HOST_SETTING_INVALID',
      `DEVHOST_TEST_CLOCK_START must be an ISO time or epoch milliseconds (got ${JSON.stringify(start)})`,
    );
  return new HostTestClock(at - Date.now());
}

const body = z.object({ advanceMs: z.number().int().min(0).max(MAX_ADVANCE_MS) }).strict();

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** `POST /admin/host/clock`: advance the test clock; answers `{ now, skewMs }` once due callbacks were fired. */
export function clockRoute(clock: TestClock, keys: () => AdminKeys, ownOrigins: () => Set<string>): SystemRoute {
  return {
    prefix: CLOCK_ROUTE,
    async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.replace(/\/+$/, '').toLowerCase() !== CLOCK_ROUTE)
        return send(res, 404, { code: 'NOT_FOUND', message: `No such route ${url.pathname}` });
      const crossOrigin = crossOriginReason(req, ownOrigins());
      if (crossOrigin)
        return send(res, 403, {
          code: 'HOST_CROSS_ORIGIN',
          message: `The host clock refuses browser requests from other origins (${crossOrigin})`,
        });
      // Master key only: the durable system key is not enough to move time.
      if (!isAdminKey({ masterKey: keys().masterKey, systemKeys: {} }, presentedKey(req, url), '')) {
        return send(res, 401, {
          code: 'HOST_KEY_REQUIRED',
          message: "Moving the host clock needs the host's master key (x-functions-key header)",
        });
      }
      if ((req.method ?? 'GET').toUpperCase() !== 'POST')
        return send(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'Use POST' });
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8') || 'null');
      } catch {
        return send(res, 400, {
          code: 'HOST_CLOCK_INVALID',
          message: 'The body must be JSON: {"advanceMs": <milliseconds>}',
        });
      }
      const r = body.safeParse(parsed);
      if (!r.success)
        return send(res, 400, {
          code: 'HOST_CLOCK_INVALID',
          message: `advanceMs must be a whole number of milliseconds from 0 to ${MAX_ADVANCE_MS}: {"advanceMs": <n>}`,
        });
      await clock.advance(r.data.advanceMs);
      return send(res, 200, { now: new Date(clock.now()).toISOString(), skewMs: clock.skewMs });
    },
  };
}
