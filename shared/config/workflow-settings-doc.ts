/**
 * The documentation of the workflow settings (the README's workflow settings table; start-up messages take a
 * setting's description as what to set). Each belongs to a zod settings section (checked by sections.ts). No imports:
 * section.ts reads it for error messages.
 */
export interface WorkflowSettingDoc {
  name: string;
  default?: string;
  secret?: boolean;
  description: string;
}

export const WORKFLOW_SETTINGS_DOC: readonly WorkflowSettingDoc[] = [
  {
    name: 'STAGECRAFT_POLICY_PATH',
    default: 'stagecraft.policy.yaml (local only)',
    description:
      "Policy file (YAML or JSON; schema in docs/policy.schema.json). Check it with `stagecraft policy check`. **Required in Azure**: the repository's demo policy is not deployed (`.funcignore`); package your own and point this at it (relative to the app root).",
  },
  {
    name: 'MLFLOW_TRACKING_USERNAME',
    description: 'Basic-auth user for MLflow (with MLFLOW_TRACKING_PASSWORD), when no token is set.',
  },
  { name: 'MLFLOW_TRACKING_PASSWORD', secret: true, description: 'Basic-auth password for MLflow.' },
  {
    name: 'DATABRICKS_HOST',
    description:
      'Azure Databricks workspace URL for job checks, deployments and training jobs (`runner: databricks`), and for models whose policy says `registry: unity-catalog` or `databricks-workspace` (also the UC reconciler).',
  },
  {
    name: 'DATABRICKS_TOKEN',
    secret: true,
    description:
      "Databricks PAT; without it the app's managed identity gets a Microsoft Entra token for Azure Databricks (DefaultAzureCredential; a user-assigned identity also needs AZURE_CLIENT_ID). The identity must be added to the workspace.",
  },
  {
    name: 'DATABRICKS_WAREHOUSE_ID',
    description:
      'SQL warehouse for `ab-test` checks (inference table queries) and the records sink (SQL Statement Execution API).',
  },
  {
    name: 'STAGECRAFT_SINK_SCHEMA',
    description:
      'Enables the records sink: `catalog.schema` where validations, promotions, alias moves and retraining decisions are MERGEd into Delta tables (created if missing). Unset: no sink. Backlog: `GET /api/sink`.',
  },
  {
    name: 'STAGECRAFT_LOCAL_SERVING_COMMAND',
    default:
      '["mlflow","models","serve","-m","models:/{entity}/{version}","-p","{port}","-h","127.0.0.1","--env-manager","local"]',
    description:
      "Model server of the local serving runner (`deploy.runner: local`, local host only), a JSON argv; `{entity}`, `{version}`, `{port}` are filled per served version. An absolute command's folder goes first on its PATH (venvs).",
  },
  {
    name: 'STAGECRAFT_LOCAL_SERVING_PORTS',
    description:
      'Stable proxy ports of local endpoints: `<endpoint>=<port>,...` (clients call `http://127.0.0.1:<port>/invocations`); unset: any free port (shown as endpoint_url).',
  },
  {
    name: 'STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT',
    default: '180',
    description:
      'Seconds a new local model server has to answer `/ping` before the update fails and the old version keeps serving.',
  },
  {
    name: 'STAGECRAFT_JOBS_DIR',
    default: '<host state dir>/jobs',
    description:
      "State of the local job runner (`runner: local`, local host only: in Azure a local job fails with LOCAL_JOBS_NOT_IN_AZURE). Default under the local host's state dir (`--state`, published as STAGECRAFT_HOST_STATE_DIR), never the app root.",
  },
  {
    name: 'STAGECRAFT_JOBS_BASE_DIR',
    default: 'the policy file folder',
    description: 'Working directory local job commands are resolved against.',
  },
  {
    name: 'STAGECRAFT_APPROVER_KEYS',
    secret: true,
    description:
      'Local identities: `user=key,...` (keys ≥ 16 characters, sent in the `x-stagecraft-key` header; never the query).',
  },
  {
    name: 'STAGECRAFT_USER_ROLES',
    description: 'Roles of identities: `operator=user|user2,admin=user3` (admin implies operator).',
  },
  { name: 'STAGECRAFT_APPROVER_GROUPS', description: 'Policy group membership by identity: `group=user|user2,...`.' },
  {
    name: 'STAGECRAFT_TRUST_CLIENT_PRINCIPAL',
    default: 'true when WEBSITE_AUTH_ENABLED=True',
    description:
      'Accept App Service authentication (`x-ms-client-principal`). Never on a host without App Service authentication in front.',
  },
  {
    name: 'STAGECRAFT_AUTH_PROVIDERS',
    default: 'aad',
    description: 'Sign-in providers (`auth_typ`) accepted from the principal, `|`-separated.',
  },
  {
    name: 'STAGECRAFT_AUTH_TENANT_ID',
    description: 'Entra tenant callers must belong to; required when the principal is trusted in Azure.',
  },
  {
    name: 'STAGECRAFT_GROUP_MAP',
    description: 'Policy groups from Entra group object ids or app roles: `ml-approvers=<group-oid>|<app-role>,...`.',
  },
  {
    name: 'STAGECRAFT_EVENT_KEYS',
    secret: true,
    description: 'Event keys for privileged CloudEvents: `name=key:promote.requested|retrain.requested,...`.',
  },
  {
    name: 'STAGECRAFT_APPROVAL_LINK_SECRETS',
    secret: true,
    description:
      'HMAC keys for one-click approval links, comma-separated (first signs). Unset: no links in notifications.',
  },
  {
    name: 'STAGECRAFT_APPROVAL_LINK_TTL',
    default: '24h',
    description: 'How long a one-click link stays valid (never past the deadline).',
  },
  {
    name: 'STAGECRAFT_PUBLIC_URL',
    default: 'https://$WEBSITE_HOSTNAME or http://127.0.0.1:7071',
    description: 'Base URL put in links and commit statuses.',
  },
  {
    name: 'GITHUB_TOKEN',
    secret: true,
    description: 'Token for GitHub commit statuses/checks; unset: status reporting is skipped with a logged reason.',
  },
  { name: 'GITHUB_API_URL', default: 'https://api.github.com', description: 'GitHub API base (GitHub Enterprise).' },
  { name: 'GITHUB_STATUS_KIND', default: 'status', description: '`status` (commit status) or `check` (check run).' },
  {
    name: 'AZDO_TOKEN',
    secret: true,
    description: 'Azure DevOps PAT for pull request statuses; unset: skipped with a logged reason.',
  },
  { name: 'AZDO_ORG_URL', description: 'Azure DevOps organization URL, e.g. https://dev.azure.com/contoso.' },
  { name: 'CI_STATUS_CONTEXT', default: 'stagecraft/ci', description: 'Context (name) of the reported CI status.' },
  {
    name: 'REPO_CHECKOUTS',
    description:
      'Local checkouts for release deployment in the embedded mode: a JSON object `{"owner/repo": "/path", ...}`.',
  },
  {
    name: 'STAGECRAFT_JOB_DEFINITIONS_DIR',
    default: '<state dir>/job-definitions',
    description: 'Where the local job runner keeps production job definitions updated by releases.',
  },
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
    secret: true,
    description:
      'Application Insights: traces (one per event, webhook to alias move) and metrics through Azure Monitor OpenTelemetry. Unset (and no OTLP endpoint): no telemetry SDK runs. See README "Observability".',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    description:
      'OTLP/HTTP collector base URL for traces (with or without Application Insights); the exporter also reads the other standard `OTEL_EXPORTER_OTLP_*` variables.',
  },
  {
    name: 'STAGECRAFT_TRACE_EXPORT',
    description:
      'Local tests only: `memory-file:<path>` appends finished spans and metric measurements to <path> as JSON lines (refused in Azure).',
  },
  {
    name: 'STAGECRAFT_HISTORY_RETENTION',
    default: '30d',
    description:
      'Finished workflow instances (Completed, Failed, Terminated) created longer ago than this are purged from the durable store daily at 03:17 UTC (at least `1d`). Run-step records are kept.',
  },
  {
    name: 'AZURE_CLIENT_ID',
    description:
      'Client id of the user-assigned managed identity the app uses for Databricks (and DefaultAzureCredential in general); unset: the system-assigned identity.',
  },
];
