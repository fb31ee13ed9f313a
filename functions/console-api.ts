/**
 * The operator console's data API under `/api/console/api/` (view models in shared/console; schemas shared with the
 * browser code in shared/console/schemas.ts). Reads need an identity; actions on runs and dead letters need the
 * operator role and are audited. Approvals are decided and rollbacks requested through the existing API routes.
 */
import { z } from 'zod';
import { TableApprovalStore } from '../shared/approvals/store';
import { deadLettersView, receiptsView, resubmitDeadLetter } from '../shared/console/events';
import { inboxView } from '../shared/console/inbox';
import { modelDetailView, modelsView } from '../shared/console/models';
import { retrainingView } from '../shared/console/retraining';
import { listRunsView, runAction, runDetailView } from '../shared/console/runs';
import {
  DeadLetterParams,
  EventsQuery,
  InboxQuery,
  ResubmitBody,
  RunActionBody,
  RunsViewQuery,
  type EventsView,
  type Me,
} from '../shared/console/schemas';
import { isStagecraftError } from '../shared/errors';
import { aliasHistoryFromEnv } from '../shared/promotion/aliases';
import { listPromotionRecords } from '../shared/promotion/records';
import { services } from '../shared/services';
import { runsSettings } from '../shared/runs/settings';
import { runStepStore } from '../shared/runs/store';
import { actorOf, route } from './lib/route';

const RunIdParams = z.object({ id: z.string().min(1).max(400) });
const ModelParams = z.object({ name: z.string().min(1).max(256) });

route('consoleMe', {
  methods: ['GET'],
  route: 'console/api/me',
  auth: 'identity',
  note: 'any identity: who the console is signed in as, with roles and groups',
  handler: async (ctx) => {
    const i = ctx.caller.identity!;
    const me: Me = { id: i.id, displayName: i.displayName, roles: i.roles, groups: i.groups, via: i.via };
    return { status: 200, jsonBody: me };
  },
});

route('consoleRuns', {
  methods: ['GET'],
  route: 'console/api/runs',
  auth: 'identity',
  note: 'any identity: runs of every workflow, filtered and paged on the server, with counts by status',
  query: RunsViewQuery,
  errorPrefix: 'CONSOLE_RUNS',
  durable: true,
  handler: async (ctx) => ({ status: 200, jsonBody: await listRunsView(ctx.durable(), ctx.query) }),
});

route('consoleRun', {
  methods: ['GET'],
  route: 'console/api/runs/{id}',
  auth: 'identity',
  note: 'any identity: one run, its timeline, links and next steps; inputs and outputs with secrets redacted',
  params: RunIdParams,
  errorPrefix: 'CONSOLE_RUN',
  durable: true,
  handler: async (ctx) => ({
    status: 200,
    jsonBody: await runDetailView(ctx.durable(), runStepStore(runsSettings()), ctx.params.id),
  }),
});

route('consoleRunAction', {
  methods: ['POST'],
  route: 'console/api/runs/{id}/actions',
  auth: 'operator',
  auditAction: 'console.run',
  note: 'role operator/admin: terminate, suspend, resume, restart or purge a run, with a reason; audited',
  params: RunIdParams,
  body: RunActionBody,
  errorPrefix: 'CONSOLE_RUN_ACTION',
  durable: true,
  handler: async (ctx) => {
    const who = actorOf(ctx.caller);
    const entry = { action: `console.run.${ctx.body.action}`, ...who, target: ctx.params.id };
    try {
      const result = await runAction(ctx.durable(), ctx.params.id, ctx.body, who.actor, Date.now());
      await ctx.audit({
        ...entry,
        outcome: 'accepted',
        details: { reason: ctx.body.reason, ...(result.newRunId ? { newRunId: result.newRunId } : {}) },
      });
      return { status: 200, jsonBody: result };
    } catch (e) {
      await ctx.audit({
        ...entry,
        outcome: isStagecraftError(e) && e.status < 500 ? 'refused' : 'failed',
        reason: isStagecraftError(e) ? e.code : 'INTERNAL',
        details: { reason: ctx.body.reason },
      });
      throw e;
    }
  },
});

route('consoleInbox', {
  methods: ['GET'],
  route: 'console/api/inbox',
  auth: 'approver',
  note: 'requests the caller may see (same rule as GET /api/approvals) with validations and whether they may vote',
  query: InboxQuery,
  errorPrefix: 'CONSOLE_INBOX',
  handler: async (ctx) => ({
    status: 200,
    jsonBody: await inboxView(TableApprovalStore.fromEnv(), ctx.caller.identity!, ctx.query, Date.now()),
  }),
});

async function lastRecord(model: string) {
  const all = await listPromotionRecords(model);
  return all.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))[0];
}

route('consoleModels', {
  methods: ['GET'],
  route: 'console/api/models',
  auth: 'identity',
  note: 'any identity: registered models with aliases and their last promotion outcome',
  handler: async () => ({ status: 200, jsonBody: { models: await modelsView(services().mlflow(), lastRecord) } }),
});

route('consoleModel', {
  methods: ['GET'],
  route: 'console/api/models/{name}',
  auth: 'identity',
  note: 'any identity: versions with aliases, validation and promotion outcome; alias history',
  params: ModelParams,
  errorPrefix: 'CONSOLE_MODEL',
  handler: async (ctx) => ({
    status: 200,
    jsonBody: await modelDetailView(
      ctx.params.name,
      services().mlflow(),
      await listPromotionRecords(ctx.params.name),
      aliasHistoryFromEnv(),
    ),
  }),
});

route('consoleRetraining', {
  methods: ['GET'],
  route: 'console/api/retraining',
  auth: 'identity',
  note: "any identity: each model's retraining coordinator (decisions, cooldown, running run) and recent runs",
  durable: true,
  handler: async (ctx) => ({ status: 200, jsonBody: await retrainingView(ctx.durable()) }),
});

route('consoleEvents', {
  methods: ['GET'],
  route: 'console/api/events',
  auth: 'identity',
  note: 'any identity: intake receipts and Service Bus dead letters (bodies redacted)',
  query: EventsQuery,
  errorPrefix: 'CONSOLE_EVENTS',
  handler: async (ctx) => {
    const receipts = services().records().receipts;
    const view: EventsView = {
      receipts: await receiptsView((s, n) => receipts.listReceipts(s, n), ctx.query.outcome, ctx.query.limit),
      deadLetters: [],
    };
    try {
      view.deadLetters = await deadLettersView(services().serviceBus(), services().serviceBusConfig().topicName);
    } catch (e) {
      ctx.context.warn('dead letters not readable', { error: (e as Error).message });
      view.deadLetterError = 'dead letters could not be read from Service Bus (see the app log)';
    }
    return { status: 200, jsonBody: view };
  },
});

route('consoleResubmit', {
  methods: ['POST'],
  route: 'console/api/deadletters/{subscription}/{seq}/resubmit',
  auth: 'operator',
  auditAction: 'console.deadletter',
  note: 'role operator/admin: sends a dead-lettered message to the topic again (new message id); audited',
  params: DeadLetterParams,
  body: ResubmitBody,
  errorPrefix: 'CONSOLE_RESUBMIT',
  handler: async (ctx) => {
    const who = actorOf(ctx.caller);
    const entry = {
      action: 'console.deadletter.resubmit',
      ...who,
      target: `${ctx.params.subscription}/${ctx.params.seq}`,
    };
    try {
      const r = await resubmitDeadLetter(
        services().serviceBus(),
        services().serviceBusConfig().topicName,
        ctx.params.subscription,
        ctx.params.seq,
        Date.now(),
      );
      await ctx.audit({
        ...entry,
        outcome: 'accepted',
        details: {
          newMessageId: r.newMessageId,
          ...(r.subject ? { subject: r.subject } : {}),
          ...(r.originalMessageId ? { messageId: r.originalMessageId } : {}),
          ...(ctx.body.reason ? { reason: ctx.body.reason } : {}),
        },
      });
      return { status: 200, jsonBody: r };
    } catch (e) {
      await ctx.audit({
        ...entry,
        outcome: isStagecraftError(e) && e.status < 500 ? 'refused' : 'failed',
        reason: isStagecraftError(e) ? e.code : 'INTERNAL',
      });
      throw e;
    }
  },
});
