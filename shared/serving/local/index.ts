/**
 * Registers the local serving runner with shared/serving/backend.ts (one runner per process, built on first use).
 * Settings: STAGECRAFT_LOCAL_SERVING_COMMAND (JSON argv with {entity} {version} {port}), STAGECRAFT_LOCAL_SERVING_PORTS
 * (`endpoint=port,...`, the stable proxy ports), STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT (seconds, default 180).
 * Secret references in environment_vars are not resolved locally (the local model server gets the host's env).
 */
import { registerLocalServing } from '../backend';
import { LocalServingRunner } from './runner';
import { localServingOptions } from './settings';

let runner: LocalServingRunner | undefined;
registerLocalServing((env) => {
  if (!runner) {
    const r = new LocalServingRunner({ ...localServingOptions(env), log: (m) => console.info(m) });
    runner = r;
    // Model servers are children of this process: stop them with it.
    process.once('exit', () => r.killAll());
  }
  return runner;
});

export { LocalServingRunner } from './runner';
export { DEFAULT_LOCAL_SERVING_COMMAND, localServingOptions } from './settings';
