import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../shared/adapters/mlflow/types';
import type { StagecraftEvent } from '../../shared/events';
import { reconcileModel, type ReconcileDeps, type Watermark } from '../../shared/reconciler/reconcile';

const HOUR = 3600_000;
const NOW = Date.parse('2026-11-27T12:00:00Z');

function version(v: string, createdMs: number): ModelVersion {
  return {
    name: 'churn',
    version: v,
    creation_timestamp: createdMs,
    tags: [{ key: 'git_commit', value: 'abc' }],
    aliases: [],
    run_id: 'r' + v,
    source: 'models:/m-' + v,
  };
}

function deps(versions: ModelVersion[], marks = new Map<string, Watermark>()) {
  const published: StagecraftEvent[][] = [];
  const d: ReconcileDeps = {
    registry: { versionsSince: async (_m, since) => versions.filter((v) => (v.creation_timestamp ?? 0) >= since) },
    watermarks: { get: async (m) => marks.get(m), put: async (w) => void marks.set(w.model, w) },
    publish: async (events) => void published.push([...events]),
    nowMs: () => NOW,
    initialLookbackMs: 24 * HOUR,
  };
  return { d, published, marks };
}

describe('registry reconciler', () => {
  it('publishes the same event id the webhook path uses (model + version), so both collapse into one run', async () => {
    const { d, published } = deps([version('3', NOW - HOUR)]);
    await reconcileModel('churn', d);
    expect(published.flat().map((e) => e.id)).toEqual(['model.version.created:churn:3']);
    expect(published.flat()[0]!.data).toMatchObject({
      model: { name: 'churn', version: '3' },
      runId: 'r3',
      tags: { git_commit: 'abc' },
    });
  });

  it('on its first run ignores versions older than the look-back window', async () => {
    const { d, published } = deps([version('1', NOW - 48 * HOUR), version('2', NOW - HOUR)]);
    const r = await reconcileModel('churn', d);
    expect(r.published).toEqual(['2']);
    expect(published).toHaveLength(1);
  });

  it('publishes each version once across ticks, including versions sharing the watermark millisecond', async () => {
    const t = NOW - HOUR;
    const versions = [version('4', t), version('5', t)];
    const { d, published } = deps(versions);
    await reconcileModel('churn', d);
    await reconcileModel('churn', d);
    versions.push(version('6', t));
    await reconcileModel('churn', d);
    expect(published.map((b) => b.map((e) => (e.data as { model: { version: string } }).model.version))).toEqual([
      ['4', '5'],
      ['6'],
    ]);
  });

  it('does not advance the watermark when publishing fails, so the next tick retries', async () => {
    const { d, marks } = deps([version('7', NOW - HOUR)]);
    d.publish = async () => {
      throw new Error('broker down');
    };
    await expect(reconcileModel('churn', d)).rejects.toThrow('broker down');
    expect(marks.get('churn')).toBeUndefined();
  });
});
