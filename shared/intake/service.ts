/**
 * The intake pipeline for one delivery, independent of any HTTP framework:
 *   size (413) → verify (401) → media type (415) → JSON, well-formed Unicode (400) → source schema (400 naming
 *   fields; identifiers bounded, see shared/events/identifiers.ts) → irrelevant (202 ignored)
 *   → publish (failure: 503) → index the delivery id (already there: 202 duplicate) → 202 accepted.
 * Every delivery leaves exactly one receipt, whatever the outcome. Receipts hold no secrets and no bodies.
 *
 * Invariants:
 * - Nothing is published before the signature is verified and the payload validated.
 * - Exactly one receipt per (source, delivery id) is `accepted`; copies are `duplicate` naming it (ReceiptStore).
 *   Copies this process saw accepted are answered from memory without publishing; others are published again
 *   before they are recognised; their messageIds equal the first copy's (dedupe key),
 *   so Service Bus duplicate detection drops them and the router's deterministic instance ids absorb the rest.
 * - User errors never produce a 5xx; only a failing dependency does (503, retryable, so the sender retries).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AuditEntry } from '../audit';
import type { EventKey } from '../auth/event-keys';
import type { StagecraftConfig } from '../config';
import { isStagecraftError } from '../errors';
import type { AnyStagecraftEvent } from '../events';
import { decodeJsonBody } from './body';
import { normalizeRequest, type DeliveryInput } from './request';
import { SOURCES, type IntakeSource, type SourceName } from './sources';
import type { Verifier } from './verifiers';
import {
  silentLogger,
  type EventPublisher,
  type FirstAcceptance,
  type IntakeLogger,
  type Receipt,
  type ReceiptOutcome,
  type ReceiptStore,
} from './ports';
import { recordWebhook } from '../telemetry/metrics';

export interface IntakeDeps {
  publisher: EventPublisher;
  receipts: ReceiptStore;
  config: StagecraftConfig;
  /** Epoch ms. */
  clock?: () => number;
  logger?: IntakeLogger;
  newId?: () => string;
  /** Audit log (shared/audit) for HTTP steps that audit (privileged CloudEvents); absent: nothing is audited. */
  audit?: (entry: AuditEntry) => Promise<void>;
  /**
   * The event keys privileged CloudEvents need (STAGECRAFT_EVENT_KEYS), read on each request; may throw ConfigError.
   * Absent: no key is valid, so every privileged type is refused.
   */
  eventKeys?: () => readonly EventKey[];
}

export type IntakeBody =
  | { status: 'accepted'; eventIds: string[]; deliveryId: string; receiptId: string }
  | { status: 'duplicate'; eventIds: string[]; deliveryId: string; receiptId: string; firstReceiptId: string }
  | { status: 'ignored'; reason: string; deliveryId: string; receiptId: string }
  | {
      status: 'rejected' | 'failed';
      code: string;
      reason: string;
      receiptId: string;
      fields?: Array<{ path: string; message: string }>;
    };

export interface IntakeResult {
  httpStatus: number;
  body: IntakeBody;
  /** Extra response headers (e.g. Retry-After on 503). */
  headers?: Record<string, string>;
}

const MAX_REASON = 500;

/** Verifiers are pure functions of the config: built once per (config, source). */
const verifierCache = new WeakMap<StagecraftConfig, Map<IntakeSource, Verifier>>();

function verifierFor(source: IntakeSource, config: StagecraftConfig): Verifier {
  let bySource = verifierCache.get(config);
  if (bySource === undefined) {
    bySource = new Map();
    verifierCache.set(config, bySource);
  }
  let verifier = bySource.get(source);
  if (verifier === undefined) {
    verifier = source.verifier(config);
    bySource.set(source, verifier);
  }
  return verifier;
}

/** One delivery to `source` (a name of the list, or a source object: the pipeline is the same for every source). */
export async function handleDelivery(
  which: SourceName | IntakeSource,
  input: DeliveryInput,
  deps: IntakeDeps,
): Promise<IntakeResult> {
  const spec = typeof which === 'string' ? SOURCES[which] : which;
  const source = spec.name;
  const clock = deps.clock ?? Date.now;
  const log = deps.logger ?? silentLogger;
  const receiptId = (deps.newId ?? randomUUID)();
  const startedMs = clock();
  const request = normalizeRequest(input);
  const bodySha256 = createHash('sha256').update(request.rawBody).digest('hex');
  const base = {
    receiptId,
    source,
    receivedAt: new Date(startedMs).toISOString(),
    bodyBytes: request.bodyBytes,
    bodySha256,
    eventIds: [] as string[],
    eventTypes: [] as string[],
  };
  let scheme = 'none';
  // A delivery id the source sends in a header is known before anything is verified, so even a rejected receipt
  // names it (unverified, so only recorded, never trusted; bounded in length).
  let deliveryId: string | undefined = spec.deliveryId(request, undefined)?.slice(0, 200) || undefined;

  const finish = async (
    outcome: ReceiptOutcome,
    httpStatus: number,
    body: IntakeBody,
    extra: Partial<Receipt> = {},
    headers?: Record<string, string>,
  ): Promise<IntakeResult> => {
    const receipt: Receipt = {
      ...base,
      scheme,
      outcome,
      httpStatus,
      ...(deliveryId !== undefined ? { deliveryId } : {}),
      ...extra,
    };
    if (receipt.reason !== undefined) receipt.reason = receipt.reason.slice(0, MAX_REASON);
    recordWebhook(source, outcome);
    try {
      await deps.receipts.record(receipt);
    } catch (e) {
      // The answer does not depend on the receipt; a lost receipt is logged, the delivery is not failed for it.
      log.error('intake receipt not recorded', { receiptId, source, deliveryId, error: errorText(e) });
    }
    const fields = {
      receiptId,
      source,
      deliveryId,
      outcome,
      httpStatus,
      code: receipt.code,
      reason: receipt.reason,
      eventIds: receipt.eventIds,
      ms: clock() - startedMs,
    };
    if (outcome === 'accepted' || outcome === 'duplicate' || outcome === 'ignored') log.info('intake delivery', fields);
    else log.warn('intake delivery', fields);
    return headers ? { httpStatus, body, headers } : { httpStatus, body };
  };

  const reject = (
    httpStatus: number,
    code: string,
    reason: string,
    fieldsList?: Array<{ path: string; message: string }>,
  ): Promise<IntakeResult> =>
    finish(
      'rejected',
      httpStatus,
      { status: 'rejected', code, reason, receiptId, ...(fieldsList ? { fields: fieldsList } : {}) },
      { code, reason },
    );

  try {
    const limit = deps.config.intake.maxBodyBytes;
    if (request.bodyBytes > limit) {
      const size =
        request.rawBody.length < request.bodyBytes ? `at least ${request.bodyBytes}` : String(request.bodyBytes);
      return await reject(
        413,
        'INTAKE_BODY_TOO_LARGE',
        `body is ${size} bytes; the limit is ${limit} (INTAKE_MAX_BODY_BYTES)`,
      );
    }
    const verifier = verifierFor(spec, deps.config);
    scheme = verifier.scheme;
    const verdict = verifier.verify(request, clock());
    if (!verdict.ok) {
      if (verdict.code === 'INTAKE_SOURCE_NOT_CONFIGURED')
        log.warn('intake source not configured', { source, receiptId });
      return await reject(401, verdict.code, verdict.reason);
    }

    const decoded = decodeJsonBody(request, spec.body);
    if (!decoded.ok) {
      return await reject(
        decoded.status,
        decoded.code,
        decoded.reason,
        decoded.field !== undefined ? [{ path: decoded.field, message: decoded.reason }] : undefined,
      );
    }
    const body = decoded.body;
    deliveryId = boundedDeliveryId(spec.deliveryId(request, body)) ?? `sha256:${bodySha256}`;
    const now = new Date(clock()).toISOString();
    const parsed = spec.parse(body, { config: deps.config, request, deliveryId, now });
    if (parsed.kind === 'invalid') {
      const err = parsed.error;
      const list = (err.details?.fields ?? undefined) as Array<{ path: string; message: string }> | undefined;
      return await reject(err.status >= 400 && err.status < 500 ? err.status : 400, err.code, err.message, list);
    }
    if (parsed.kind === 'ignored') {
      return await finish(
        'ignored',
        202,
        { status: 'ignored', reason: parsed.reason, deliveryId, receiptId },
        { reason: parsed.reason },
      );
    }
    return await publishOnce(parsed.events, deliveryId);
  } catch (e) {
    log.error('intake failed unexpectedly', { receiptId, source, deliveryId, error: errorText(e) });
    const code = isStagecraftError(e) ? e.code : 'INTAKE_INTERNAL';
    const retryable = isStagecraftError(e) ? e.retryable : true;
    const status = retryable ? 503 : 500;
    return finish(
      'failed',
      status,
      { status: 'failed', code, reason: 'internal error; see logs with this receiptId', receiptId },
      { code, reason: errorText(e) },
      retryable ? { 'Retry-After': '5' } : undefined,
    );
  }

  async function publishOnce(events: AnyStagecraftEvent[], id: string): Promise<IntakeResult> {
    const eventIds = events.map((e) => e.id);
    const eventTypes = [...new Set(events.map((e) => e.type))];
    const duplicate = (first: FirstAcceptance): Promise<IntakeResult> => {
      const ids = first.eventIds.length > 0 ? first.eventIds : eventIds;
      return finish(
        'duplicate',
        202,
        { status: 'duplicate', eventIds: ids, deliveryId: id, receiptId, firstReceiptId: first.firstReceiptId },
        { eventIds: ids, eventTypes, firstReceiptId: first.firstReceiptId, reason: 'delivery already accepted' },
      );
    };
    const known = deps.receipts.recall(source, id);
    if (known !== undefined) return duplicate(known);
    try {
      await deps.publisher.publish(events);
    } catch (e) {
      log.error('intake publish failed', { receiptId, source, deliveryId: id, error: errorText(e) });
      return finish(
        'failed',
        503,
        {
          status: 'failed',
          code: 'INTAKE_PUBLISH_FAILED',
          reason: 'could not publish the events; retry later',
          receiptId,
        },
        { code: 'INTAKE_PUBLISH_FAILED', reason: errorText(e), eventIds, eventTypes },
        { 'Retry-After': '5' },
      );
    }
    let accepted;
    try {
      accepted = await deps.receipts.accept(source, id, receiptId, eventIds, clock());
    } catch (e) {
      // Published already, so the sender must not retry for our sake: a later copy republishes the same messageIds
      // (dropped by Service Bus duplicate detection) and is indexed then.
      log.error('intake delivery index not written', { receiptId, source, deliveryId: id, error: errorText(e) });
      accepted = { first: true } as const;
    }
    if (!accepted.first) return duplicate(accepted);
    return finish(
      'accepted',
      202,
      { status: 'accepted', eventIds, deliveryId: id, receiptId },
      { eventIds, eventTypes },
    );
  }
}

/** Delivery ids index receipts: a sender's id longer than 200 chars (or with control characters) is hashed. */
function boundedDeliveryId(id: string | undefined): string | undefined {
  if (id === undefined || id === '') return undefined;
  if (id.length <= 200 && !/[\u0000-\u001f\u007f-\u009f]/.test(id)) return id;
  return `sha256:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
