/**
 * Subscription rules with SQL actions and functions, through the real @azure/service-bus SDK: a matching rule's
 * action changes the copy its subscription gets (RuleName set), rules without actions yield the message once,
 * each matching rule with an action yields its own copy, and other subscriptions get the message unchanged.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { ns, startBroker, type TestBroker } from './helpers';

let b: TestBroker;
const sql = (name: string, filter: string, action?: string): unknown => ({
  Name: name,
  Properties: {
    FilterType: 'Sql',
    SqlFilter: { SqlExpression: filter },
    ...(action ? { Action: { SqlExpression: action } } : {}),
  },
});

beforeAll(async () => {
  b = await startBroker(
    ns(
      [],
      [
        {
          Name: 'models',
          Subscriptions: [
            {
              Name: 'annotated',
              Rules: [
                sql(
                  'tag-prod',
                  "stage = 'prod'",
                  "SET priority = weight * 10; SET sys.Label = 'promoted'; REMOVE secret; SET trace = newid()",
                ),
              ],
            },
            {
              Name: 'multi',
              Rules: [
                sql('plain-1', 'weight > 0'),
                sql('plain-2', "stage = 'prod'"),
                sql('copy-a', "stage = 'prod'", "SET route = 'a'"),
                sql('copy-b', 'weight > 0', "SET route = property('stage') + '-b'"),
              ],
            },
            { Name: 'untouched' },
          ],
        },
      ],
    ),
  );
});

afterAll(async () => {
  await b.stop();
});

async function drain(sub: string, n: number): Promise<ServiceBusReceivedMessage[]> {
  const r = b.client.createReceiver('models', sub, { receiveMode: 'receiveAndDelete' });
  const out: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + 1500;
  while (out.length < n && Date.now() < deadline)
    out.push(...(await r.receiveMessages(n - out.length, { maxWaitTimeInMs: 300 })));
  await r.close();
  return out;
}

it('applies SET / REMOVE actions with expressions and functions to the copy of the subscription whose rule matched', async () => {
  const sender = b.client.createSender('models');
  await sender.sendMessages([
    { body: 'p', subject: 'registered', applicationProperties: { stage: 'prod', weight: 3, secret: 's3cr3t' } },
    { body: 'd', subject: 'registered', applicationProperties: { stage: 'dev', weight: 0, secret: 'x' } },
  ]);
  await sender.close();
  const annotated = await drain('annotated', 3);
  expect(annotated.map((m) => m.body as unknown)).toEqual(['p']);
  const [p] = annotated as [ServiceBusReceivedMessage];
  expect(p.subject).toBe('promoted');
  expect(p.applicationProperties).toMatchObject({ stage: 'prod', weight: 3, priority: 30, RuleName: 'tag-prod' });
  expect(p.applicationProperties?.['secret']).toBeUndefined();
  expect(String(p.applicationProperties?.['trace'])).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);

  const untouched = await drain('untouched', 3);
  expect(untouched.map((m) => [m.body as unknown, m.subject, m.applicationProperties?.['secret']])).toEqual([
    ['p', 'registered', 's3cr3t'],
    ['d', 'registered', 'x'],
  ]);
});

it('gives one message for all matching rules without actions plus one copy per matching rule with an action', async () => {
  const sender = b.client.createSender('models');
  await sender.sendMessages({ body: 'm', applicationProperties: { stage: 'prod', weight: 1 } });
  await sender.close();
  // 'p' from the test above also reached this subscription (three times); look at 'm' only.
  const got = (await drain('multi', 6)).filter((m) => m.body === 'm');
  const routes = got.map((m) => [
    m.applicationProperties?.['RuleName'] ?? null,
    m.applicationProperties?.['route'] ?? null,
  ]);
  expect(routes.sort()).toEqual(
    [
      [null, null],
      ['copy-a', 'a'],
      ['copy-b', 'prod-b'],
    ].sort(),
  );
  expect(new Set(got.map((m) => String(m.sequenceNumber))).size).toBe(3);
});
