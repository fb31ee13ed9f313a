import { type JsonServer, params, type RecordedRequest, startJsonServer, str } from './json-server';

/**
 * Fake Slack Web API (https://api.slack.com/web), from the documented methods we use:
 * - `POST /api/chat.postMessage` (JSON body, `Authorization: Bearer <bot token>`): `channel` may be a user id, which
 *   posts in the app's DM with that user; answers `{ ok: true, channel: 'D…', ts, message }`.
 * - `GET /api/users.lookupByEmail?email=` (needs users:read.email): `{ ok: true, user: { id, … } }`.
 * Slack answers API errors with HTTP 200 and `{ ok: false, error }` (not_authed, invalid_auth, channel_not_found,
 * users_not_found, ratelimited…), and rate limits with HTTP 429 + Retry-After.
 */
export interface FakeSlack extends Omit<JsonServer, 'close'> {
  /** DMs delivered, per user id. */
  dms: Map<string, Array<{ text: string; blocks: unknown[] }>>;
  close(): Promise<void>;
}

export async function startFakeSlack(o: { token: string; users: Record<string, string> }): Promise<FakeSlack> {
  const dms = new Map<string, Array<{ text: string; blocks: unknown[] }>>();
  const ids = new Set(Object.values(o.users));
  const authed = (r: RecordedRequest): { ok: false; error: string } | undefined => {
    const h = r.headers.authorization;
    if (!h) return { ok: false, error: 'not_authed' };
    return h === `Bearer ${o.token}` ? undefined : { ok: false, error: 'invalid_auth' };
  };
  const server = await startJsonServer((method, path) => {
    if (method === 'POST' && path === '/api/chat.postMessage') {
      return (r) => {
        const bad = authed(r);
        if (bad) return bad;
        const p = params(r);
        const channel = str(p.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!ids.has(channel)) return { ok: false, error: 'channel_not_found' };
        if (!str(p.text) && !Array.isArray(p.blocks)) return { ok: false, error: 'no_text' };
        const list = dms.get(channel) ?? [];
        list.push({ text: str(p.text), blocks: (p.blocks as unknown[] | undefined) ?? [] });
        dms.set(channel, list);
        return {
          ok: true,
          channel: `D${channel.slice(1)}`,
          ts: `${Date.now() / 1000}`,
          message: { type: 'message', text: str(p.text), bot_id: 'B0FAKE' },
        };
      };
    }
    if (method === 'GET' && path === '/api/users.lookupByEmail') {
      return (r) => {
        const bad = authed(r);
        if (bad) return bad;
        const email = str(r.query.email).toLowerCase();
        const id = Object.entries(o.users).find(([e]) => e.toLowerCase() === email)?.[1];
        return id
          ? { ok: true, user: { id, team_id: 'T0FAKE', name: email.split('@')[0], profile: { email } } }
          : { ok: false, error: 'users_not_found' };
      };
    }
    return undefined;
  });
  return { ...server, dms, close: () => server.close() };
}
