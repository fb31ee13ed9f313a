/**
 * Events view in a real browser: a promotion event dead-lettered on the `promotion` subscription (the broker's own
 * dead-letter queue; dead-lettered by a receiver before the app ran, as a handler giving up would) is shown with its
 * reason and resubmitted by an operator; the promotion workflow then runs and the resubmission is audited.
 * The broker runs standalone (devhost/servicebus) so the message can be dead-lettered before the host consumes it.
 * Requires a build (`npm run build`) and Debian's chromium (`apt-get install -y chromium`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type BrokerProcess } from '../../devhost/servicebus/child';
import { toServiceBusMessage } from '../../shared/events/message';
import { freePort, REPO_ROOT, type HostProcess } from '../helpers/host';
import {
  api,
  finished,
  KEYS,
  startEnv,
  startHost,
  stopEnv,
  until,
  versionCreated,
  type Env,
} from '../promotion/harness';
import { expectAccessible, launchBrowser, openConsole, screenshot } from './browser';

let env: Env;
let host: HostProcess;
let broker: BrokerProcess;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  env = await startEnv((hook) => ({
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: { required: false, approvers: { users: ['alice@contoso.com'] }, minApprovals: 1 },
    },
    models: { ranker: {} },
  }));
  broker = await spawnBroker({
    dbPath: join(mkdtempSync(join(tmpdir(), 'stagecraft-sb-')), 'sb.sqlite'),
    configPath: join(REPO_ROOT, 'infra', 'servicebus', 'Config.json'),
    port: await freePort(),
  });
  Object.assign(env.hostEnv, {
    ServiceBusConnection: broker.connectionString,
    STAGECRAFT_SERVICEBUS_EMBEDDED: 'false',
    STAGECRAFT_USER_ROLES: 'operator=carol@contoso.com',
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await broker?.stop();
  await stopEnv(env);
});

describe('events view (browser)', () => {
  it('an operator resubmits a dead letter from the Events view and its workflow runs', async () => {
    env.mlflow.seedVersion('ranker', {
      version: '1',
      userId: 'dave@contoso.com',
      runId: env.mlflow.seedRun({}).run_id,
    });
    const event = versionCreated('ranker', '1');
    const sb = new ServiceBusClient(broker.connectionString);
    try {
      await sb.createSender('stagecraft-events').sendMessages(toServiceBusMessage(event));
      const receiver = sb.createReceiver('stagecraft-events', 'promotion');
      const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
      expect(m?.messageId).toBe(event.id);
      await receiver.deadLetterMessage(m!, {
        deadLetterReason: 'RegistryUnavailable',
        deadLetterErrorDescription: 'MLflow answered 503 on every attempt',
      });
      await receiver.close();
    } finally {
      await sb.close();
    }
    host = await startHost(env);
    // A webhook with a wrong signature: refused, and its receipt says why.
    const forged = await fetch(`${host.baseUrl}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'console-d1',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: '{}',
    });
    expect(forged.status).toBe(401);
    const { page, context, problems } = await openConsole(browser, host.baseUrl, KEYS['carol@contoso.com'], '#/events');
    try {
      const row = page.getByRole('row', { name: /RegistryUnavailable/ });
      await row.waitFor();
      expect(await row.textContent()).toContain('MLflow answered 503');
      expect(await row.textContent()).toContain('promotion');
      const receipt = page.getByRole('row', { name: /github.*rejected/ });
      await receipt.waitFor();
      expect(await receipt.textContent()).toMatch(/401.*INTAKE_SIGNATURE/);
      await expectAccessible(page, 'events');
      await screenshot(page, 'events');
      await row.getByRole('button', { name: 'Resubmit' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Resubmit' }).click();
      await expect
        .poll(() => page.getByRole('status').textContent(), { timeout: 30_000 })
        .toMatch(/sent to stagecraft-events again/);
      await expect
        .poll(() => page.getByRole('row', { name: /RegistryUnavailable/ }).count(), { timeout: 30_000 })
        .toBe(0);
      const done = await finished(host, 'promotion:ranker:1');
      expect(done.runtimeStatus).toBe('Completed');
      expect(env.mlflow.state.models.get('ranker')!.aliases.get('champion')).toBe('1');
      const audit = await until('the audit entry', async () => {
        const r = await api(host, 'GET', '/api/audit?action=console.deadletter.*', 'carol@contoso.com');
        return ((r.json['entries'] ?? []) as Array<Record<string, unknown>>).find(
          (e) => e['action'] === 'console.deadletter.resubmit',
        );
      });
      expect(audit).toMatchObject({
        actor: 'carol@contoso.com',
        outcome: 'accepted',
        target: 'promotion/1',
        details: { messageId: event.id },
      });
      // Approvers without the operator role see no Resubmit button and are refused by the API.
      const refused = await api(
        host,
        'POST',
        '/api/console/api/deadletters/promotion/1/resubmit',
        'alice@contoso.com',
        {},
      );
      expect(refused.status).toBe(403);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
