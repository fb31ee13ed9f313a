/**
 * Activities of the retraining coordinator: read rules and approval state, write decision records, arm
 * wake-ups, start runs, raise triggers. All idempotent (deterministic ids, upserts by key).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { enqueueSink } from '../../../shared/sink';
import { TableApprovalStore } from '../../../shared/approvals/store';
import { instanceIdFor } from '../../../shared/router/instance-id';
import { durablePortFor } from '../../../shared/durable/durable-functions';
import { TERMINAL_RUNTIME_STATUSES } from '../../../shared/durable/port';
import { runsSettings } from '../../../shared/runs/settings';
import { runStepStore } from '../../../shared/runs/store';
import type { BeginInput, BeginResult, EffectsInput, WakeInput } from '../../../shared/retraining/contract';
import { RETRAINING } from '../../../shared/retraining/names';
import { loadRetrainingPolicy } from '../../../shared/retraining/policy';
import { decisionStep } from '../../../shared/retraining/records';
import { RETRAIN_TRIGGER_EVENT } from '../../../shared/retraining/trigger';
import { recordRetrainingDecisions } from '../../../shared/telemetry/metrics';
import { RetrainingActivities } from '../../contracts/retraining';
import { registerActivity } from '../register';

const client = df.input.durableClient();

async function pendingApproval(model: string, ctx: InvocationContext): Promise<{ requestId: string } | undefined> {
  const settings = runsSettings();
  if (!settings.storage) {
    ctx.warn('approval state unknown: no storage configured; treating as none pending', { model });
    return undefined;
  }
  const store = TableApprovalStore.fromEnv();
  const pending = (await store.list({ status: 'pending', model, limit: 10 })).filter(
    (r) => r.kind === 'model-promotion',
  );
  return pending[0] ? { requestId: pending[0].approvalId } : undefined;
}

registerActivity(RetrainingActivities.begin, {
  handler: async (input: BeginInput, ctx: InvocationContext): Promise<BeginResult> => {
    const settings = runsSettings();
    await runStepStore(settings).upsert(input.records.map((r) => decisionStep(input.coordinatorId, r)));
    recordRetrainingDecisions(input.coordinatorId, input.records);
    await enqueueSink(
      input.records.map((r) => {
        const st = decisionStep(input.coordinatorId, r);
        return {
          kind: 'retraining-decision' as const,
          key: `${st.instanceId}:${st.name}`,
          model: input.model,
          instanceId: st.instanceId,
          recordedAt: st.at,
          payload: st,
        };
      }),
      process.env,
      (m) => ctx.warn(m),
    );
    const policy = await loadRetrainingPolicy(settings.policyPath, input.model);
    const result: BeginResult = {};
    if (policy.ok) {
      result.rules = policy.rules;
      result.cooldownMs = policy.cooldownMs;
    } else {
      result.note = `${policy.code}: ${policy.message}`;
      ctx.warn('retraining rules unavailable', { model: input.model, code: policy.code });
    }
    const pending = await pendingApproval(input.model, ctx);
    if (pending) result.pendingApproval = pending;
    return result;
  },
});

registerActivity(RetrainingActivities.approvalState, {
  handler: async (input: { model: string }, ctx: InvocationContext) => {
    const pending = await pendingApproval(input.model, ctx);
    return pending ? { pendingApproval: pending } : {};
  },
});

registerActivity(RetrainingActivities.effects, {
  extraInputs: [client],
  handler: async (input: EffectsInput, ctx: InvocationContext) => {
    const durable = durablePortFor(ctx);
    const settings = runsSettings();
    const store = runStepStore(settings);
    const steps = input.records.map((r) => decisionStep(input.coordinatorId, r));
    if (input.startRun) {
      const s = input.startRun;
      steps.push({
        instanceId: s.runId,
        name: 'requested',
        at: new Date().toISOString(),
        workflow: RETRAINING.run,
        kind: 'retraining.requested',
        status: 'started',
        title: `retraining of ${s.model} started by a ${s.triggerKind} trigger: ${s.reason}`,
        data: s,
      });
    }
    await store.upsert(steps);
    recordRetrainingDecisions(input.coordinatorId, input.records);
    for (const w of input.wakes) {
      const wake: WakeInput = { coordinatorId: input.coordinatorId, id: w.id, dueAt: w.dueAt };
      await durable.startOnce(RETRAINING.wake, instanceIdFor('retrainingWake', input.model, w.id), wake);
    }
    if (input.startRun) {
      const started = (await durable.startOnce(RETRAINING.run, input.startRun.runId, input.startRun)) === 'started';
      ctx.info('retraining run', { model: input.model, runId: input.startRun.runId, started });
    }
    return { records: steps.length, wakes: input.wakes.length };
  },
});

registerActivity(RetrainingActivities.runStatus, {
  extraInputs: [client],
  handler: async (input: { runId: string }, ctx: InvocationContext) => {
    const st = await durablePortFor(ctx).status(input.runId);
    if (!st) return { finished: true, outcome: 'MISSING' };
    if (!TERMINAL_RUNTIME_STATUSES.has(st.runtimeStatus)) return { finished: false };
    const out = st.output as { outcome?: unknown } | null | undefined;
    return {
      finished: true,
      outcome: typeof out?.outcome === 'string' ? out.outcome : String(st.runtimeStatus).toUpperCase(),
    };
  },
});

registerActivity(RetrainingActivities.raise, {
  extraInputs: [client],
  handler: async (input: { instanceId: string; payload: unknown }, ctx: InvocationContext) => {
    // A coordinator that has finished drops the trigger (as before); a missing one fails the activity.
    if ((await durablePortFor(ctx).raise(input.instanceId, RETRAIN_TRIGGER_EVENT, input.payload)) === 'not-found')
      throw new Error(`no coordinator ${input.instanceId}`);
    return true;
  },
});
