/** Event contract: dedupe keys, CloudEvents ↔ Service Bus mapping (AMQP binding), generated JSON Schemas. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALL_EVENT_TYPES,
  decodeBusMessage,
  EVENT_TYPES,
  joinKey,
  makeEvent,
  MAX_MESSAGE_ID_LENGTH,
  renderEventSchemas,
  shortType,
  toServiceBusMessage,
} from '../../shared/events';
import { ValidationError } from '../../shared/errors';

const TIME = '2026-05-14T09:21:07Z';
const versionData = {
  model: { name: 'fraud-detector', version: '7' },
  source: null,
  runId: null,
  tags: {},
  description: null,
  registry: 'mlflow',
  occurredAt: TIME,
};

describe('dedupe keys', () => {
  it('derive from the business identity, not the delivery: two sources, same key', () => {
    const a = makeEvent(EVENT_TYPES.modelVersionCreated, versionData, {
      source: '/stagecraft/intake/mlflow',
      time: TIME,
      deliveryId: 'd1',
    });
    const b = makeEvent(
      EVENT_TYPES.modelVersionCreated,
      { ...versionData, registry: 'mlflow', tags: { x: 'y' } },
      { source: '/stagecraft/reconciler', time: TIME },
    );
    expect(a.id).toBe('model.version.created:fraud-detector:7');
    expect(b.id).toBe(a.id);
  });

  it('escape ":" and "%" inside parts so distinct identities never collide', () => {
    expect(joinKey(EVENT_TYPES.modelRegistered, 'a:b')).not.toBe(joinKey(EVENT_TYPES.modelRegistered, 'a', 'b'));
    expect(joinKey(EVENT_TYPES.modelRegistered, 'a%3Ab')).not.toBe(joinKey(EVENT_TYPES.modelRegistered, 'a:b'));
  });

  it('hash keys longer than 128 chars into a stable short id', () => {
    const long = 'm'.repeat(200);
    const k1 = joinKey(EVENT_TYPES.modelRegistered, long);
    expect(k1.length).toBeLessThanOrEqual(MAX_MESSAGE_ID_LENGTH);
    expect(k1).toMatch(/^model\.registered:sha256:[A-Za-z0-9_-]{43}$/);
    expect(joinKey(EVENT_TYPES.modelRegistered, long)).toBe(k1);
    expect(joinKey(EVENT_TYPES.modelRegistered, `${long}x`)).not.toBe(k1);
  });

  it('include the change time for alias moves, so moving back to an earlier version is a new event', () => {
    const data = { model: { name: 'm' }, alias: 'champion', version: '7', change: 'set', registry: 'mlflow' };
    const first = makeEvent(
      EVENT_TYPES.modelAliasChanged,
      { ...data, occurredAt: '2026-05-14T10:00:00Z' },
      { source: '/s', time: TIME },
    );
    const again = makeEvent(
      EVENT_TYPES.modelAliasChanged,
      { ...data, occurredAt: '2026-05-15T10:00:00Z' },
      { source: '/s', time: TIME },
    );
    expect(first.id).not.toBe(again.id);
  });

  it('exist for every event type', () => {
    expect(ALL_EVENT_TYPES).toHaveLength(15);
    for (const t of ALL_EVENT_TYPES) expect(shortType(t)).not.toContain('io.stagecraft');
  });
});

describe('makeEvent', () => {
  it('refuses invalid data with a ValidationError naming fields under data.', () => {
    try {
      makeEvent(EVENT_TYPES.modelVersionCreated, { model: { name: '' } }, { source: '/s', time: TIME });
      throw new Error('expected failure');
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      const paths = ((e as ValidationError).details!.fields as Array<{ path: string }>).map((f) => f.path);
      expect(paths).toEqual(
        expect.arrayContaining(['data.model.name', 'data.model.version', 'data.registry', 'data.occurredAt']),
      );
    }
  });
});

describe('Service Bus mapping (CloudEvents AMQP binding, binary mode)', () => {
  const event = makeEvent(EVENT_TYPES.modelVersionCreated, versionData, {
    source: '/stagecraft/intake/mlflow',
    time: TIME,
    deliveryId: 'd1',
  });

  it('sets messageId = id, subject = type, contentType, JSON data body and cloudEvents: properties', () => {
    const m = toServiceBusMessage(event);
    expect(m).toEqual({
      messageId: 'model.version.created:fraud-detector:7',
      subject: 'io.stagecraft.model.version.created',
      contentType: 'application/json',
      body: event.data,
      applicationProperties: {
        'cloudEvents:specversion': '1.0',
        'cloudEvents:id': 'model.version.created:fraud-detector:7',
        'cloudEvents:source': '/stagecraft/intake/mlflow',
        'cloudEvents:type': 'io.stagecraft.model.version.created',
        'cloudEvents:subject': 'models/fraud-detector/versions/7',
        'cloudEvents:time': TIME,
        'cloudEvents:deliveryid': 'd1',
      },
    });
  });

  it('decodes what it encodes, also with a Buffer body and native AMQP timestamps', () => {
    const m = toServiceBusMessage(event);
    const received = {
      ...m,
      body: Buffer.from(JSON.stringify(m.body)),
      applicationProperties: { ...m.applicationProperties, 'cloudEvents:time': new Date(TIME) },
    };
    const decoded = decodeBusMessage(received);
    expect(decoded.kind).toBe('cloudevents');
    if (decoded.kind === 'cloudevents') {
      expect(decoded.mode).toBe('binary');
      expect(decoded.events[0]).toMatchObject({
        id: event.id,
        type: event.type,
        source: event.source,
        data: event.data,
        time: '2026-05-14T09:21:07.000Z',
        deliveryid: 'd1',
      });
    }
  });
});

describe('generated JSON Schemas', () => {
  it('docs/schemas matches the zod schemas (run npx tsx scripts/gen-schemas.ts after changing them)', () => {
    const dir = join(__dirname, '..', '..', 'docs', 'schemas');
    for (const [name, content] of Object.entries(renderEventSchemas())) {
      expect(readFileSync(join(dir, name), 'utf8'), name).toBe(content);
    }
  });
});
