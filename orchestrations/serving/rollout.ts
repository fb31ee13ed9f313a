/**
 * `servingRollout`: put a model version on a serving endpoint, with a canary split and an A/B gate.
 *
 * read (before) → [split: serving champion 100-p %, new version p %] → wait → hold (durable timer) → gate (ab-test
 * checks on live traffic) → full (new version 100 %) → wait. Every wait polls `state.config_update` with durable
 * timers, bounded by rollout.updateTimeout. Any failure (update failed/cancelled, timeout, gate failed) puts the
 * `before` config back and waits for it; the output keeps before, after and every phase.
 * A new endpoint, a serving champion of the same version, challengerTraffic 0 or a rollback (`direct`) skip the
 * split and the gate. Never throws for an outcome: activity errors become a FAILED rollout (after a restore).
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { parseDuration } from '../../shared/decisions/duration';
import { dateAt } from '../../shared/jobs/time';
import type { CheckEvaluation } from '../../shared/promotion/checks';
import type { RecordValidationInput } from '../../shared/promotion/messages';
import type { ValidationResult } from '../../shared/promotion/types';
import { fullConfig, inputOf, sameServing, servingChampion, splitConfig } from '../../shared/serving/config';
import {
  SERVING_ROLLOUT,
  type ConfigInput,
  type ServingAbTestInput,
  type ServingApplyInput,
  type ServingPhase,
  type ServingRollout,
  type ServingRolloutInput,
  type ServingState,
} from '../../shared/serving/types';
import { PromotionActivities as PA } from '../contracts/promotion';
import { ServingActivities as SA } from '../contracts/serving';
import { call } from '../lib/typed';

const retry = new df.RetryOptions(2_000, 4);
retry.backoffCoefficient = 2;

function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m
    .replace(/^Activity function '[^']*' failed:\s*/, '')
    .split('\n')[0]!
    .trim()
    .slice(0, 500);
}

function* servingRollout(context: OrchestrationContext): Generator<Task, ServingRollout, unknown> {
  const input = context.df.getInput<ServingRolloutInput>();
  const { deploy, endpoint, model } = input;
  const runner = deploy.runner;
  const entityName = deploy.entityName ?? model.name;
  const nowMs = () => context.df.currentUtcDateTime.getTime();
  const iso = () => context.df.currentUtcDateTime.toISOString();
  const phases: ServingPhase[] = [];
  const phase = (p: ServingPhase['phase'], outcome: ServingPhase['outcome'], detail?: string) => {
    phases.push({ phase: p, at: iso(), outcome, ...(detail ? { detail } : {}) });
    context.df.setCustomStatus({ step: 'serving', phase: p, outcome, endpoint });
  };
  const updateTimeoutMs = parseDuration(deploy.rollout.updateTimeout);
  const pollMs = Math.max(1000, parseDuration(deploy.rollout.pollEvery));

  /** Applies a config and waits (bounded) until the update finished; returns the final state or why not. */
  const applyAndWait = function* (
    config: ConfigInput,
    create: boolean,
  ): Generator<Task, { ok: true; state: ServingState } | { ok: false; reason: string; timedOut?: boolean }, unknown> {
    const applyInput: ServingApplyInput = { endpoint, runner, config, create };
    let state: ServingState;
    try {
      state = yield* call(context, SA.apply, applyInput, retry);
    } catch (e) {
      return { ok: false, reason: `config update refused: ${errorText(e)}` };
    }
    const deadline = nowMs() + updateTimeoutMs;
    for (;;) {
      if (state.progress === 'done') return { ok: true, state };
      if (state.progress === 'failed')
        return { ok: false, reason: `config update ended ${state.configUpdate ?? 'failed'}` };
      if (nowMs() >= deadline)
        return {
          ok: false,
          reason: `config update still ${state.configUpdate ?? 'in progress'} after ${deploy.rollout.updateTimeout}`,
          timedOut: true,
        };
      yield context.df.createTimer(dateAt(Math.min(deadline, nowMs() + pollMs)));
      try {
        state = yield* call(context, SA.read, { endpoint, runner }, retry);
      } catch (e) {
        return { ok: false, reason: `endpoint state unreadable: ${errorText(e)}` };
      }
    }
  };

  let before: ServingState;
  try {
    before = yield* call(context, SA.read, { endpoint, runner }, retry);
  } catch (e) {
    phase('read', 'failed', errorText(e));
    return {
      endpoint,
      runner,
      state: 'FAILED',
      reason: `endpoint ${endpoint} unreadable: ${errorText(e)}`,
      before: null,
      after: null,
      phases,
      ab: [],
    };
  }
  phase(
    'read',
    'ok',
    before.exists ? `config version ${before.snapshot?.configVersion ?? '?'}` : 'endpoint does not exist yet',
  );
  const champion = servingChampion(before.snapshot);
  const out: ServingRollout = {
    endpoint,
    runner,
    state: 'SUCCEEDED',
    reason: '',
    before: before.snapshot,
    after: null,
    phases,
    ab: [],
    ...(champion ? { championVersion: champion.entity_version } : {}),
  };

  /** Failure path: put `before` back (when there was one and it is not what serves now). */
  const fail = function* (state: ServingRollout['state'], reason: string): Generator<Task, ServingRollout, unknown> {
    out.state = state;
    out.reason = reason;
    if (!before.snapshot) {
      phase('restore', 'skipped', 'no previous config (new endpoint)');
    } else {
      let current: ServingState | undefined;
      try {
        current = yield* call(context, SA.read, { endpoint, runner }, retry);
      } catch {
        current = undefined;
      }
      if (current && current.progress !== 'in-progress' && sameServing(current.snapshot, before.snapshot)) {
        out.restored = true;
        phase('restore', 'ok', 'the previous config is still serving');
      } else {
        const r = yield* applyAndWait(inputOf(before.snapshot), false);
        out.restored = r.ok;
        phase('restore', r.ok ? 'ok' : 'failed', r.ok ? 'previous config restored' : r.reason);
        if (r.ok) out.after = r.state.snapshot;
      }
    }
    if (!out.after) {
      try {
        out.after = (yield* call(context, SA.read, { endpoint, runner }, retry)).snapshot;
      } catch {
        out.after = null;
      }
    }
    return out;
  };

  const direct =
    input.direct === true ||
    !before.exists ||
    !champion ||
    champion.entity_version === model.version ||
    champion.entity_name !== entityName ||
    deploy.rollout.challengerTraffic === 0;

  if (!direct) {
    const pct = deploy.rollout.challengerTraffic;
    out.challengerTraffic = pct;
    const split = yield* applyAndWait(splitConfig(deploy, champion, entityName, model.version, pct), false);
    if (!split.ok) {
      phase('split', 'failed', split.reason);
      return yield* fail(split.timedOut ? 'TIMED_OUT' : 'FAILED', split.reason);
    }
    phase('split', 'ok', `v${champion.entity_version} ${100 - pct}%, v${model.version} ${pct}%`);
    const since = iso();
    yield context.df.createTimer(dateAt(nowMs() + parseDuration(deploy.rollout.hold)));
    phase('hold', 'ok', deploy.rollout.hold);

    for (const [id, check] of input.abChecks) {
      const startedAt = iso();
      const abInput: ServingAbTestInput = {
        endpoint,
        id,
        check,
        championVersion: champion.entity_version,
        challengerVersion: model.version,
        since,
      };
      let evaluation: CheckEvaluation;
      let attempts = 1;
      try {
        const opts = new df.RetryOptions(Math.max(1000, parseDuration(check.backoff)), check.retries + 1);
        attempts = check.retries + 1;
        evaluation = yield* call(context, SA.abTest, abInput, opts);
      } catch (e) {
        evaluation = { status: 'error', message: `the A/B query could not run: ${errorText(e)}` };
      }
      const result: ValidationResult = {
        id,
        type: 'ab-test',
        severity: check.severity,
        ...evaluation,
        startedAt,
        finishedAt: iso(),
        attempts,
      };
      out.ab.push(result);
      const rec: RecordValidationInput = {
        promotionInstanceId: input.promotionInstanceId,
        model: model.name,
        version: model.version,
        result,
      };
      try {
        yield* call(context, PA.recordValidation, rec, retry);
      } catch {
        // The promotion record carries the result too.
      }
    }
    const blocking = out.ab.filter((r) => r.severity === 'blocking' && r.status !== 'passed');
    if (blocking.length) {
      const why = `A/B gate failed: ${blocking.map((r) => `${r.id}: ${r.message}`).join('; ')}`.slice(0, 1000);
      phase('gate', 'failed', why);
      return yield* fail('GATE_FAILED', why);
    }
    phase(
      'gate',
      input.abChecks.length ? 'ok' : 'skipped',
      input.abChecks.length ? `${input.abChecks.length} check(s) passed` : 'no ab-test checks',
    );
  }

  const full = yield* applyAndWait(fullConfig(deploy, entityName, model.version), !before.exists);
  if (!full.ok) {
    phase('full', 'failed', full.reason);
    return yield* fail(full.timedOut ? 'TIMED_OUT' : 'FAILED', full.reason);
  }
  phase('full', 'ok', `v${model.version} 100%`);
  out.after = full.state.snapshot;
  out.reason = direct
    ? `v${model.version} serves 100% on ${endpoint}`
    : `v${model.version} passed the A/B gate and serves 100% on ${endpoint}`;
  return out;
}

df.app.orchestration(SERVING_ROLLOUT, servingRollout);
