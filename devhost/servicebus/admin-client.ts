/**
 * A minimal AMQP request/response client for the emulator's own $management operations on a running embedded broker
 * (the SDK has no public API for custom operations). Authenticates like the SDK: SASL ANONYMOUS, then a SAS
 * put-token on $cbs signed with the connection string's key.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { create_container, type Connection, type EventContext, type Message, type Receiver, type Sender } from 'rhea';

export interface AdminTarget {
  host: string;
  port: number;
  keyName: string;
  key: string;
}

function sasToken(audience: string, keyName: string, key: string): string {
  const sr = encodeURIComponent(audience);
  const se = Math.floor(Date.now() / 1000) + 600;
  const sig = encodeURIComponent(createHmac('sha256', key).update(`${sr}\n${se}`).digest('base64'));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}&skn=${encodeURIComponent(keyName)}`;
}

class RequestLink {
  private readonly pending = new Map<string, (m: Message) => void>();
  private readonly replyTo = randomUUID();
  private sender!: Sender;
  private receiver!: Receiver;

  constructor(
    private readonly conn: Connection,
    private readonly address: string,
  ) {}

  async open(): Promise<void> {
    const opened = (link: Sender | Receiver): Promise<void> =>
      new Promise((resolve, reject) => {
        link.once(link.is_sender() ? 'sendable' : 'receiver_open', () => resolve());
        link.once(link.is_sender() ? 'sender_close' : 'receiver_close', (ctx: EventContext) => {
          const err = (ctx.sender ?? ctx.receiver)?.error as { description?: string } | undefined;
          reject(new Error(err?.description ?? `link to ${this.address} closed`));
        });
      });
    this.receiver = this.conn.open_receiver({
      name: this.replyTo,
      source: { address: this.address },
      target: { address: this.replyTo },
      credit_window: 10,
    });
    this.receiver.on('message', (ctx: EventContext) => {
      const m = ctx.message as Message;
      const id = String(m.correlation_id);
      this.pending.get(id)?.(m);
      this.pending.delete(id);
    });
    this.sender = this.conn.open_sender({ target: { address: this.address } });
    await Promise.all([opened(this.receiver), opened(this.sender)]);
  }

  request(applicationProperties: Record<string, unknown>, body: unknown, timeoutMs = 10_000): Promise<Message> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer from ${this.address} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(t);
        resolve(m);
      });
      this.sender.send({ message_id: id, reply_to: this.replyTo, application_properties: applicationProperties, body });
    });
  }
}

function status(m: Message): { code: number; description: string } {
  const ap = (m.application_properties ?? {}) as Record<string, unknown>;
  const code = Number(ap['status-code'] ?? ap['statusCode'] ?? 0);
  const d = ap['status-description'] ?? ap['statusDescription'];
  return { code, description: typeof d === 'string' ? d : '' };
}

/** Run one $management operation on `entity`; returns the response body, throws with the broker's description. */
export async function managementRequest(
  target: AdminTarget,
  entity: string,
  operation: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  const container = create_container({ id: `devhost-cli-${randomUUID()}` });
  const conn = container.connect({ host: target.host, port: target.port, reconnect: false, idle_time_out: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      conn.once('connection_open', () => resolve());
      conn.once('disconnected', (ctx: EventContext) =>
        reject(
          new Error(
            `cannot connect to ${target.host}:${target.port}: ${String((ctx as { error?: Error }).error?.message ?? 'disconnected')}`,
          ),
        ),
      );
    });
    const audience = `sb://${target.host}/${entity}/$management`;
    const cbs = new RequestLink(conn, '$cbs');
    await cbs.open();
    const auth = status(
      await cbs.request(
        { operation: 'put-token', name: audience, type: 'servicebus.windows.net:sastoken' },
        sasToken(audience, target.keyName, target.key),
      ),
    );
    if (auth.code < 200 || auth.code > 299)
      throw new Error(`the broker refused the token (${auth.code}): ${auth.description}`);
    const mgmt = new RequestLink(conn, `${entity}/$management`);
    await mgmt.open();
    const res = await mgmt.request({ operation }, body);
    const st = status(res);
    if (st.code < 200 || st.code > 299) throw new Error(`${operation} failed (${st.code}): ${st.description}`);
    return res.body;
  } finally {
    conn.close();
  }
}
