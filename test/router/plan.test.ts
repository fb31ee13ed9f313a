import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, makeEvent, type AnyStagecraftEvent } from '../../shared/events';
import { instanceIdFor, MAX_INSTANCE_ID_LENGTH } from '../../shared/router/instance-id';
import { planRoute } from '../../shared/router/plan';

const T = '2026-11-27T10:00:00Z';
const versionCreated = (name: string, version: string, source = '/stagecraft/intake/mlflow', deliveryId?: string) =>
  makeEvent(
    EVENT_TYPES.modelVersionCreated,
    {
      model: { name, version },
      source: 'models:/m-1',
      runId: 'r1',
      tags: {},
      description: null,
      registry: 'mlflow',
      occurredAt: T,
    },
    { source, time: T, ...(deliveryId ? { deliveryId } : {}) },
  ) as AnyStagecraftEvent;

describe('instance ids from business keys', () => {
  it('are the same for the same identity and differ for different identities', () => {
    expect(instanceIdFor('promotion', 'churn', '3')).toBe(instanceIdFor('promotion', 'churn', '3'));
    expect(instanceIdFor('promotion', 'churn', '3')).not.toBe(instanceIdFor('promotion', 'churn', '4'));
    // Escaping keeps part boundaries: ('a:b','c') and ('a','b:c') must not collide.
    expect(instanceIdFor('x', 'a:b', 'c')).not.toBe(instanceIdFor('x', 'a', 'b:c'));
  });

  it('contain no character durable storage forbids and stay within 100 characters', () => {
    const id = instanceIdFor('ci', 'github', 'org/repo#1?x\\y', 'abc');
    expect(id).not.toMatch(/[/\\#?\u0000-\u001f]/);
    const long = instanceIdFor('ci', 'x'.repeat(300));
    expect(long.length).toBeLessThanOrEqual(MAX_INSTANCE_ID_LENGTH);
    expect(long).toMatch(/^ci:sha256:/);
    expect(instanceIdFor('ci', 'x'.repeat(300))).toBe(long);
  });
});

describe('router plan', () => {
  it('starts one promotion per model version, whatever delivered the event', () => {
    const fromWebhook = planRoute(versionCreated('churn', '3', '/stagecraft/intake/mlflow', 'd-1'));
    const fromRetry = planRoute(versionCreated('churn', '3', '/stagecraft/intake/mlflow', 'd-2'));
    const fromPoll = planRoute(versionCreated('churn', '3', '/stagecraft/reconciler'));
    expect(fromWebhook).toMatchObject({
      kind: 'start',
      orchestration: 'modelPromotion',
      instanceId: 'promotion:churn:3',
    });
    expect(fromRetry).toMatchObject({ instanceId: 'promotion:churn:3' });
    expect(fromPoll).toMatchObject({ instanceId: 'promotion:churn:3' });
  });

  it('sends drift and retrain requests for one model to that model’s single retraining coordinator', () => {
    const drift = makeEvent(
      EVENT_TYPES.retrainRequested,
      { model: { name: 'churn' }, reason: 'manual', requestedBy: 'ana' },
      { source: '/x', time: T },
    ) as AnyStagecraftEvent;
    expect(planRoute(drift)).toMatchObject({
      kind: 'signal',
      instanceId: 'retraining:churn',
      eventName: 'RetrainTrigger',
    });
  });

  it('routes a job-finished notification to the run that owns the job', () => {
    const ev = makeEvent(
      EVENT_TYPES.jobFinished,
      { provider: 'databricks', jobId: '7', runId: '991', outcome: 'success' },
      { source: '/x', time: T },
    ) as AnyStagecraftEvent;
    expect(planRoute(ev)).toEqual({
      kind: 'job-finished',
      runId: '991',
      eventName: 'JobFinished:991',
      payload: ev.data,
    });
  });

  it('ignores events no workflow reacts to, saying why', () => {
    const ev = makeEvent(
      EVENT_TYPES.modelVersionTagSet,
      { model: { name: 'churn', version: '3' }, key: 'k', value: 'v', registry: 'mlflow', occurredAt: T },
      { source: '/x', time: T },
    ) as AnyStagecraftEvent;
    expect(planRoute(ev)).toEqual({
      kind: 'ignore',
      reason: 'no workflow reacts to io.stagecraft.model.version.tag.set',
    });
  });
});

describe('instance ids in URLs', () => {
  it('survive the durable client putting them into URL paths unencoded', () => {
    const id = instanceIdFor('ci', 'azure-devops', 'My Project/repo name', 'ünï');
    expect(id).toMatch(/^[A-Za-z0-9._~:-]+$/);
    expect(decodeURIComponent(new URL(`instances/${id}/raiseEvent/x`, 'http://127.0.0.1/rpc/').pathname)).toContain(id);
  });
});
