/**
 * The local serving runner's swap with a tiny fake model server (node http, no Python): requests sent without pause
 * through the stable proxy port while the endpoint moves v1 → v2 → v1 all succeed, and the answers switch version.
 * A model server that never becomes healthy fails the update and the old version keeps serving.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServingRunner, type LocalServingOptions } from '../../shared/serving/local/runner';
import { fullConfig } from '../../shared/serving/config';
import { Deploy } from '../../shared/policy/schema-model';
import type { ServingDeploy } from '../../shared/serving/types';
import { freePort } from '../helpers/host';

const dir = mkdtempSync(join(tmpdir(), 'stagecraft-local-serving-'));
const server = join(dir, 'model-server.js');
// Answers /ping after a start-up delay (like mlflow models serve loading a model); version "bad" never becomes healthy.
writeFileSync(
  server,
  `
const http = require('node:http');
const [port, version] = process.argv.slice(2);
const readyAt = Date.now() + 300;
http.createServer((req, res) => {
  if (req.url === '/ping') { if (version === 'bad' || Date.now() < readyAt) { res.writeHead(503); res.end(); } else { res.writeHead(200); res.end('\\n'); } return; }
  let body = ''; req.on('data', (c) => body += c); req.on('end', () => setTimeout(() => { res.writeHead(200, {'content-type': 'application/json'}); res.end(JSON.stringify({ predictions: [version] })); }, 5));
}).listen(Number(port), '127.0.0.1');
`,
);

const deploy = Deploy.parse({ action: 'serving-endpoint', endpoint: 'local-ep', runner: 'local' }) as ServingDeploy;
let runner: LocalServingRunner;
let options: LocalServingOptions;
let port: number;

beforeAll(async () => {
  port = await freePort();
  options = {
    command: [process.execPath, server, '{port}', '{version}'],
    ports: { 'local-ep': port },
    // Generous: a model server spawned while the machine runs the whole suite can take seconds to answer /ping.
    healthTimeoutMs: 20_000,
  };
  runner = new LocalServingRunner(options);
});
afterAll(async () => {
  await runner?.stopAll();
});

async function settled(): Promise<string | undefined> {
  for (;;) {
    const ep = await runner.get('local-ep');
    if (ep?.state?.config_update !== 'IN_PROGRESS') return ep?.state?.config_update;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends requests back to back until stop(); counts versions answered and failures. */
function load() {
  let stop = false;
  const seen: string[] = [];
  let failures = 0;
  let sent = 0;
  const done = (async () => {
    while (!stop) {
      sent++;
      try {
        const r = await fetch(`http://127.0.0.1:${port}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"inputs":[[1,2]]}',
        });
        if (r.status !== 200) failures++;
        else seen.push(((await r.json()) as { predictions: string[] }).predictions[0]!);
      } catch {
        failures++;
      }
    }
  })();
  return {
    stop: async () => {
      stop = true;
      await done;
      return { seen, failures, sent };
    },
  };
}

describe('local serving runner', () => {
  it('serves v1 on the stable port, swaps to v2 and back with no failed request', async () => {
    await runner.create('local-ep', fullConfig(deploy, 'fraud', '1'));
    expect(await settled()).toBe('NOT_UPDATING');
    expect((await runner.get('local-ep'))?.['endpoint_url']).toBe(`http://127.0.0.1:${port}/invocations`);

    const l = load();
    await runner.updateConfig('local-ep', fullConfig(deploy, 'fraud', '2'));
    expect(await settled()).toBe('NOT_UPDATING');
    await new Promise((r) => setTimeout(r, 100));
    await runner.updateConfig('local-ep', fullConfig(deploy, 'fraud', '1'));
    expect(await settled()).toBe('NOT_UPDATING');
    await new Promise((r) => setTimeout(r, 100));
    const { seen, failures, sent } = await l.stop();
    expect(failures).toBe(0);
    expect(sent).toBeGreaterThan(5);
    expect(seen).toContain('2');
    expect(seen.at(-1)).toBe('1');
    expect(seen.indexOf('2')).toBeGreaterThan(0);
  }, 60_000);

  it('a model server that never becomes healthy fails the update; the old version keeps serving', async () => {
    // The runner reads its options per update: a short wait here, since this server never answers /ping.
    options.healthTimeoutMs = 1_500;
    await runner.updateConfig('local-ep', fullConfig(deploy, 'fraud', 'bad'));
    expect(await settled()).toBe('UPDATE_FAILED');
    const r = await fetch(`http://127.0.0.1:${port}/invocations`, { method: 'POST', body: '{}' });
    expect(((await r.json()) as { predictions: string[] }).predictions).toEqual(['1']);
    expect((await runner.get('local-ep'))?.config?.served_entities?.[0]?.entity_version).toBe('1');
  }, 60_000);
});
