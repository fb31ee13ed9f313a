/**
 * A real headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) driving the console, with
 * axe-core accessibility checks and screenshots under docs/screenshots/. Missing chromium fails loudly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from '../helpers/host';

export const CHROMIUM = process.env['STAGECRAFT_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The console browser tests need Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set STAGECRAFT_CHROMIUM).`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Content-Security-Policy violations and page errors seen so far. */
  problems: string[];
}

/** A fresh context (no cookies, empty sessionStorage), signed in by pasting `key` into the console's form. */
export async function openConsole(
  browser: Browser,
  baseUrl: string,
  key: string | undefined,
  hash = '#/runs',
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${baseUrl}/api/console/${hash}`);
  if (key !== undefined) {
    await page.getByLabel('Identity key').fill(key);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.getByText('Signed in as').waitFor();
  }
  return { page, context, problems };
}

const axeSource = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core in the page (injected through the debugging protocol, which the page's CSP does not govern). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const w = globalThis as unknown as {
      document: unknown;
      axe: {
        run: (
          ctx: unknown,
          o: unknown,
        ) => Promise<{
          violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }>;
        }>;
      };
    };
    const r = await w.axe.run(w.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => JSON.stringify(n.target))
          .join(', ')}`,
    );
  });
  expect(violations, `axe-core violations on ${what}`).toEqual([]);
}

/**
 * Every browser test saves its screenshot: under `test-results/screenshots/` (ignored by git), or, with
 * `STAGECRAFT_UPDATE_SCREENSHOTS=1`, over the README's pictures in `docs/screenshots/` — so a plain test run never
 * rewrites tracked files.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir =
    process.env['STAGECRAFT_UPDATE_SCREENSHOTS'] === '1'
      ? join(REPO_ROOT, 'docs', 'screenshots')
      : join(REPO_ROOT, 'test-results', 'screenshots');
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}
