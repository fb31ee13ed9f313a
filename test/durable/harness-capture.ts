/**
 * Captures `df.app.orchestration` registrations (name → generator) instead of registering with a Functions host.
 * Imported by harness.ts BEFORE the orchestrator modules, so their top-level registrations land here.
 */
import * as df from 'durable-functions';

export const registered = new Map<string, df.OrchestrationHandler>();

const app = df.app as unknown as {
  orchestration: (name: string, opts: df.OrchestrationHandler | { handler: df.OrchestrationHandler }) => void;
};
app.orchestration = (name, opts) => {
  registered.set(name, typeof opts === 'function' ? opts : opts.handler);
};
