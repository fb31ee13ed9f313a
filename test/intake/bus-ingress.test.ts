/** Messages the router receives from the topic: our own CloudEvents, structured ones, and Azure DevOps native JSON. */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, makeEvent, toServiceBusMessage } from '../../shared/events';
import { normalizeBusMessage } from '../../shared/intake';
import * as fx from './fixtures';
import { testConfig } from './helpers';

const config = testConfig();
const NOW = '2026-05-14T09:21:10.000Z';

describe('normalizeBusMessage', () => {
  it('round-trips an event our publisher sent, keeping its id even for producer-keyed requests', () => {
    const event = makeEvent(EVENT_TYPES.promoteRequested, fx.promoteCloudEvent.data, {
      source: '/ops/cli',
      time: NOW,
      producerSource: '/ops/cli',
      producerId: 'p-1',
      deliveryId: 'd-9',
    });
    const msg = toServiceBusMessage(event);
    // What the receiver sees: the SDK decodes the JSON data section back into an object.
    const out = normalizeBusMessage({ ...msg, body: JSON.parse(JSON.stringify(msg.body)) }, config, NOW);
    expect(out).toEqual({ kind: 'events', events: [event] });
  });

  it('reads structured CloudEvents (content type application/cloudevents+json) from a Buffer body', () => {
    const out = normalizeBusMessage(
      {
        contentType: 'application/cloudevents+json; charset=utf-8',
        body: Buffer.from(JSON.stringify(fx.jobFinishedCloudEvent)),
      },
      config,
      NOW,
    );
    expect(out).toMatchObject({ kind: 'events', events: [{ type: EVENT_TYPES.jobFinished, id: 'run-455644833' }] });
  });

  it('normalizes Azure DevOps native messages, including the legacy DataContract-wrapped body', () => {
    const json = JSON.stringify(fx.adoPrCompleted);
    const plain = normalizeBusMessage({ body: fx.adoPrCompleted }, config, NOW);
    const wrapped = normalizeBusMessage(
      {
        body: Buffer.concat([
          Buffer.from([0x40, 0x06]),
          Buffer.from('string\u00083http://schemas.microsoft.com/2003/10/Serialization/\u009a\u0005'),
          Buffer.from(json),
        ]),
      },
      config,
      NOW,
    );
    expect(plain).toMatchObject({
      kind: 'events',
      events: [{ type: EVENT_TYPES.gitMerged, deliveryid: fx.adoPrCompleted.id }],
    });
    expect(wrapped).toEqual(plain);
  });

  it('rejects invalid data of a Stagecraft type as invalid (for dead-lettering) and ignores foreign messages', () => {
    const bad = normalizeBusMessage(
      {
        body: { model: {} },
        contentType: 'application/json',
        applicationProperties: {
          'cloudEvents:specversion': '1.0',
          'cloudEvents:id': 'x',
          'cloudEvents:source': '/s',
          'cloudEvents:type': EVENT_TYPES.retrainRequested,
        },
      },
      config,
      NOW,
    );
    expect(bad.kind).toBe('invalid');
    expect(normalizeBusMessage({ body: 'hello' }, config, NOW).kind).toBe('ignored');
    expect(
      normalizeBusMessage(
        {
          body: {},
          applicationProperties: {
            cloudEvents_specversion: '1.0',
            cloudEvents_id: 'x',
            cloudEvents_source: '/s',
            cloudEvents_type: 'com.other',
          },
        },
        config,
        NOW,
      ).kind,
    ).toBe('ignored');
  });
});
