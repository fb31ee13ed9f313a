/**
 * Replay fixtures: a recorded history of every orchestrator at each of its waiting points
 * (test/durable/replay-fixtures/<orchestrator>/<point>.json), replayed against the current orchestrator code. A
 * fixture that no longer replays means an instance waiting there in production would fail with a non-determinism
 * error after the deployment (or silently take new steps): change the code behind a versioning decision instead
 * (docs/ARCHITECTURE.md, "Replay fixtures").
 *
 * Re-record deliberately (only together with that decision):
 *   STAGECRAFT_RECORD_REPLAY_FIXTURES=1 npx vitest run test/durable/replay-fixtures.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayActions } from '../../devhost/durable/replay';
import type { HistoryEvent } from '../../devhost/durable/types';
import { type Gen, orchestratorNamed, REPLAY_OPTIONS, registeredOrchestrators, runSdk, SDK_VERSION } from './harness';
import { harnessFor, SCENARIOS } from './replay-scenarios';

const DIR = join(__dirname, 'replay-fixtures');
const RECORD = process.env['STAGECRAFT_RECORD_REPLAY_FIXTURES'] === '1';
/** Bump when the local engine's replay rules change in a way that changes recorded histories. */
const ENGINE_VERSION = 'devhost-durable-replay/1';

export interface ReplayFixture {
  orchestrator: string;
  point: string;
  waitsOn: string;
  recordedWith: { durableFunctions: string; engine: string };
  instanceId: string;
  input: unknown;
  /** What the instance had scheduled and not yet seen answered when it was recorded. */
  pending: Array<{ id: number; kind: string; name?: string }>;
  history: HistoryEvent[];
}

function fixturePath(orchestrator: string, point: string): string {
  return join(DIR, orchestrator, `${point}.json`);
}

function allFixtures(): ReplayFixture[] {
  if (!existsSync(DIR)) return [];
  return readdirSync(DIR).flatMap((o) =>
    readdirSync(join(DIR, o))
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(DIR, o, f), 'utf8')) as ReplayFixture),
  );
}

/**
 * Replays a fixture's history against `fn`: the problem an in-flight instance would hit, or undefined. The code must
 * schedule exactly what the history holds, in the same order (no mismatch), and nothing more at the waiting point.
 */
export async function replayFixture(fx: ReplayFixture, fn: Gen): Promise<string | undefined> {
  const label = `${fx.orchestrator}/${fx.point}.json`;
  const history = fx.history.map((e) => ({ ...e, IsPlayed: true }));
  let state;
  try {
    state = await runSdk(fn, history, fx.input, fx.instanceId, fx.orchestrator);
  } catch (e) {
    return `${label}: the orchestrator threw while replaying: ${(e as Error).message}`;
  }
  const r = replayActions(history, state.actions[0] ?? [], REPLAY_OPTIONS, fx.orchestrator);
  if (r.nonDeterminism) return `${label}: ${r.nonDeterminism}`;
  if (r.unsupported) return `${label}: ${r.unsupported}`;
  if (state.error !== undefined) return `${label}: the orchestrator now fails on this history: ${state.error}`;
  if (r.newAllocations.length) {
    return `${label}: at this waiting point the orchestrator now also schedules ${r.newAllocations.map((a) => `${a.kind}${a.name ? ` '${a.name}'` : ''} (id ${a.id})`).join(', ')}, which the recorded instance never did`;
  }
  if (state.isDone)
    return `${label}: the orchestrator now completes on a history where it was waiting on ${fx.waitsOn}`;
  return undefined;
}

if (RECORD)
  describe('record replay fixtures (STAGECRAFT_RECORD_REPLAY_FIXTURES=1)', () => {
    it.each(SCENARIOS.map((s) => [`${s.orchestrator}/${s.point}`, s] as const))('records %s', async (_label, s) => {
      const h = harnessFor(s);
      await h.start();
      if (s.then) await s.then(h);
      expect(h.status, `${s.orchestrator}/${s.point} must be waiting (${h.error ?? ''})`).toBe('Running');
      const scheduled = new Set(h.history.filter((e) => e.EventId >= 0).map((e) => e.EventId));
      const answered = new Set(h.history.map((e) => e.TaskScheduledId ?? e.TimerId).filter((x) => x !== undefined));
      const canceled = new Set(h.lastReplay?.canceledTimerIds ?? []);
      const pending = h.allocations
        .filter((a) => scheduled.has(a.id) && !answered.has(a.id) && !canceled.has(a.id))
        .map((a) => ({ id: a.id, kind: a.kind, ...(a.name ? { name: a.name } : {}) }));
      const fx: ReplayFixture = {
        orchestrator: s.orchestrator,
        point: s.point,
        waitsOn: s.waitsOn,
        recordedWith: { durableFunctions: SDK_VERSION, engine: ENGINE_VERSION },
        instanceId: s.instanceId,
        input: s.input,
        pending,
        history: h.history,
      };
      mkdirSync(join(DIR, s.orchestrator), { recursive: true });
      writeFileSync(fixturePath(s.orchestrator, s.point), `${JSON.stringify(fx, null, 1)}\n`);
    });
  });

if (!RECORD)
  describe('replay fixtures against the current orchestrators', () => {
    const fixtures = allFixtures();

    it('every registered orchestrator has fixtures, and every scenario is recorded', () => {
      const covered = new Set(fixtures.map((f) => f.orchestrator));
      expect(
        [...registeredOrchestrators().keys()].filter((n) => !covered.has(n)),
        'orchestrators without a replay fixture (add a scenario in replay-scenarios.ts and record)',
      ).toEqual([]);
      expect(
        SCENARIOS.filter((s) => !existsSync(fixturePath(s.orchestrator, s.point))).map(
          (s) => `${s.orchestrator}/${s.point}`,
        ),
        'scenarios not recorded yet',
      ).toEqual([]);
    });

    it.each(fixtures.map((f) => [`${f.orchestrator}/${f.point}`, f] as const))(
      '%s replays without non-determinism',
      async (_label, fx) => {
        expect(await replayFixture(fx, orchestratorNamed(fx.orchestrator))).toBeUndefined();
      },
    );
  });

/** Deliberately altered orchestrators: what a careless change looks like to an in-flight instance. */
const renamingActivity = (fn: Gen, from: string, to: string): Gen =>
  function* (context) {
    const d = context.df;
    const original = d.callActivityWithRetry.bind(d);
    d.callActivityWithRetry = (name, retry, input) => original(name === from ? to : name, retry, input);
    return yield* fn(context);
  };
const withStepFirst = (fn: Gen, activity: string): Gen =>
  function* (context) {
    yield context.df.callActivity(activity, null);
    return yield* fn(context);
  };
if (!RECORD)
  describe('the replay check fails on a changed orchestrator, naming the fixture and the mismatch', () => {
    const fixture = (o: string, p: string) => JSON.parse(readFileSync(fixturePath(o, p), 'utf8')) as ReplayFixture;

    it('an activity renamed', async () => {
      const problem = await replayFixture(
        fixture('modelRollback', 'plan'),
        renamingActivity(orchestratorNamed('modelRollback'), 'rollbackPlan', 'rollbackPlanV2'),
      );
      expect(problem).toContain('modelRollback/plan.json');
      expect(problem).toContain(
        "history event 0 is TaskScheduled 'rollbackPlan' but the orchestrator now schedules CallActivity 'rollbackPlanV2'",
      );
    });

    it('a step inserted before the approval wait', async () => {
      const problem = await replayFixture(
        fixture('modelPromotion', 'approval'),
        withStepFirst(orchestratorNamed('modelPromotion'), 'promotionAuditStart'),
      );
      expect(problem).toContain('modelPromotion/approval.json');
      expect(problem).toContain(
        "history event 0 is TaskScheduled 'promotionLoadContext' but the orchestrator now schedules CallActivity 'promotionAuditStart'",
      );
    });

    it('new work scheduled at a recorded waiting point', async () => {
      // retrainingWake altered to audit alongside its timer: the timer keeps id 0, the new activity takes id 1.
      const altered: Gen = function* (context) {
        const input = context.df.getInput<{ dueAt: string; id: string }>();
        yield context.df.Task.all([
          context.df.createTimer(new Date(input.dueAt)),
          context.df.callActivity('retrainingWakeAudit', input.id),
        ]);
        return input.id;
      };
      const problem = await replayFixture(fixture('retrainingWake', 'timer'), altered);
      expect(problem).toContain('retrainingWake/timer.json');
      expect(problem).toContain("now also schedules task 'retrainingWakeAudit' (id 1)");
    });

    it('the unaltered orchestrator replays the same fixtures cleanly (the check is not always failing)', async () => {
      expect(await replayFixture(fixture('modelRollback', 'plan'), orchestratorNamed('modelRollback'))).toBeUndefined();
      expect(
        await replayFixture(fixture('modelPromotion', 'approval'), orchestratorNamed('modelPromotion')),
      ).toBeUndefined();
      expect(
        await replayFixture(fixture('retrainingWake', 'timer'), orchestratorNamed('retrainingWake')),
      ).toBeUndefined();
    });
  });
