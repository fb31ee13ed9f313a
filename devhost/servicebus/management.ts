/**
 * `$management` request/response operations of an entity, one handler per operation, looked up by name.
 *
 * Invariants:
 * - Every request gets exactly one reply: `ok` or `fail`. An operation not in the table answers 501
 *   `amqp:not-implemented` naming it; an EngineError answers its own status and condition; anything else thrown
 *   answers 500 `amqp:internal-error`.
 * - Replies that wait for the store (schedule, settle, session state, resubmit) are sent only after the commit.
 */
import { types, type Message } from 'rhea';
import { decodeMessage, encodeMessage, longList, toLong, tokenFromUuid, uuidBytes } from './amqp-util';
import { EngineError, type Engine, type Outcome } from './engine';

/** $management operation (an emulator extension) that moves dead-lettered messages back to their entity. */
export const RESUBMIT_OPERATION = 'com.devhost:resubmit-deadletters';

/** One $management request and how to answer it. */
export interface ManagementRequest {
  engine: Engine;
  /** The entity the request link is attached to (lower case). */
  entityPath: string;
  op: string;
  /** Request application properties (operation, associated-link-name, ...). */
  properties: Record<string, unknown>;
  body: Record<string, unknown>;
  /** The engine's clock time (ms). */
  now(): number;
  ok(payload: unknown, code?: number): void;
  fail(code: number, condition: string, description: string): void;
  /** The "entity not found" description for a path. */
  notFound(path: string): string;
}

type Handler = (r: ManagementRequest) => void;

function failWith(r: ManagementRequest, err: unknown): void {
  if (err instanceof EngineError) r.fail(err.status, err.condition, err.message);
  else r.fail(500, 'amqp:internal-error', err instanceof Error ? err.message : String(err));
}

function asArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null) return [];
  return [v];
}

const renewLock: Handler = (r) => {
  const tokens = asArray(r.body['lock-tokens']).map(tokenFromUuid);
  const expirations = tokens.map((t) => new Date(r.engine.renewLock(t ?? '')));
  r.ok({ expirations });
};

const peekMessage: Handler = (r) => {
  const queue = r.engine.receiveQueue(r.entityPath);
  if (!queue) return r.fail(404, 'amqp:not-found', r.notFound(r.entityPath));
  const sessionId = typeof r.body['session-id'] === 'string' ? r.body['session-id'] : undefined;
  const from = toLong(r.body['from-sequence-number']) ?? 0;
  const count = Number(r.body['message-count'] ?? 1);
  const msgs = r.engine.peek(queue, from, count, sessionId);
  if (msgs.length === 0) return r.ok(undefined, 204);
  r.ok({ messages: msgs.map((m) => ({ message: encodeMessage(m) })) });
};

const scheduleMessage: Handler = (r) => {
  const target = r.engine.sendTarget(r.entityPath);
  if (!target) return r.fail(404, 'amqp:not-found', r.notFound(r.entityPath));
  const entries = asArray(r.body.messages) as Array<Record<string, unknown>>;
  const items = entries.map((e) => ({ msg: decodeMessage(e.message as Buffer) }));
  const groups = new Map<number, typeof items>();
  for (const it of items) {
    const t: unknown = it.msg.message_annotations?.['x-opt-scheduled-enqueue-time'];
    const at = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : r.now();
    const g = groups.get(at) ?? [];
    g.push(it);
    groups.set(at, g);
  }
  const all: number[] = [];
  let pendingGroups = groups.size;
  let failed = false;
  for (const [at, g] of groups) {
    r.engine.send(
      target,
      g,
      (err, seqs) => {
        if (failed) return;
        if (err) {
          failed = true;
          return failWith(r, err);
        }
        all.push(...seqs);
        if (--pendingGroups === 0) r.ok({ 'sequence-numbers': longList(all.sort((a, b) => a - b)) });
      },
      at,
    );
  }
  if (groups.size === 0) r.ok({ 'sequence-numbers': longList([]) });
};

const cancelScheduledMessage: Handler = (r) => {
  const target = r.engine.sendTarget(r.entityPath);
  if (!target) return r.fail(404, 'amqp:not-found', r.notFound(r.entityPath));
  const seqs = asArray(r.body['sequence-numbers']).map((v) => toLong(v) ?? -1);
  r.engine.cancelScheduled(target, seqs, (err) => (err ? failWith(r, err) : r.ok({})));
};

const receiveBySequenceNumber: Handler = (r) => {
  const queue = r.engine.receiveQueue(r.entityPath);
  if (!queue) return r.fail(404, 'amqp:not-found', r.notFound(r.entityPath));
  const sessionId = typeof r.body['session-id'] === 'string' ? r.body['session-id'] : undefined;
  const seqs = asArray(r.body['sequence-numbers']).map((v) => toLong(v) ?? -1);
  const mode = Number(r.body['receiver-settle-mode'] ?? 1) === 0 ? 'receiveAndDelete' : 'peekLock';
  r.engine.receiveDeferred(
    queue,
    seqs,
    mode,
    (err, out) => {
      if (err) return failWith(r, err);
      r.ok({
        messages: out.map((o) => ({
          message: encodeMessage(o.msg),
          ...(o.lockToken ? { 'lock-token': types.wrap_uuid(uuidBytes(o.lockToken)) } : {}),
        })),
      });
    },
    sessionId,
  );
};

const updateDisposition: Handler = (r) => {
  const body = r.body;
  const status = typeof body['disposition-status'] === 'string' ? body['disposition-status'] : '';
  const tokens = asArray(body['lock-tokens']).map(tokenFromUuid);
  const props = body['properties-to-modify'] as Record<string, unknown> | undefined;
  let outcome: Outcome;
  if (status === 'completed') outcome = { kind: 'complete' };
  else if (status === 'abandoned') outcome = { kind: 'abandon', ...(props ? { properties: props } : {}) };
  else if (status === 'defered' || status === 'deferred')
    outcome = { kind: 'defer', ...(props ? { properties: props } : {}) };
  else if (status === 'suspended') {
    const reason = body['deadletter-reason'];
    const description = body['deadletter-description'];
    outcome = {
      kind: 'deadletter',
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(typeof description === 'string' ? { description } : {}),
      ...(props ? { properties: props } : {}),
    };
  } else return r.fail(400, 'amqp:invalid-field', `unknown disposition-status '${status}'`);
  let left = tokens.length;
  let failed = false;
  if (left === 0) return r.ok({});
  for (const t of tokens) {
    r.engine.settle(t ?? '', outcome, (err) => {
      if (failed) return;
      if (err) {
        failed = true;
        return failWith(r, err);
      }
      if (--left === 0) r.ok({});
    });
  }
};

/** Emulator-only: `devhost servicebus resubmit` while the host runs. */
const resubmitDeadLetters: Handler = (r) => {
  const queue = r.engine.receiveQueue(r.entityPath);
  if (!queue || queue.isDlq) return r.fail(404, 'amqp:not-found', r.notFound(r.entityPath));
  const seqs = r.body.all === true ? 'all' : asArray(r.body['sequence-numbers']).map((v) => toLong(v) ?? -1);
  r.engine.resubmitDeadLetters(queue, seqs, (err, count) => (err ? failWith(r, err) : r.ok({ count })));
};

/** Session operations need a RequiresSession entity; `inner` gets it. */
function sessionOp(
  inner: (
    r: ManagementRequest,
    queue: NonNullable<ReturnType<Engine['receiveQueue']>>,
    sessionId: string,
    link: string | undefined,
  ) => void,
): Handler {
  return (r) => {
    const queue = r.engine.receiveQueue(r.entityPath);
    if (!queue) return r.fail(404, 'amqp:not-found', r.notFound(r.entityPath));
    if (!queue.requiresSession)
      return r.fail(
        400,
        'amqp:not-allowed',
        `'${queue.displayPath}' does not require sessions (RequiresSession is off).`,
      );
    const sessionId = typeof r.body['session-id'] === 'string' ? r.body['session-id'] : '';
    const link =
      typeof r.properties['associated-link-name'] === 'string' ? r.properties['associated-link-name'] : undefined;
    inner(r, queue, sessionId, link);
  };
}

const getMessageSessions = sessionOp((r, queue) => {
  const skip = Number(r.body.skip ?? 0);
  const top = Number(r.body.top ?? 100);
  const ids = r.engine.listSessions(queue).slice(skip, skip + top);
  return ids.length === 0 ? r.ok(undefined, 204) : r.ok({ skip, 'sessions-ids': ids });
});

const renewSessionLock = sessionOp((r, queue, sessionId, link) =>
  r.ok({ expiration: new Date(r.engine.renewSessionLock(queue, sessionId, link)) }),
);

const getSessionState = sessionOp((r, queue, sessionId, link) => {
  const state = r.engine.getSessionState(queue, sessionId, link);
  // No state: the key is absent, so the SDK returns undefined.
  r.ok(state ? { 'session-state': state } : {});
});

const setSessionState = sessionOp((r, queue, sessionId, link) => {
  const raw = r.body['session-state'];
  const state =
    raw === undefined || raw === null
      ? null
      : Buffer.isBuffer(raw)
        ? raw
        : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
  r.engine.setSessionState(queue, sessionId, state, link, (err) => (err ? failWith(r, err) : r.ok({})));
});

const ruleManagement: Handler = (r) =>
  r.fail(
    501,
    'amqp:not-implemented',
    'Rule management at runtime is not supported by the local Service Bus emulator; declare rules in the emulator Config.json.',
  );

/** The operations the emulator answers, by `operation` application property. */
export const MANAGEMENT_OPERATIONS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['com.microsoft:renew-lock', renewLock],
  ['com.microsoft:peek-message', peekMessage],
  ['com.microsoft:schedule-message', scheduleMessage],
  ['com.microsoft:cancel-scheduled-message', cancelScheduledMessage],
  ['com.microsoft:receive-by-sequence-number', receiveBySequenceNumber],
  ['com.microsoft:update-disposition', updateDisposition],
  [RESUBMIT_OPERATION, resubmitDeadLetters],
  ['com.microsoft:renew-session-lock', renewSessionLock],
  ['com.microsoft:set-session-state', setSessionState],
  ['com.microsoft:get-session-state', getSessionState],
  ['com.microsoft:get-message-sessions', getMessageSessions],
  ['com.microsoft:add-rule', ruleManagement],
  ['com.microsoft:remove-rule', ruleManagement],
  ['com.microsoft:enumerate-rules', ruleManagement],
]);

/** Answer one $management request (exactly one reply, see the invariants above). */
export function handleManagement(r: ManagementRequest): void {
  const handler = MANAGEMENT_OPERATIONS.get(r.op);
  if (!handler)
    return r.fail(
      501,
      'amqp:not-implemented',
      `$management operation '${r.op}' is not supported by the local Service Bus emulator.`,
    );
  try {
    handler(r);
  } catch (e) {
    failWith(r, e);
  }
}

/** The request's operation name, properties and body. */
export function managementRequest(request: Message): {
  op: string;
  properties: Record<string, unknown>;
  body: Record<string, unknown>;
} {
  const properties = (request.application_properties ?? {}) as Record<string, unknown>;
  return {
    op: typeof properties.operation === 'string' ? properties.operation : '',
    properties,
    body: (request.body ?? {}) as Record<string, unknown>,
  };
}
