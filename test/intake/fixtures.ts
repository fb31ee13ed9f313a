/**
 * Payloads in the exact shapes each source sends (field names and value types from the sources' docs and code;
 * see /work/shared/reference/mlops-apis.md).
 */
export const mlflowVersionCreated = {
  entity: 'model_version',
  action: 'created',
  timestamp: '2026-05-14T09:21:07.412903+00:00',
  data: {
    name: 'fraud-detector',
    version: '7',
    source: 'models:/m-8f1e2c3d4b5a49f0a1b2c3d4e5f60718',
    run_id: '3f1c9a7b2e4d4c8f9a0b1c2d3e4f5a6b',
    tags: { git_commit: '9c1e7d2', trained_by: 'ci' },
    description: 'weekly retrain',
  },
};

export const mlflowAliasCreated = {
  entity: 'model_version_alias',
  action: 'created',
  timestamp: '2026-05-14T10:02:11.500000+00:00',
  data: { name: 'fraud-detector', alias: 'champion', version: '7' },
};

export const mlflowAliasDeleted = {
  entity: 'model_version_alias',
  action: 'deleted',
  timestamp: '2026-05-14T10:05:00.000000+00:00',
  data: { name: 'fraud-detector', alias: 'challenger' },
};

export const mlflowTagSet = {
  entity: 'model_version_tag',
  action: 'set',
  timestamp: '2026-05-14T09:40:00.000001+00:00',
  data: { name: 'fraud-detector', version: '7', key: 'validation_status', value: 'passed' },
};

export const mlflowTagDeleted = {
  entity: 'model_version_tag',
  action: 'deleted',
  timestamp: '2026-05-14T09:41:00.000001+00:00',
  data: { name: 'fraud-detector', version: '7', key: 'validation_status' },
};

export const mlflowRegisteredModel = {
  entity: 'registered_model',
  action: 'created',
  timestamp: '2026-05-14T08:00:00.000000+00:00',
  data: { name: 'fraud-detector', tags: { team: 'risk' }, description: null },
};

export const mlflowPromptVersion = {
  entity: 'prompt_version',
  action: 'created',
  timestamp: '2026-05-14T08:10:00.000000+00:00',
  data: {
    name: 'support-triage',
    version: '3',
    template: 'Classify: {{ticket}}',
    tags: { author: 'ml-team' },
    description: 'tighter instructions',
  },
};

export const databricksTransitioned = {
  event: 'MODEL_VERSION_TRANSITIONED_STAGE',
  webhook_id: 'c5596721253c4b429368cf6f4341b88a',
  event_timestamp: 1589859029343,
  model_name: 'Airline_Delay_SparkML',
  version: '8',
  to_stage: 'Production',
  from_stage: 'None',
  text: "Registered model 'someModel' version 8 transitioned from None to Production.",
};

export const databricksVersionCreated = {
  event: 'MODEL_VERSION_CREATED',
  webhook_id: 'c5596721253c4b429368cf6f4341b88a',
  event_timestamp: 1589859029343,
  model_name: 'Airline_Delay_SparkML',
  version: '9',
  text: "Registered model 'someModel' version 9 created.",
};

export const databricksTransitionRequest = {
  event: 'TRANSITION_REQUEST_CREATED',
  webhook_id: 'c5596721253c4b429368cf6f4341b88a',
  event_timestamp: 1589859029343,
  model_name: 'Airline_Delay_SparkML',
  version: '8',
  to_stage: 'Production',
  from_stage: 'Staging',
  text: 'A user requested a transition.',
};

export const databricksTagSet = {
  event: 'MODEL_VERSION_TAG_SET',
  webhook_id: '8d7fc634e624474f9bbfde960fdf354c',
  event_timestamp: 1589859029343,
  model_name: 'Airline_Delay_SparkML',
  version: '8',
  tags: [
    { key: 'key1', value: 'value1' },
    { key: 'key2', value: 'value2' },
  ],
  text: "example@example.com set version tag(s) 'key1' => 'value1', 'key2' => 'value2' for registered model 'someModel' version 8.",
};

export const databricksComment = {
  event: 'COMMENT_CREATED',
  webhook_id: '8d7fc634e624474f9bbfde960fdf354c',
  event_timestamp: 1589859029343,
  model_name: 'Airline_Delay_SparkML',
  version: '8',
  comment: 'Raw text content of the comment',
  text: "A user commented on registered model 'someModel' version 8.",
};

export const githubPrMerged = {
  action: 'closed',
  number: 412,
  pull_request: {
    number: 412,
    state: 'closed',
    title: 'Retrain fraud model with May features',
    html_url: 'https://github.com/contoso/fraud-ml/pull/412',
    merged: true,
    merged_at: '2026-05-14T08:55:12Z',
    merge_commit_sha: '9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d',
    merged_by: { login: 'alice', id: 1001, type: 'User' },
    user: { login: 'bob', id: 1002 },
    head: {
      ref: 'feature/may-features',
      sha: '4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c',
      repo: { full_name: 'contoso/fraud-ml' },
    },
    base: { ref: 'main', sha: '0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b', repo: { full_name: 'contoso/fraud-ml' } },
    labels: [{ name: 'retrain' }],
  },
  repository: { id: 555001, full_name: 'contoso/fraud-ml', default_branch: 'main' },
  sender: { login: 'alice', id: 1001 },
};

export const githubPushMain = {
  ref: 'refs/heads/main',
  before: '0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b',
  after: '9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d',
  created: false,
  deleted: false,
  forced: false,
  base_ref: null,
  compare: 'https://github.com/contoso/fraud-ml/compare/0a1b2c3d4e5f...9c1e7d2b6a0f',
  commits: [
    {
      id: '9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d',
      message: 'Merge pull request #412 ...',
      timestamp: '2026-05-14T08:55:12Z',
      author: { name: 'alice', email: 'alice@contoso.com' },
      added: [],
      removed: [],
      modified: ['training/features.py'],
    },
  ],
  head_commit: {
    id: '9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d',
    message: 'Merge pull request #412 ...',
    timestamp: '2026-05-14T08:55:12Z',
  },
  pusher: { name: 'alice', email: 'alice@contoso.com' },
  repository: { full_name: 'contoso/fraud-ml', default_branch: 'main' },
  sender: { login: 'alice' },
};

export const githubPing = {
  zen: 'Keep it logically awesome.',
  hook_id: 292430182,
  hook: { type: 'Repository' },
  repository: { full_name: 'contoso/fraud-ml' },
};

export const adoPrCompleted = {
  subscriptionId: 'aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e',
  notificationId: 17,
  id: '6872ee8c-b333-4eff-bfb9-0d5274943566',
  eventType: 'git.pullrequest.updated',
  publisherId: 'tfs',
  message: { text: 'Alice marked the pull request as completed' },
  detailedMessage: { text: 'Alice marked the pull request as completed\r\n\r\n- Merge status: Succeeded' },
  resource: {
    repository: {
      id: 'c2c2c2c2-dddd-eeee-ffff-a3a3a3a3a3a3',
      name: 'fraud-ml',
      project: { id: 'd3d3d3d3-eeee-ffff-aaaa-b4b4b4b4b4b4', name: 'Risk' },
      defaultBranch: 'refs/heads/main',
      remoteUrl: 'https://dev.azure.com/contoso/Risk/_git/fraud-ml',
    },
    pullRequestId: 412,
    status: 'completed',
    createdBy: { displayName: 'Bob', uniqueName: 'bob@contoso.com' },
    closedBy: { displayName: 'Alice', uniqueName: 'alice@contoso.com' },
    creationDate: '2026-05-13T16:55:46.589889Z',
    closedDate: '2026-05-14T08:55:12.366Z',
    title: 'Retrain fraud model with May features',
    sourceRefName: 'refs/heads/feature/may-features',
    targetRefName: 'refs/heads/main',
    mergeStatus: 'succeeded',
    lastMergeSourceCommit: { commitId: '4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c' },
    lastMergeTargetCommit: { commitId: '0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b' },
    lastMergeCommit: { commitId: '9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d' },
    url: 'https://dev.azure.com/contoso/Risk/_apis/git/repositories/c2c2/pullRequests/412',
  },
  resourceVersion: '1.0',
  resourceContainers: { collection: { id: 'b1b1' }, account: { id: 'bbbb' }, project: { id: 'd3d3' } },
  createdDate: '2026-05-14T08:55:13.101Z',
};

export const adoPushRelease = {
  subscriptionId: 'aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e',
  notificationId: 18,
  id: '03c164c2-8912-4d5e-8009-3707d5f83734',
  eventType: 'git.push',
  publisherId: 'tfs',
  message: { text: 'Alice pushed updates to fraud-ml:release/2026.05' },
  resource: {
    commits: [
      {
        commitId: '33b55f7cb7e7e245323987634f960cf4a6e6bc74',
        author: { name: 'Alice', email: 'alice@contoso.com', date: '2026-05-14T09:00:00Z' },
        comment: 'Release prep',
      },
    ],
    refUpdates: [
      {
        name: 'refs/heads/release/2026.05',
        oldObjectId: 'aad331d8d3b131fa9ae03cf5e53965b51942618a',
        newObjectId: '33b55f7cb7e7e245323987634f960cf4a6e6bc74',
      },
    ],
    repository: {
      id: 'c2c2c2c2-dddd-eeee-ffff-a3a3a3a3a3a3',
      name: 'fraud-ml',
      project: { id: 'd3d3', name: 'Risk' },
      remoteUrl: 'https://dev.azure.com/contoso/Risk/_git/fraud-ml',
    },
    pushedBy: { displayName: 'Alice', uniqueName: 'alice@contoso.com' },
    pushId: 14,
    date: '2026-05-14T09:00:05Z',
    url: 'https://dev.azure.com/contoso/Risk/_apis/git/repositories/c2c2/pushes/14',
  },
  resourceVersion: '1.0',
  createdDate: '2026-05-14T09:00:06Z',
};

export const azureMonitorFired = {
  schemaId: 'azureMonitorCommonAlertSchema',
  data: {
    essentials: {
      alertId:
        '/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.AlertsManagement/alerts/3f2d4487-b0fc-4125-8bd5-7ad17384221e',
      alertRule: 'fraud-detector-feature-drift',
      alertRuleID:
        '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-mlops/providers/microsoft.insights/scheduledqueryrules/fraud-detector-feature-drift',
      severity: 'Sev2',
      signalType: 'Log',
      monitorCondition: 'Fired',
      monitoringService: 'Log Alerts V2',
      alertTargetIDs: [
        '/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-mlops/providers/microsoft.operationalinsights/workspaces/law-mlops',
      ],
      configurationItems: ['law-mlops'],
      originAlertId: 'b7e3c5d2-0000',
      firedDateTime: '2026-05-14T11:00:32.1234567Z',
      description: 'JS distance above 0.2 on any feature',
      essentialsVersion: '1.0',
      alertContextVersion: '1.0',
    },
    alertContext: {
      properties: { model_name: 'fraud-detector', model_alias: 'champion' },
      conditionType: 'LogQueryCriteria',
      condition: {
        windowSize: 'PT1H',
        allOf: [
          {
            searchQuery: "DriftMetrics_CL | where ModelName == 'fraud-detector'",
            metricMeasureColumn: 'AggregatedValue',
            operator: 'GreaterThan',
            threshold: '0.2',
            timeAggregation: 'Maximum',
            dimensions: [{ name: 'FeatureName', value: 'merchant_category' }],
            metricValue: 0.31,
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          },
        ],
        windowStartTime: '2026-05-14T10:00:00Z',
        windowEndTime: '2026-05-14T11:00:00Z',
      },
    },
    customProperties: { orchestrator_action: 'evaluate_retrain' },
  },
};

export const driftGeneric = {
  model: { name: 'fraud-detector', version: '7', alias: 'champion' },
  tool: 'custom',
  severity: 'Sev2',
  window: { start: '2026-05-14T00:00:00Z', end: '2026-05-15T00:00:00Z' },
  feature: 'merchant_category',
  metric: 'js_distance',
  value: 0.31,
  threshold: 0.2,
};

export const driftLakehouse = {
  model: 'fraud-detector',
  ref: 'prod.ml.fraud_inference_log_drift_metrics',
  lakehouseMonitoring: {
    rows: [
      {
        window: { start: '2026-05-14T00:00:00Z', end: '2026-05-15T00:00:00Z' },
        granularity: '1 day',
        monitor_version: 3,
        slice_key: null,
        slice_value: null,
        column_name: 'merchant_category',
        data_type: 'string',
        window_cmp: { start: '2026-05-13T00:00:00Z', end: '2026-05-14T00:00:00Z' },
        drift_type: 'CONSECUTIVE',
        count_delta: -418,
        avg_delta: null,
        js_distance: 0.31,
        ks_test: null,
        wasserstein_distance: null,
        population_stability_index: null,
        chi_squared_test: { statistic: 512.4, pvalue: 0.0 },
        tv_distance: 0.27,
        l_infinity_distance: 0.19,
      },
    ],
  },
};

export const driftEvidently = {
  model: { name: 'fraud-detector' },
  evidently: {
    metrics: [
      {
        metric: 'DatasetDriftMetric',
        result: {
          drift_share: 0.5,
          number_of_columns: 15,
          number_of_drifted_columns: 4,
          share_of_drifted_columns: 0.2667,
          dataset_drift: false,
        },
      },
      {
        metric: 'DataDriftTable',
        result: {
          number_of_columns: 15,
          drift_by_columns: {
            merchant_category: {
              column_name: 'merchant_category',
              column_type: 'cat',
              stattest_name: 'chi-square p_value',
              stattest_threshold: 0.05,
              drift_score: 0.0001,
              drift_detected: true,
            },
            amount: {
              column_name: 'amount',
              column_type: 'num',
              stattest_name: 'K-S p_value',
              stattest_threshold: 0.05,
              drift_score: 0.4,
              drift_detected: false,
            },
          },
        },
      },
    ],
  },
};

export const jobsOnSuccess = {
  event_type: 'jobs.on_success',
  workspace_id: '1234567890123456',
  run: { run_id: '455644833' },
  job: { job_id: '123456789012345', name: 'mlops-validate' },
};

export const jobsOnStart = { ...jobsOnSuccess, event_type: 'jobs.on_start' };

export const retrainCloudEvent = {
  specversion: '1.0',
  type: 'io.stagecraft.retrain.requested',
  source: 'https://ops.contoso.com/console',
  id: 'req-2026-05-14-001',
  time: '2026-05-14T09:00:00Z',
  datacontenttype: 'application/json',
  data: {
    model: { name: 'fraud-detector' },
    reason: 'manual: new labels',
    requestedBy: 'alice@contoso.com',
    requestId: 'req-001',
  },
};

export const promoteCloudEvent = {
  specversion: '1.0',
  type: 'io.stagecraft.promote.requested',
  source: '/ops/cli',
  id: 'p-1',
  data: { model: { name: 'fraud-detector', version: '7' }, targetAlias: 'champion', requestedBy: 'bob@contoso.com' },
};

export const jobFinishedCloudEvent = {
  specversion: '1.0',
  type: 'io.stagecraft.job.finished',
  source: '/databricks/jobs/123456789012345',
  id: 'run-455644833',
  data: {
    provider: 'databricks',
    jobId: '123456789012345',
    runId: '455644833',
    outcome: 'success',
    resultState: 'SUCCESS',
  },
};
