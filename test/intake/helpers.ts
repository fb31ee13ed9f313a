/**
 * Test helpers for intake: a config with every source configured, and signers that produce each source's real
 * headers for a body (as MLflow, Databricks, GitHub, Azure DevOps, Azure Monitor and Databricks jobs send them).
 */
import { createHmac } from 'node:crypto';
import { loadConfig, type StagecraftConfig } from '../../shared/config';

export const SECRETS = {
  mlflow: ['mlflow-secret-current', 'mlflow-secret-previous'],
  databricks: 'dbx-registry-secret',
  github: 'gh-webhook-secret',
  adoUser: 'stagecraft',
  adoPassword: 'ado-basic-password',
  adoHeader: 'ado-header-secret',
  azureMonitor: 'azmon-key-123',
  drift: 'drift-key-456',
  jobsUser: 'dbx-jobs',
  jobsPassword: 'dbx-jobs-password',
};

export const BASE_ENV: Record<string, string> = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ServiceBusConnection:
    'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;',
  MLFLOW_WEBHOOK_SECRETS: SECRETS.mlflow.join(','),
  DATABRICKS_WEBHOOK_SECRETS: SECRETS.databricks,
  GITHUB_WEBHOOK_SECRETS: SECRETS.github,
  AZDO_WEBHOOK_USERNAME: SECRETS.adoUser,
  AZDO_WEBHOOK_PASSWORDS: SECRETS.adoPassword,
  AZDO_WEBHOOK_HEADER_SECRETS: SECRETS.adoHeader,
  AZURE_MONITOR_WEBHOOK_KEYS: SECRETS.azureMonitor,
  DRIFT_WEBHOOK_KEYS: SECRETS.drift,
  DATABRICKS_JOBS_WEBHOOK_USERNAME: SECRETS.jobsUser,
  DATABRICKS_JOBS_WEBHOOK_PASSWORDS: SECRETS.jobsPassword,
  GIT_MAIN_BRANCHES: 'main',
  GIT_RELEASE_BRANCH_PATTERNS: 'release/*',
  INTAKE_MAX_BODY_BYTES: '65536',
};

export function testConfig(overrides: Record<string, string | undefined> = {}): StagecraftConfig {
  return loadConfig({ ...BASE_ENV, ...overrides });
}

/** Fixed clock: 2026-05-14T09:21:10Z. */
export const NOW_MS = Date.parse('2026-05-14T09:21:10Z');
export const NOW_S = Math.floor(NOW_MS / 1000);

/** Python json.dumps default separators, as MLflow serializes its payloads. */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/([^\\])":/g, '$1": ')
    .replace(/,(?=["{[\dtfn-])/g, ', ');
}

export function mlflowHeaders(
  body: string,
  opts: { secret?: string; deliveryId?: string; timestamp?: number } = {},
): Record<string, string> {
  const id = opts.deliveryId ?? '8a1f3c52-4a0e-4b9e-9a51-6f0d2f1e7c11';
  const ts = String(opts.timestamp ?? NOW_S);
  const sig = createHmac('sha256', opts.secret ?? SECRETS.mlflow[0]!)
    .update(`${id}.${ts}.${body}`)
    .digest('base64');
  return {
    'Content-Type': 'application/json',
    'X-MLflow-Delivery-Id': id,
    'X-MLflow-Timestamp': ts,
    'X-MLflow-Signature': `v1,${sig}`,
  };
}

export function databricksHeaders(body: string, secret = SECRETS.databricks): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'X-Databricks-Signature': createHmac('sha256', secret).update(body).digest('hex'),
  };
}

export function githubHeaders(
  body: string,
  event: string,
  opts: { secret?: string; delivery?: string } = {},
): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/abc123',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': opts.delivery ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'X-GitHub-Hook-ID': '292430182',
    'X-Hub-Signature-256': `sha256=${createHmac('sha256', opts.secret ?? SECRETS.github)
      .update(body)
      .digest('hex')}`,
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function adoHeaders(opts: { password?: string; header?: string } = {}): Record<string, string> {
  if (opts.header !== undefined)
    return { 'Content-Type': 'application/json; charset=utf-8', 'X-Stagecraft-Token': opts.header };
  return {
    'Content-Type': 'application/json; charset=utf-8',
    Authorization: basic(SECRETS.adoUser, opts.password ?? SECRETS.adoPassword),
  };
}

export function jobsHeaders(password = SECRETS.jobsPassword): Record<string, string> {
  return { 'Content-Type': 'application/json', Authorization: basic(SECRETS.jobsUser, password) };
}

const INTAKE_TABLE_START = '<!-- intake routes: generated from shared/intake/sources (intakeRouteRows) -->';
const INTAKE_TABLE_END = '<!-- end of intake routes -->';

/**
 * docs/SECURITY.md with its intake route table replaced by `rows` (`intakeRouteRows(list)`): each source declares
 * its route, auth kind and "how it is checked" line, so the doc is generated from the list and cannot drift.
 */
export function withIntakeTable(markdown: string, rows: readonly string[]): string {
  const start = markdown.indexOf(INTAKE_TABLE_START);
  const end = markdown.indexOf(INTAKE_TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`docs/SECURITY.md has no generated intake table (${INTAKE_TABLE_START} ... ${INTAKE_TABLE_END})`);
  const table = [
    '| methods | route | auth | who may call it, and how it is checked |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
  return `${markdown.slice(0, start + INTAKE_TABLE_START.length)}\n${table}\n${markdown.slice(end)}`;
}
