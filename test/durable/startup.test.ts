/**
 * Start-up validation of durable apps: entity functions (not supported by the local engine yet) stop start-up with
 * a message naming the function instead of failing later at run time.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { expect, it } from 'vitest';
import { startHostProcess } from '../helpers/host';
import { FIXTURES } from './helpers';
import { join } from 'node:path';

it('refuses to start an app with a df.app.entity function, naming the function and what to do', async () => {
  let failure = '';
  try {
    const h = await startHostProcess({ appDir: join(FIXTURES, 'entity-app'), readyTimeoutMs: 30_000 });
    await h.stop();
  } catch (e) {
    failure = (e as Error).message;
  }
  expect(failure).toContain('Host exited');
  expect(failure).toContain('Function "Counter"');
  expect(failure).toContain('durable entities');
});
