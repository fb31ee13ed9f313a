/**
 * Normalization decisions per source (what becomes which Stagecraft event, with which business key), independent
 * of verification: parsers are called directly with real payload shapes.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type AnyStagecraftEvent } from '../../shared/events';
import { normalizeRequest, SOURCES, type ParseOutcome, type SourceName } from '../../shared/intake';
import * as fx from './fixtures';
import { testConfig } from './helpers';

const config = testConfig();
const NOW = '2026-05-14T09:21:10.000Z';

function parse(
  source: SourceName,
  body: unknown,
  headers: Record<string, string> = {},
  deliveryId = 'd-1',
): ParseOutcome {
  const request = normalizeRequest({ headers, rawBody: JSON.stringify(body) });
  return SOURCES[source].parse(body, { config, request, deliveryId, now: NOW });
}

function events(outcome: ParseOutcome): AnyStagecraftEvent[] {
  if (outcome.kind !== 'events') throw new Error(`expected events, got ${JSON.stringify(outcome)}`);
  return outcome.events;
}

describe('MLflow webhooks', () => {
  it('maps model_version.created to model.version.created keyed by model name and version', () => {
    const [e] = events(parse('mlflow', fx.mlflowVersionCreated));
    expect(e).toMatchObject({
      type: EVENT_TYPES.modelVersionCreated,
      id: 'model.version.created:fraud-detector:7',
      subject: 'models/fraud-detector/versions/7',
      time: '2026-05-14T09:21:07.412903+00:00',
      deliveryid: 'd-1',
      data: {
        model: { name: 'fraud-detector', version: '7' },
        runId: '3f1c9a7b2e4d4c8f9a0b1c2d3e4f5a6b',
        tags: { git_commit: '9c1e7d2', trained_by: 'ci' },
        registry: 'mlflow',
      },
    });
  });

  it('maps alias created (set or re-pointed) and deleted to model.alias.changed', () => {
    const [set] = events(parse('mlflow', fx.mlflowAliasCreated));
    const [del] = events(parse('mlflow', fx.mlflowAliasDeleted));
    expect(set?.data).toMatchObject({ alias: 'champion', version: '7', change: 'set' });
    expect(del?.data).toMatchObject({ alias: 'challenger', version: null, change: 'deleted' });
    expect(set?.subject).toBe('models/fraud-detector/aliases/champion');
  });

  it('maps tag set/deleted and registered_model.created', () => {
    expect(events(parse('mlflow', fx.mlflowTagSet))[0]?.type).toBe(EVENT_TYPES.modelVersionTagSet);
    expect(events(parse('mlflow', fx.mlflowTagDeleted))[0]?.type).toBe(EVENT_TYPES.modelVersionTagDeleted);
    expect(events(parse('mlflow', fx.mlflowRegisteredModel))[0]).toMatchObject({
      type: EVENT_TYPES.modelRegistered,
      data: { description: null, tags: { team: 'risk' } },
    });
  });

  it('ignores prompt registry events and unknown entity/action pairs', () => {
    expect(parse('mlflow', fx.mlflowPromptVersion)).toMatchObject({ kind: 'ignored' });
    expect(parse('mlflow', { ...fx.mlflowVersionCreated, entity: 'budget_policy', action: 'exceeded' })).toMatchObject({
      kind: 'ignored',
    });
  });

  it('accepts the MLflow test-delivery payload for a model that does not exist (example_model)', () => {
    const body = {
      ...fx.mlflowVersionCreated,
      data: {
        name: 'example_model',
        version: '1',
        source: 'models:/123',
        run_id: 'abcd1234abcd5678',
        tags: {},
        description: null,
      },
    };
    expect(events(parse('mlflow', body))[0]?.id).toBe('model.version.created:example_model:1');
  });
});

describe('Databricks registry webhooks', () => {
  it('maps MODEL_VERSION_CREATED with the same business key as MLflow', () => {
    const [e] = events(parse('databricks', fx.databricksVersionCreated));
    expect(e).toMatchObject({
      type: EVENT_TYPES.modelVersionCreated,
      id: 'model.version.created:Airline_Delay_SparkML:9',
      data: { registry: 'databricks', runId: null },
    });
    expect(e?.time).toBe(new Date(1589859029343).toISOString());
  });

  it('maps stage transitions and transition requests with from/to stages', () => {
    expect(events(parse('databricks', fx.databricksTransitioned))[0]?.data).toMatchObject({
      fromStage: 'None',
      toStage: 'Production',
    });
    expect(events(parse('databricks', fx.databricksTransitionRequest))[0]).toMatchObject({
      type: EVENT_TYPES.modelTransitionRequested,
      data: { toStage: 'Production' },
    });
    const staged = {
      ...fx.databricksTransitioned,
      event: 'MODEL_VERSION_TRANSITIONED_TO_STAGING',
      to_stage: undefined,
    };
    expect(events(parse('databricks', staged))[0]?.data).toMatchObject({ toStage: 'Staging' });
  });

  it('emits one tag.set event per tag of MODEL_VERSION_TAG_SET', () => {
    expect(events(parse('databricks', fx.databricksTagSet)).map((e) => (e.data as { key: string }).key)).toEqual([
      'key1',
      'key2',
    ]);
  });

  it('requires version for version events and names it', () => {
    const out = parse('databricks', { ...fx.databricksVersionCreated, version: undefined });
    expect(out.kind).toBe('invalid');
    if (out.kind === 'invalid')
      expect(out.error.details?.fields).toEqual([{ path: 'version', message: 'required for MODEL_VERSION_CREATED' }]);
  });
});

describe('GitHub', () => {
  const gh = (event: string) => ({ 'X-GitHub-Event': event });

  it('maps a merged PR into main and the push of its merge commit to the same git.merged key', () => {
    const [pr] = events(parse('github', fx.githubPrMerged, gh('pull_request')));
    const [push] = events(parse('github', fx.githubPushMain, gh('push')));
    expect(pr).toMatchObject({
      type: EVENT_TYPES.gitMerged,
      data: { via: 'pull_request', branch: 'main', pullRequest: { number: 412 }, actor: 'alice' },
    });
    expect(push).toMatchObject({ type: EVENT_TYPES.gitMerged, data: { via: 'push' } });
    expect(pr?.id).toBe('git.merged:github:contoso/fraud-ml:9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d');
    expect(push?.id).toBe(pr?.id);
  });

  it('maps pushes to release branches to git.release.pushed and ignores other branches, tags and deletions', () => {
    const release = { ...fx.githubPushMain, ref: 'refs/heads/release/2026.05' };
    expect(events(parse('github', release, gh('push')))[0]).toMatchObject({
      type: EVENT_TYPES.gitReleasePushed,
      data: { branch: 'release/2026.05' },
    });
    expect(parse('github', { ...fx.githubPushMain, ref: 'refs/heads/feature/x' }, gh('push'))).toMatchObject({
      kind: 'ignored',
    });
    expect(parse('github', { ...fx.githubPushMain, ref: 'refs/tags/v1.0' }, gh('push'))).toMatchObject({
      kind: 'ignored',
    });
    expect(
      parse(
        'github',
        { ...fx.githubPushMain, deleted: true, after: '0000000000000000000000000000000000000000' },
        gh('push'),
      ),
    ).toMatchObject({ kind: 'ignored' });
    expect(parse('github', { ...fx.githubPushMain, ref: 'refs/heads/release/a/b' }, gh('push'))).toMatchObject({
      kind: 'ignored',
    });
  });

  it('ignores PRs closed without merge, other actions, and other event kinds', () => {
    const closed = {
      ...fx.githubPrMerged,
      pull_request: { ...fx.githubPrMerged.pull_request, merged: false, merge_commit_sha: null },
    };
    expect(parse('github', closed, gh('pull_request'))).toMatchObject({
      kind: 'ignored',
      reason: 'pull_request closed without merge',
    });
    expect(parse('github', { ...fx.githubPrMerged, action: 'synchronize' }, gh('pull_request'))).toMatchObject({
      kind: 'ignored',
    });
    expect(parse('github', {}, gh('issues'))).toMatchObject({ kind: 'ignored' });
  });

  it('refuses a delivery without X-GitHub-Event, naming the header', () => {
    const out = parse('github', fx.githubPrMerged);
    expect(out.kind).toBe('invalid');
    if (out.kind === 'invalid') expect(out.error.code).toBe('INTAKE_HEADER_MISSING');
  });
});

describe('Azure DevOps', () => {
  it('maps a completed PR to git.merged with the same key shape as a push of the merge commit', () => {
    const [e] = events(parse('azure-devops', fx.adoPrCompleted));
    expect(e).toMatchObject({
      type: EVENT_TYPES.gitMerged,
      id: 'git.merged:azure-devops:Risk/fraud-ml:9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d',
      data: { branch: 'main', pullRequest: { sourceBranch: 'feature/may-features' } },
    });
    const push = {
      ...fx.adoPushRelease,
      resource: {
        ...fx.adoPushRelease.resource,
        refUpdates: [
          { name: 'refs/heads/main', oldObjectId: 'a', newObjectId: '9c1e7d2b6a0f4e3d8c1b2a3f4e5d6c7b8a9f0e1d' },
        ],
      },
    };
    expect(events(parse('azure-devops', push))[0]?.id).toBe(e?.id);
  });

  it('maps git.push to a release branch to git.release.pushed', () => {
    expect(events(parse('azure-devops', fx.adoPushRelease))[0]).toMatchObject({
      type: EVENT_TYPES.gitReleasePushed,
      data: { branch: 'release/2026.05', commit: '33b55f7cb7e7e245323987634f960cf4a6e6bc74' },
    });
  });

  it('ignores active or conflicted PRs, other branches and other event types', () => {
    expect(
      parse('azure-devops', { ...fx.adoPrCompleted, resource: { ...fx.adoPrCompleted.resource, status: 'abandoned' } }),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      parse('azure-devops', {
        ...fx.adoPrCompleted,
        resource: { ...fx.adoPrCompleted.resource, mergeStatus: 'conflicts' },
      }),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      parse('azure-devops', {
        ...fx.adoPrCompleted,
        resource: { ...fx.adoPrCompleted.resource, targetRefName: 'refs/heads/dev' },
      }),
    ).toMatchObject({ kind: 'ignored' });
    expect(parse('azure-devops', { ...fx.adoPrCompleted, eventType: 'workitem.updated' })).toMatchObject({
      kind: 'ignored',
    });
  });
});

describe('Azure Monitor', () => {
  it('maps a Fired common-schema alert to alert.fired with model, metric and a key from alertId', () => {
    const [e] = events(parse('azure-monitor', fx.azureMonitorFired));
    expect(e).toMatchObject({
      type: EVENT_TYPES.alertFired,
      data: {
        rule: 'fraud-detector-feature-drift',
        severity: 'Sev2',
        model: { name: 'fraud-detector', alias: 'champion' },
        metric: { name: 'AggregatedValue', value: 0.31, threshold: '0.2', operator: 'GreaterThan' },
      },
    });
    expect(e!.id.length).toBeLessThanOrEqual(128);
    expect(e!.id.startsWith('alert.fired:')).toBe(true);
  });

  it('refuses a payload without the common alert schema, saying how to fix it', () => {
    const out = parse('azure-monitor', { schemaId: 'Microsoft.Insights/activityLogs', data: {} });
    expect(out.kind).toBe('invalid');
    if (out.kind === 'invalid') expect(out.error.message).toMatch(/common alert schema/);
  });
});

describe('drift payloads', () => {
  it('maps a single-feature payload over its threshold to drift.detected', () => {
    const [e] = events(parse('drift', fx.driftGeneric));
    expect(e).toMatchObject({
      type: EVENT_TYPES.driftDetected,
      data: {
        severity: 'Sev2',
        features: [{ name: 'merchant_category', metric: 'js_distance', value: 0.31, threshold: 0.2, drifted: true }],
      },
    });
    expect(e?.id).toBe('drift.detected:fraud-detector:7:2026-05-14T00%3A00%3A00Z/2026-05-15T00%3A00%3A00Z:-');
  });

  it('reads Lakehouse Monitoring drift rows (JS distance, chi-squared p-value) with default thresholds', () => {
    const [e] = events(parse('drift', fx.driftLakehouse));
    const data = e!.data as {
      detector: { tool: string };
      comparison: { type: string };
      features: Array<{ metric: string; drifted: boolean }>;
    };
    expect(data.detector.tool).toBe('databricks-lakehouse-monitoring');
    expect(data.comparison.type).toBe('CONSECUTIVE');
    expect(data.features.filter((f) => f.drifted).map((f) => f.metric)).toEqual([
      'js_distance',
      'chi_squared_pvalue',
      'tv_distance',
    ]);
  });

  it('reads Evidently DataDriftTable results by column, trusting drift_detected', () => {
    const [e] = events(parse('drift', fx.driftEvidently));
    const data = e!.data as { detector: { tool: string }; features: Array<{ name: string; drifted: boolean }> };
    expect(data.detector.tool).toBe('evidently');
    expect(data.features).toEqual([
      expect.objectContaining({ name: 'merchant_category', drifted: true }),
      expect.objectContaining({ name: 'amount', drifted: false }),
    ]);
  });

  it('ignores a payload where nothing exceeds its threshold, and names missing single-feature fields', () => {
    expect(parse('drift', { ...fx.driftGeneric, value: 0.1 })).toMatchObject({ kind: 'ignored' });
    const out = parse('drift', { model: 'm', feature: 'f', value: 1 });
    expect(out.kind).toBe('invalid');
    if (out.kind === 'invalid')
      expect(out.error.details?.fields).toEqual([{ path: 'metric', message: 'required with feature/metric/value' }]);
  });
});

describe('CloudEvents endpoint', () => {
  const structured = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

  it('accepts a structured retrain request and keys it by the caller requestId', () => {
    const [e] = events(parse('cloudevents', fx.retrainCloudEvent, structured));
    expect(e).toMatchObject({
      type: EVENT_TYPES.retrainRequested,
      id: 'retrain.requested:fraud-detector:req-001',
      source: 'https://ops.contoso.com/console',
    });
  });

  it('falls back to the producer source+id as identity when the request has no requestId', () => {
    const [e] = events(parse('cloudevents', fx.promoteCloudEvent, structured));
    expect(e?.id).toBe('promote.requested:fraud-detector:7:champion:/ops/cli#p-1');
  });

  it('accepts binary mode (ce-* headers, JSON body = data)', () => {
    const headers = {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': 'io.stagecraft.job.finished',
      'ce-source': '/databricks/jobs/1',
      'ce-id': 'x%2F1',
    };
    const [e] = events(parse('cloudevents', fx.jobFinishedCloudEvent.data, headers));
    expect(e).toMatchObject({
      type: EVENT_TYPES.jobFinished,
      id: 'job.finished:databricks:455644833',
      source: '/databricks/jobs/1',
    });
  });

  it('accepts a batch, skipping foreign types, and names the failing index when one event is invalid', () => {
    const batch = { 'content-type': 'application/cloudevents-batch+json' };
    const ok = events(
      parse(
        'cloudevents',
        [fx.retrainCloudEvent, { ...fx.retrainCloudEvent, type: 'com.example.x', id: 'z' }, fx.jobFinishedCloudEvent],
        batch,
      ),
    );
    expect(ok.map((e) => e.type)).toEqual([EVENT_TYPES.retrainRequested, EVENT_TYPES.jobFinished]);
    const bad = parse(
      'cloudevents',
      [fx.retrainCloudEvent, { ...fx.jobFinishedCloudEvent, data: { provider: 'databricks' } }],
      batch,
    );
    expect(bad.kind).toBe('invalid');
    if (bad.kind === 'invalid')
      expect((bad.error.details?.fields as Array<{ path: string }>).map((f) => f.path)).toContain('[1].data.jobId');
  });

  it('refuses an envelope without specversion or with a bad extension name', () => {
    expect(parse('cloudevents', { ...fx.retrainCloudEvent, specversion: '0.3' }, structured).kind).toBe('invalid');
    expect(parse('cloudevents', { ...fx.retrainCloudEvent, BadExt: 'x' }, structured).kind).toBe('invalid');
  });
});

describe('Databricks job notifications', () => {
  it('maps on_success/on_failure to job.finished keyed by run id, and task-level ones with parent run', () => {
    expect(events(parse('databricks-jobs', fx.jobsOnSuccess))[0]).toMatchObject({
      id: 'job.finished:databricks:455644833',
      data: { outcome: 'success', jobName: 'mlops-validate' },
    });
    const task = {
      ...fx.jobsOnSuccess,
      event_type: 'jobs.on_failure',
      run: { run_id: 455644840, parent_run_id: 455644833 },
      task: { task_key: 'evaluate' },
    };
    expect(events(parse('databricks-jobs', task))[0]?.data).toMatchObject({
      outcome: 'failure',
      runId: '455644840',
      parentRunId: '455644833',
      taskKey: 'evaluate',
    });
  });
});
