/** Local MLflow tooling for the demo and the e2e tests: venv, server, webhooks, example scripts. */
export { DEFAULT_VENV_DIR, EXAMPLE_DIR, EXAMPLE_REQUIREMENTS, REPO_ROOT, venvPython } from './paths';
export { ensureVenv, findPython, type EnsureVenvOptions, type EnsuredVenv } from './venv';
export {
  fernetKey,
  fernetKeyFrom,
  freePort,
  startMlflowServer,
  type MlflowServer,
  type StartMlflowOptions,
} from './server';
export {
  deleteWebhook,
  fromWireEvent,
  listWebhooks,
  registerWebhook,
  registry,
  STAGECRAFT_EVENTS,
  testWebhook,
  toWireEvent,
  WEBHOOK_EVENTS,
  type RegisterWebhookOptions,
  type Webhook,
  type WebhookEventName,
} from './webhooks';
export { lastJsonLine, runPython, warmPython, type PythonRun, type RunPythonOptions, type WarmPython } from './python';
export { runToCompletion, type RunOptions, type RunResult } from './run';
export { liveGroupCount, spawnTracked, stopGroup } from './processes';
export {
  eventName,
  mlflowSignature,
  signatureMatches,
  startCaptureServer,
  type CaptureServer,
  type Delivery,
} from './capture';
