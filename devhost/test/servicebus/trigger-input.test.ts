/** Trigger input shaping (pure): bodies as the Functions Node worker gives them, triggerMetadata keys, host.json settings. */
import { describe, expect, it } from 'vitest';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { batchMetadata, messageMetadata, triggerBody } from '../../servicebus/trigger-input';
import { parseConnectionString, parseTimeSpan, triggerSettings } from '../../servicebus/host-settings';

const msg = (over: Partial<ServiceBusReceivedMessage>): ServiceBusReceivedMessage =>
  ({ body: undefined, ...over }) as ServiceBusReceivedMessage;

describe('trigger body', () => {
  it('passes objects and strings through, parses UTF-8 JSON in binary bodies, keeps other bytes as a Buffer, and honours dataType binary', () => {
    expect(triggerBody(msg({ body: { a: 1 } }), undefined)).toEqual({ a: 1 });
    expect(triggerBody(msg({ body: 'text' }), undefined)).toBe('text');
    expect(triggerBody(msg({ body: Buffer.from('{"a":2}') }), undefined)).toEqual({ a: 2 });
    expect(triggerBody(msg({ body: Buffer.from('plain') }), undefined)).toBe('plain');
    expect(triggerBody(msg({ body: Buffer.from([0xff, 0xfe]) }), undefined)).toEqual(Buffer.from([0xff, 0xfe]));
    expect(triggerBody(msg({ body: Buffer.from('{"a":2}') }), 'binary')).toEqual(Buffer.from('{"a":2}'));
  });
});

describe('triggerMetadata', () => {
  it('carries the Azure keys with ISO times, subject also as label, and <key>Array for batches', () => {
    const enq = new Date('2026-01-02T03:04:05.000Z');
    const m = msg({
      messageId: 'm1',
      deliveryCount: 2,
      enqueuedTimeUtc: enq,
      expiresAtUtc: enq,
      correlationId: 'c',
      subject: 's',
      sessionId: undefined,
      applicationProperties: { k: 'v' },
      lockToken: 't',
      sequenceNumber: undefined,
    });
    const meta = messageMetadata(m);
    expect(meta).toMatchObject({
      messageId: 'm1',
      deliveryCount: 2,
      enqueuedTimeUtc: '2026-01-02T03:04:05.000Z',
      expiresAtUtc: '2026-01-02T03:04:05.000Z',
      correlationId: 'c',
      subject: 's',
      label: 's',
      applicationProperties: { k: 'v' },
      lockToken: 't',
    });
    expect(batchMetadata([m, msg({ messageId: 'm2' })])['messageIdArray']).toEqual(['m1', 'm2']);
  });
});

describe('host.json and connection settings', () => {
  it('reads extensions.serviceBus with Azure defaults and TimeSpan durations', () => {
    expect(triggerSettings({}, 2)).toEqual({
      prefetchCount: 0,
      autoCompleteMessages: true,
      maxAutoLockRenewalDurationMs: 300_000,
      maxConcurrentCalls: 32,
      maxMessageBatchSize: 1000,
      maxConcurrentSessions: 8,
      sessionIdleTimeoutMs: 60_000,
    });
    const s = triggerSettings(
      {
        extensions: {
          serviceBus: { maxConcurrentCalls: 4, autoCompleteMessages: false, maxAutoLockRenewalDuration: '00:00:30' },
        },
      },
      2,
    );
    expect([s.maxConcurrentCalls, s.autoCompleteMessages, s.maxAutoLockRenewalDurationMs]).toEqual([4, false, 30_000]);
    expect(() => triggerSettings({ extensions: { serviceBus: { maxConcurrentCalls: 0 } } }, 2)).toThrow(
      /maxConcurrentCalls/,
    );
    expect(parseTimeSpan('1.00:00:01.5', 'x')).toBe(86_401_500);
    expect(() => parseTimeSpan('5m', 'host.json x')).toThrow(/host.json x/);
  });

  it('parses emulator connection strings with and without a port', () => {
    expect(
      parseConnectionString(
        'Endpoint=sb://localhost:5673;SharedAccessKeyName=K;SharedAccessKey=V;UseDevelopmentEmulator=true;',
      ),
    ).toEqual({ endpointHost: 'localhost', port: 5673, keyName: 'K', key: 'V', emulator: true });
    expect(
      parseConnectionString('Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=K;SharedAccessKey=V')
        .emulator,
    ).toBe(false);
  });
});
