/**
 * Typed access to rhea internals its typings leave out (link credit, attach frames, session outgoing state,
 * outcome constructors). Kept in one place so a rhea upgrade has one file to check (pinned: rhea 3.0.5).
 */
import { message as rheaMessage, type Connection, type Receiver, type Sender } from 'rhea';

export interface AttachFrame {
  name?: string;
  source?: { address?: string; filter?: Record<string, unknown> } & Record<string, unknown>;
  target?: { address?: string } & Record<string, unknown>;
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  max_message_size?: number;
  [k: string]: unknown;
}

interface LinkInternals {
  credit: number;
  local: { attach: AttachFrame };
  remote: { attach?: AttachFrame };
  /** Endpoint state: zeroing open_requests holds back our ATTACH until it is set again and the connection processes. */
  state: { open_requests: number };
  connection: { _register(): void };
  session: { outgoing: { next_pending_delivery: number; deliveries: { available(): number } } };
}

export function internals(link: Sender | Receiver): LinkInternals {
  return link as unknown as LinkInternals;
}

type Described = { described(): unknown };
const outcomes = rheaMessage as unknown as {
  accepted(): Described;
  rejected(fields: { error: { condition: string; description: string } }): Described;
};

export function acceptedState(): unknown {
  return outcomes.accepted().described();
}

export function rejectedState(condition: string, description: string): unknown {
  return outcomes.rejected({ error: { condition, description } }).described();
}

/** Links of a connection (for cleanup when it drops). */
export function linksOf(conn: Connection): object[] {
  const c = conn as unknown as { local_channel_map?: Record<string, { links?: Record<string, object> }> };
  const out: object[] = [];
  for (const session of Object.values(c.local_channel_map ?? {})) out.push(...Object.values(session.links ?? {}));
  return out;
}

export function socketOf(conn: Connection): { destroy(): void } | undefined {
  return (conn as unknown as { socket?: { destroy(): void } }).socket;
}

/**
 * rhea writes every frame with its own socket.write; with TCP_NODELAY that is one syscall and one packet per
 * frame. Corking the socket for the duration of one processing pass coalesces them into a single writev.
 */
export function coalesceWrites(conn: Connection): void {
  const c = conn as unknown as {
    _process: () => void;
    socket?: { cork(): void; uncork(): void; writableCorked?: number };
  };
  const original = c._process;
  c._process = function (this: unknown) {
    const socket = c.socket;
    if (!socket || socket.writableCorked) return original.call(this);
    socket.cork();
    try {
      original.call(this);
    } finally {
      process.nextTick(() => socket.uncork());
    }
  };
}
