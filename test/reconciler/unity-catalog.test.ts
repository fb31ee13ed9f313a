/**
 * The Unity Catalog reconciler against the HTTP fake through the real UC client: READY versions are published once
 * with the relay's business keys, a pending version is published when it turns READY (no gaps), nothing is
 * published twice (no reprocessing), schemas are expanded, and a tick never exceeds its call budget.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnityCatalogClient } from '../../shared/adapters/databricks-uc';
import { bearerAuth } from '../../shared/adapters/http';
import type { StagecraftEvent } from '../../shared/events';
import { memoryUcCursors } from '../../shared/reconciler/unity-catalog-cursors';
import { planModel, reconcileUnityCatalog, type UcReconcileDeps } from '../../shared/reconciler/unity-catalog';
import { type FakeDatabricksUc, startFakeDatabricksUc } from '../fakes/databricks-uc';

const HOUR = 3600_000;
let fake: FakeDatabricksUc;
let now: number;
beforeEach(async () => {
  now = Date.parse('2026-12-06T07:00:00Z');
  fake = await startFakeDatabricksUc({ now: () => now });
});
afterEach(async () => {
  await fake.close();
});

function deps(over: Partial<UcReconcileDeps> = {}) {
  const published: StagecraftEvent[] = [];
  const cursors = memoryUcCursors();
  const d: UcReconcileDeps = {
    uc: new UnityCatalogClient({ baseUrl: fake.url, auth: bearerAuth('dapi-x'), sleep: async () => {} }),
    cursors,
    publish: async (events) => {
      published.push(...events);
    },
    nowMs: () => now,
    initialLookbackMs: 24 * HOUR,
    maxCallsPerTick: 50,
    ...over,
  };
  return { d, published, cursors };
}

describe('Unity Catalog reconciler', () => {
  it('publishes each READY version once, holds back at a pending version and publishes it when READY (no gaps, no reprocessing)', async () => {
    const m = 'main.ml.breast_cancer_classifier';
    fake.createVersion(m, { createdBy: 'alice@example.com', status: 'READY' });
    fake.createVersion(m, { createdBy: 'alice@example.com' }); // v2 pending
    fake.createVersion(m, { createdBy: 'bob@example.com', status: 'READY' });
    const { d, published, cursors } = deps();

    await reconcileUnityCatalog([m], d);
    expect(published.map((e) => (e.data as { model: { version: string } }).model.version)).toEqual(['1', '3']);
    expect(published[0]!.id).toMatch(/:main\.ml\.breast_cancer_classifier:1$/);
    expect(cursors.rows.get(m)).toMatchObject({ doneThrough: 1, emitted: ['3'] });

    await reconcileUnityCatalog([m], d);
    expect(published).toHaveLength(2);

    fake.finishRegistration(m, '2');
    await reconcileUnityCatalog([m], d);
    expect(published.map((e) => (e.data as { model: { version: string } }).model.version)).toEqual(['1', '3', '2']);
    expect(cursors.rows.get(m)).toMatchObject({ doneThrough: 3, emitted: [] });

    await reconcileUnityCatalog([m], d);
    expect(published).toHaveLength(3);
  });

  it('on its first run settles history older than the lookback without starting workflows; a failed registration is settled unpublished', async () => {
    const m = 'main.ml.churn';
    fake.createVersion(m, { createdBy: 'a', status: 'READY', createdAt: now - 48 * HOUR });
    fake.createVersion(m, { createdBy: 'a', status: 'FAILED_REGISTRATION' });
    fake.createVersion(m, { createdBy: 'a', status: 'READY' });
    const { d, published, cursors } = deps();
    await reconcileUnityCatalog([m], d);
    expect(published.map((e) => (e.data as { model: { version: string } }).model.version)).toEqual(['3']);
    expect(cursors.rows.get(m)).toMatchObject({ doneThrough: 3, emitted: [] });
  });

  it('expands catalog.schema.* through the models list', async () => {
    fake.createVersion('main.ml.a', { createdBy: 'a', status: 'READY' });
    fake.createVersion('main.ml.b', { createdBy: 'b', status: 'READY' });
    fake.createVersion('main.other.c', { createdBy: 'c', status: 'READY' });
    const { d, published } = deps({ pageSize: 1 });
    const r = await reconcileUnityCatalog(['main.ml.*'], d);
    expect(r.models).toEqual(['main.ml.a', 'main.ml.b']);
    expect(published.map((e) => (e.data as { model: { name: string } }).model.name).sort()).toEqual([
      'main.ml.a',
      'main.ml.b',
    ]);
  });

  it('never makes more calls than its budget per tick and reaches every model round-robin over ticks', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) fake.createVersion(`main.ml.${n}`, { createdBy: 'x', status: 'READY' });
    const { d, published } = deps({ maxCallsPerTick: 2 });
    const before = fake.server.requests.length;
    const r1 = await reconcileUnityCatalog(['main.ml.a', 'main.ml.b', 'main.ml.c', 'main.ml.d', 'main.ml.e'], d);
    expect(r1.calls).toBeLessThanOrEqual(2);
    expect(fake.server.requests.length - before).toBeLessThanOrEqual(2);
    expect(r1.skipped).toHaveLength(3);
    await reconcileUnityCatalog(['main.ml.a', 'main.ml.b', 'main.ml.c', 'main.ml.d', 'main.ml.e'], d);
    await reconcileUnityCatalog(['main.ml.a', 'main.ml.b', 'main.ml.c', 'main.ml.d', 'main.ml.e'], d);
    expect(published.map((e) => (e.data as { model: { name: string } }).model.name).sort()).toEqual([
      'main.ml.a',
      'main.ml.b',
      'main.ml.c',
      'main.ml.d',
      'main.ml.e',
    ]);
  });

  it('a model that cannot be read does not stall the others; the cursor moves only after a successful publish', async () => {
    fake.createVersion('main.ml.ok', { createdBy: 'x', status: 'READY' });
    const { d, published, cursors } = deps();
    const r = await reconcileUnityCatalog(['main.ml.gone', 'main.ml.ok'], d);
    expect(r.failed.map((f) => f.model)).toEqual(['main.ml.gone']);
    expect(published).toHaveLength(1);

    fake.createVersion('main.ml.ok', { createdBy: 'x', status: 'READY' });
    const failing = deps({
      cursors,
      publish: async () => {
        throw new Error('bus down');
      },
    });
    await expect(reconcileUnityCatalog(['main.ml.ok'], failing.d)).rejects.toThrow('bus down');
    expect(cursors.rows.get('main.ml.ok')).toMatchObject({ doneThrough: 1 });
  });

  it('planModel is pure: the cursor never passes a pending version', () => {
    const v = (version: string, status: string) => ({ version, status, aliases: [], created_at: 0 });
    const { publish, next } = planModel(
      'c.s.m',
      [v('3', 'READY'), v('1', 'READY'), v('2', 'PENDING_REGISTRATION')],
      { model: 'c.s.m', doneThrough: 0, emitted: [], updatedAt: '' },
      0,
      0,
    );
    expect(publish.map((x) => x.version)).toEqual(['1', '3']);
    expect(next).toMatchObject({ doneThrough: 1, emitted: ['3'] });
  });
});
