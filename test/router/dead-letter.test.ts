/**
 * Issue #16: router messages that can never succeed are dead-lettered on their first delivery with a reason naming
 * the error's code (not retried until MaxDeliveryCountExceeded); transient failures are still delivered again.
 * Through the real local host, its embedded Service Bus emulator and a real Azurite; the Tables endpoint the host
 * uses goes through a TCP relay the test can cut, to make the router's run-record write fail for a while.
 */
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toServiceBusMessage } from '../../shared/events/message';
import { instanceIdFor } from '../../shared/router/instance-id';
import type { HostProcess } from '../helpers/host';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay';
import { startEnv, startHost, status, stopEnv, until, versionCreated, type Env } from '../promotion/harness';
import { DEV_ACCOUNT, DEV_KEY } from '../records/azurite';

const TOPIC = 'stagecraft-events';

let env: Env;
let host: HostProcess;
let relay: TcpRelay;
let sb: ServiceBusClient;

beforeAll(async () => {
  env = await startEnv(() => ({ version: 1, defaults: { approval: { required: false } }, models: { ranker: {} } }));
  relay = await startRelay(env.azurite.tablePort);
  env.hostEnv['AzureWebJobsStorage'] =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${env.azurite.blobPort}/${DEV_ACCOUNT};TableEndpoint=http://127.0.0.1:${relay.port}/${DEV_ACCOUNT};`;
  host = await startHost(env);
  sb = new ServiceBusClient(env.hostEnv['ServiceBusConnection']!);
}, 150_000);

afterAll(async () => {
  await sb?.close();
  await host?.stop();
  await relay?.close();
  await stopEnv(env);
});

async function deadLetters(subscription: string): Promise<ServiceBusReceivedMessage[]> {
  const r = sb.createReceiver(TOPIC, subscription, { subQueueType: 'deadLetter' });
  try {
    return await r.peekMessages(100, { fromSequenceNumber: undefined });
  } finally {
    await r.close();
  }
}

describe('router dead-lettering (real host + Service Bus emulator)', () => {
  it('a message that can never succeed is dead-lettered on its first delivery with the code as reason', async () => {
    const event = versionCreated('ranker', '7');
    // The promotion subscription gets it (same subject), but its data is not a model-version-created payload.
    await sb.createSender(TOPIC).sendMessages({ ...toServiceBusMessage(event), body: { model: 'not an object' } });
    const dead = await until(
      'the invalid message in the dead-letter queue',
      async () => (await deadLetters('promotion')).find((m) => m.messageId === event.id),
      60_000,
      () => host.logs(),
    );
    expect(dead.deadLetterReason).toBe('ROUTER_MESSAGE_INVALID');
    expect(dead.deadLetterErrorDescription).toMatch(/^ROUTER_MESSAGE_INVALID: .*data/);
    // Never abandoned: an abandon counts a delivery (the SDK reports earlier deliveries: 0 on the first).
    expect(dead.deliveryCount).toBe(0);
    expect((await status(host, instanceIdFor('promotion', 'ranker', '7'))).runtimeStatus).toBe('NotFound');
  }, 90_000);

  it('a transient failure (Tables unreachable) is delivered again, and the workflow starts once it passes', async () => {
    env.mlflow.seedVersion('ranker', {
      version: '8',
      userId: 'dave@contoso.com',
      runId: env.mlflow.seedRun({}).run_id,
    });
    const event = versionCreated('ranker', '8');
    const instanceId = instanceIdFor('promotion', 'ranker', '8');
    relay.cut();
    const failuresBefore = (host.logs().match(/route-promotion[^\n]*Failed|Failed[^\n]*route-promotion/g) ?? []).length;
    await sb.createSender(TOPIC).sendMessages(toServiceBusMessage(event));
    // Two failed deliveries of this message: Service Bus redelivered it after the first.
    await until(
      'two failed deliveries',
      async () =>
        (host.logs().match(/route-promotion[^\n]*Failed|Failed[^\n]*route-promotion/g) ?? []).length >=
        failuresBefore + 2
          ? true
          : undefined,
      90_000,
      () => host.logs(),
    );
    expect((await status(host, instanceId)).runtimeStatus).toBe('NotFound');
    relay.restore();
    await until(
      'the promotion to start after Tables came back',
      async () => ((await status(host, instanceId)).runtimeStatus !== 'NotFound' ? true : undefined),
      90_000,
      () => host.logs(),
    );
    expect((await deadLetters('promotion')).some((m) => m.messageId === event.id)).toBe(false);
  }, 200_000);
});
