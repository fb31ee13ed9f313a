/**
 * The operator console in a real browser against the real local host (Azurite, the MLflow fake, a promotion
 * policy): an approver reads the champion comparison and approves; a non-approver sees the request read-only and a
 * decision forged from the console's own origin is refused; a finished promotion's detail shows its timeline and
 * links; an operator terminates a waiting run. Every page is checked with axe-core and photographed for the docs.
 * Requires a build (`npm run build`) and Debian's chromium (`apt-get install -y chromium`).
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProcess } from '../helpers/host';
import {
  api,
  decide,
  finished,
  KEYS,
  pendingApproval,
  startEnv,
  startHost,
  startPromotion,
  status,
  stopEnv,
  until,
  type Env,
} from '../promotion/harness';
import { expectAccessible, launchBrowser, openConsole, screenshot } from './browser';

const champion = { type: 'champion', rules: [{ metric: 'roc_auc', direction: 'higher', maxRegression: 0.01 }] };
function policy(hook: string, dir: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: {
        required: true,
        approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] },
        minApprovals: 1,
        excludeAuthor: true,
        deadline: '10m',
      },
    },
    models: {
      fraud: {
        validations: {
          quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] },
          'vs-champion': champion,
        },
      },
      churn: { validations: { quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] } } },
      scoring: {
        validations: { quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] } },
      },
      ranking: {
        retraining: {
          trainingJob: { runner: 'local', command: process.execPath, args: [join(dir, 'ok.js')], timeout: '2m' },
          cooldown: '1h',
        },
      },
    },
  };
}

const FUNCTION_KEY = 'console-test-function-key-0123456789';
let env: Env;
let host: HostProcess;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  env = await startEnv(policy);
  env.hostEnv['STAGECRAFT_USER_ROLES'] = 'operator=carol@contoso.com';
  env.hostEnv['STAGECRAFT_FUNCTION_KEY'] = FUNCTION_KEY;
  host = await startHost(env);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await stopEnv(env);
});

function seed(model: string, version: string, metrics: Record<string, number>, aliases: string[] = []) {
  const run = env.mlflow.seedRun({ metrics });
  env.mlflow.seedVersion(model, {
    version,
    runId: run.run_id,
    userId: 'dave@contoso.com',
    ...(aliases.length ? { aliases } : {}),
  });
}
const aliases = (model: string) => Object.fromEntries(env.mlflow.state.models.get(model)!.aliases);

describe('operator console (browser)', () => {
  it('serves only the built files: index no-store with a strict CSP, hashed assets immutable, nothing else', async () => {
    const index = await fetch(`${host.baseUrl}/api/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-store');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await index.text();
    expect(html).not.toMatch(/<script>|<style>|\son\w+=|https?:\/\//);
    const asset = /src="(assets\/app-[0-9a-f]{16}\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${host.baseUrl}/api/console/${asset!}`);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    for (const p of [
      'manifest.json',
      'assets/nope.js',
      '..%2F..%2Fpackage.json',
      'assets/..%2F..%2Flocal.settings.json',
    ]) {
      expect((await fetch(`${host.baseUrl}/api/console/${p}`)).status, p).toBe(404);
    }
    // Data needs an identity.
    expect((await fetch(`${host.baseUrl}/api/console/api/runs`)).status).toBe(401);
  });

  let promotionId = '';
  let approvalId = '';

  it('a non-approver sees the request read-only, without buttons, and a decision forged from the console origin is refused', async () => {
    seed('fraud', '1', { accuracy: 0.92, roc_auc: 0.9 }, ['champion']);
    seed('fraud', '2', { accuracy: 0.94, roc_auc: 0.93 });
    promotionId = await startPromotion(host, 'fraud', '2');
    approvalId = String((await pendingApproval(host, 'fraud'))['id']);
    const { page, context, problems } = await openConsole(
      browser,
      host.baseUrl,
      KEYS['carol@contoso.com'],
      '#/approvals',
    );
    try {
      const card = page.getByRole('article', { name: /fraud v2/ });
      await card.waitFor();
      await expect.poll(() => card.getByText('Read-only:').textContent()).toContain('not an approver');
      expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      expect(await card.getByRole('button', { name: 'Reject' }).count()).toBe(0);
      // The same call the buttons would make, forged by hand from the page's origin with carol's own key.
      const forged = await page.evaluate(
        async ([id, key]) => {
          const r = await fetch(`/api/approvals/${id}/decision`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-stagecraft-key': key! },
            body: JSON.stringify({ decision: 'approve' }),
          });
          return { status: r.status, body: (await r.json()) as { error?: { code?: string } } };
        },
        [approvalId, KEYS['carol@contoso.com']],
      );
      expect(forged.status).toBe(403);
      expect(forged.body.error?.code).toBe('NOT_AN_APPROVER');
      // From another origin (a page elsewhere making the browser post here): refused before any decision rule.
      const cross = await fetch(`${host.baseUrl}/api/approvals/${approvalId}/decision`, {
        method: 'POST',
        headers: {
          origin: 'http://evil.example',
          'content-type': 'application/json',
          'x-stagecraft-key': KEYS['bob@contoso.com'],
        },
        body: '{"decision":"approve"}',
      });
      expect(cross.status).toBe(403);
      expect(((await cross.json()) as { error: { code: string } }).error.code).toBe('AUTH_CROSS_ORIGIN');
      const crossSite = await fetch(`${host.baseUrl}/api/approvals/${approvalId}/decision`, {
        method: 'POST',
        headers: {
          'sec-fetch-site': 'cross-site',
          'content-type': 'application/json',
          'x-stagecraft-key': KEYS['bob@contoso.com'],
        },
        body: '{"decision":"approve"}',
      });
      expect(crossSite.status).toBe(403);
      expect(
        (await api(host, 'GET', `/api/approvals/${approvalId}`, 'alice@contoso.com')).json['approval'],
      ).toMatchObject({ status: 'pending', votes: [] });
      await expectAccessible(page, 'approvals (read-only)');
      await screenshot(page, 'approvals-readonly');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('an approver reads the champion comparison, approves with a comment, and sees the run move on and champion move', async () => {
    const { page, context, problems } = await openConsole(
      browser,
      host.baseUrl,
      KEYS['bob@contoso.com'],
      '#/approvals',
    );
    try {
      const card = page.getByRole('article', { name: /fraud v2/ });
      const table = card.getByRole('table', { name: /Champion comparison/ });
      await table.waitFor();
      const row = table.getByRole('row', { name: /roc_auc/ });
      expect(await row.textContent()).toMatch(/0\.93.*0\.9.*\+0\.03/);
      expect(await card.getByText('dave@contoso.com').count()).toBeGreaterThan(0);
      expect(await card.getByText(/left\)/).count()).toBe(1);
      await expectAccessible(page, 'approvals inbox');
      await screenshot(page, 'approvals');
      await card.getByLabel('Comment').fill('metrics look good');
      await card.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/fraud v2: .*\(request approved\)/);
      await page.goto(`${host.baseUrl}/api/console/#/runs/${encodeURIComponent(promotionId)}`);
      await page.getByRole('heading', { name: /Run/ }).waitFor();
      await expect
        .poll(() => page.locator('.facts .status').first().textContent(), { timeout: 60_000 })
        .toBe('Completed');
      expect(aliases('fraud')).toMatchObject({ champion: '2' });
      await page.goto(`${host.baseUrl}/api/console/#/models/fraud`);
      await expect.poll(() => page.getByText(/Aliases:/).textContent(), { timeout: 30_000 }).toContain('champion → v2');
      await page
        .getByText(/v1 → v2/)
        .first()
        .waitFor();
      await expectAccessible(page, 'model detail');
      await screenshot(page, 'model');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('the detail of a finished promotion shows its timeline with durations and its links', async () => {
    await finished(host, promotionId);
    const { page, context, problems } = await openConsole(
      browser,
      host.baseUrl,
      KEYS['alice@contoso.com'],
      `#/runs/${encodeURIComponent(promotionId)}`,
    );
    try {
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      const items = page.locator('ol.timeline li');
      expect(await items.count()).toBeGreaterThan(3);
      expect(await page.locator('ol.timeline').textContent()).toMatch(/started modelPromotion/);
      expect(await page.locator('ol.timeline').textContent()).toMatch(/ended Completed/);
      await page.getByRole('link', { name: 'model fraud' }).waitFor();
      // Approvers without the operator role get no action buttons.
      expect(await page.getByRole('group', { name: 'Operator actions' }).count()).toBe(0);
      await expectAccessible(page, 'run detail');
      await screenshot(page, 'run-detail');
      await page.getByRole('link', { name: 'model fraud' }).click();
      await page.getByRole('heading', { name: 'Model fraud' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('an operator rolls the champion back from the model view (through the rollback API) and sees the alias move', async () => {
    // A rollback moves the champion directly only to a version that was champion through an approved promotion
    // (issue #12): v1 and then v2 of `scoring` are each promoted with an approval, so v1 qualifies.
    for (const version of ['1', '2']) {
      seed('scoring', version, { accuracy: 0.95 });
      const id = await startPromotion(host, 'scoring', version);
      const approval = await pendingApproval(host, 'scoring');
      expect(
        (await decide(host, String(approval['id']), 'bob@contoso.com', 'approve', `scoring v${version}`)).status,
      ).toBe(200);
      await finished(host, id);
    }
    expect(aliases('scoring')).toMatchObject({ champion: '2' });
    const { page, context, problems } = await openConsole(
      browser,
      host.baseUrl,
      KEYS['carol@contoso.com'],
      '#/models/scoring',
    );
    try {
      await expect.poll(() => page.getByText(/Aliases:/).textContent(), { timeout: 30_000 }).toContain('champion → v2');
      await page.getByRole('button', { name: 'Roll back…' }).click();
      await page
        .getByRole('dialog')
        .getByLabel(/Reason/)
        .fill('v2 misbehaves in production');
      await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
      await page
        .getByRole('status')
        .getByRole('link', { name: /^rollback:scoring:/ })
        .waitFor();
      await expect.poll(() => page.getByText(/Aliases:/).textContent(), { timeout: 60_000 }).toContain('champion → v1');
      expect(aliases('scoring')).toMatchObject({ champion: '1' });
      await page.getByText(/champion: v2 → v1/).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it('an operator finds a waiting run in the runs view, suspends, resumes and terminates it with a reason, sees it Terminated, restarts it, and the action is audited', async () => {
    seed('churn', '1', { accuracy: 0.95 });
    const id = await startPromotion(host, 'churn', '1');
    await pendingApproval(host, 'churn');
    const { page, context, problems } = await openConsole(
      browser,
      host.baseUrl,
      KEYS['carol@contoso.com'],
      '#/runs?model=churn',
    );
    try {
      const link = page.getByRole('link', { name: id, exact: true });
      await link.waitFor({ timeout: 15_000 }).catch(async (e: unknown) => {
        throw new Error(`${String(e)}\npage:\n${await page.locator('body').innerText()}`);
      });
      await expectAccessible(page, 'runs');
      await page.goto(`${host.baseUrl}/api/console/#/runs`);
      await page.getByRole('link', { name: id, exact: true }).waitFor();
      await screenshot(page, 'runs');
      await page.getByRole('link', { name: id, exact: true }).click();
      const runStatus = () => page.locator('.facts .status').first().textContent();
      const act = async (button: string, confirm: string) => {
        await page.getByRole('button', { name: button, exact: true }).click();
        await page
          .getByRole('dialog')
          .getByLabel(/Reason/)
          .fill(`${button} from the console test`);
        await page.getByRole('dialog').getByRole('button', { name: confirm }).click();
      };
      await act('Suspend', 'Suspend run');
      await expect.poll(runStatus, { timeout: 30_000 }).toBe('Suspended');
      await act('Resume', 'Resume run');
      await expect.poll(runStatus, { timeout: 30_000 }).toBe('Running');
      await page.getByRole('button', { name: 'Terminate' }).click();
      const dialog = page.getByRole('dialog');
      // Keyboard only: the modal dialog takes focus on its reason field, Enter confirms.
      await expect
        .poll(() =>
          page.evaluate(
            () =>
              (globalThis as unknown as { document: { activeElement: { id?: string } | null } }).document.activeElement
                ?.id,
          ),
        )
        .toBe('confirm-reason');
      await expectAccessible(page, 'terminate confirmation');
      await page.keyboard.type('wrong data snapshot');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden' });
      await expect
        .poll(() => page.locator('.facts .status').first().textContent(), { timeout: 30_000 })
        .toBe('Terminated');
      expect((await status(host, id)).runtimeStatus).toBe('Terminated');
      await screenshot(page, 'run-terminated');
      await act('Restart', 'Restart run');
      const restarted = page.getByRole('status').getByRole('link', { name: 'open the new run' });
      await restarted.waitFor();
      const newId = decodeURIComponent((await restarted.getAttribute('href'))!.replace('#/runs/', ''));
      expect(newId).toMatch(/^promotion:churn:1-restart-/);
      await until('the restarted run', async () => (await status(host, newId)).runtimeStatus !== 'NotFound');
      const audit = await until('the audit entry', async () => {
        const r = await api(host, 'GET', '/api/audit?action=console.run.*', 'carol@contoso.com');
        const entries = (r.json['entries'] ?? r.json['records'] ?? []) as Array<Record<string, unknown>>;
        return entries.find((e) => e['target'] === id && e['action'] === 'console.run.terminate');
      });
      expect(audit).toMatchObject({
        action: 'console.run.terminate',
        actor: 'carol@contoso.com',
        outcome: 'accepted',
        details: { reason: 'wrong data snapshot' },
      });
      // The same action by an approver without the operator role is refused (and audited as refused).
      const refused = await api(
        host,
        'POST',
        `/api/console/api/runs/${encodeURIComponent(id)}/actions`,
        'bob@contoso.com',
        { action: 'purge', reason: 'x' },
      );
      expect(refused.status).toBe(403);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("the retraining view shows the coordinator's decisions with reasons, the cooldown and the run", async () => {
    const retrain = (reason: string) =>
      fetch(`${host.baseUrl}/api/models/ranking/retrain`, {
        method: 'POST',
        headers: {
          'x-functions-key': FUNCTION_KEY,
          'x-stagecraft-key': KEYS['alice@contoso.com'],
          'content-type': 'application/json',
        },
        body: JSON.stringify({ reason }),
      });
    expect((await retrain('fresh labels')).status).toBeLessThan(300);
    const { page, context, problems } = await openConsole(
      browser,
      host.baseUrl,
      KEYS['alice@contoso.com'],
      '#/retraining',
    );
    try {
      const card = page.getByRole('article', { name: /ranking/ });
      await card.waitFor({ timeout: 30_000 });
      await expect
        .poll(
          () =>
            card
              .getByRole('table', { name: /Recent triggers and decisions/ })
              .locator('tbody tr')
              .count(),
          { timeout: 30_000 },
        )
        .toBeGreaterThan(0);
      await expect
        .poll(async () => (await card.textContent()) ?? '', { timeout: 30_000 })
        .toMatch(/Cooldown until\s*\d{4}-/);
      // Once the run has finished (the view follows it live), ask again inside the cooldown.
      await expect
        .poll(
          async () => (await card.getByRole('table', { name: /Recent triggers and decisions/ }).textContent()) ?? '',
          { timeout: 60_000 },
        )
        .toMatch(/run-finishednote/);
      expect((await retrain('again, too soon')).status).toBeLessThan(300);
      // A manual request inside the cooldown still starts, and says so.
      await expect
        .poll(
          async () => (await card.getByRole('table', { name: /Recent triggers and decisions/ }).textContent()) ?? '',
          { timeout: 30_000 },
        )
        .toMatch(/manualstartmanual request during cooldown until \d{4}-/);
      await expectAccessible(page, 'retraining');
      await screenshot(page, 'retraining');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
