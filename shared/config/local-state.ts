import { join } from 'node:path';
import type { Env } from './env';

/**
 * Base directory of the embedded mode's local state (local job runner, job definitions): the local host's state
 * dir, which it publishes as STAGECRAFT_HOST_STATE_DIR, else `<cwd>/.stagecraft`. Two hosts started from one
 * checkout with different `--state` dirs therefore never share job runs.
 */
export function localStateDir(env: Env = process.env, cwd = process.cwd()): string {
  return env['STAGECRAFT_HOST_STATE_DIR']?.trim() || join(cwd, '.stagecraft');
}
