/**
 * Databricks job run notifications (generic webhook notification destinations). The payload is small and has no
 * result state: `{event_type: "jobs.on_success"|"jobs.on_failure"|..., workspace_id, run: {run_id[, parent_run_id]},
 * job: {job_id, name}[, task: {task_key}]}`. Ids may arrive as strings or numbers; they are kept as strings.
 * Authentication: the destination's basic-auth user name/password (no signature is documented).
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events';
import { BasicAuthVerifier, fail, type Verifier } from '../verifiers';
import { list, optionalText } from '../../setting-values';
import { defineSource, type ParseOutcome } from './types';
import { event, eventsOf, ignored, parseWith } from './util';

const SOURCE = '/stagecraft/intake/databricks-jobs';
const id = z.union([z.string().min(1), z.number().int()]).transform(String);

const Notification = z.looseObject({
  event_type: z.string().min(1),
  workspace_id: id.optional(),
  run: z.looseObject({ run_id: id, parent_run_id: id.optional() }),
  job: z.looseObject({ job_id: id, name: z.string().optional() }),
  task: z.looseObject({ task_key: z.string().min(1) }).optional(),
});

const OUTCOME: Record<string, 'success' | 'failure'> = { 'jobs.on_success': 'success', 'jobs.on_failure': 'failure' };

export const databricksJobsSource = defineSource({
  name: 'databricks-jobs',
  eventSource: SOURCE,
  http: {
    route: 'webhooks/databricks-jobs',
    methods: ['POST'],
    auth: 'signature',
    note: 'the intake verifies the sender (signature, shared secret or basic auth) before parsing',
    security: 'Databricks job notifications: basic auth (`DATABRICKS_JOBS_WEBHOOK_*`)',
  },
  settings: {
    key: 'databricksJobs',
    env: {
      DATABRICKS_JOBS_WEBHOOK_USERNAME: {
        schema: optionalText,
        description: 'Basic-auth user name configured on the Databricks notification destination.',
      },
      DATABRICKS_JOBS_WEBHOOK_PASSWORDS: {
        schema: list,
        secret: true,
        description: 'Basic-auth passwords of the Databricks notification destination, comma-separated for rotation.',
      },
    },
    check: (v) =>
      v.DATABRICKS_JOBS_WEBHOOK_USERNAME !== undefined && v.DATABRICKS_JOBS_WEBHOOK_PASSWORDS.length === 0
        ? [
            {
              setting: 'DATABRICKS_JOBS_WEBHOOK_PASSWORDS',
              problem: 'DATABRICKS_JOBS_WEBHOOK_USERNAME is set but no password is',
            },
          ]
        : [],
    toConfig: (v) => ({ username: v.DATABRICKS_JOBS_WEBHOOK_USERNAME, passwords: v.DATABRICKS_JOBS_WEBHOOK_PASSWORDS }),
  },
  verifier: (c): Verifier => {
    if (c.username === undefined)
      return {
        scheme: 'basic-auth',
        verify: () => fail('INTAKE_SOURCE_NOT_CONFIGURED', 'no basic-auth credentials are configured for this source'),
      };
    return new BasicAuthVerifier({ username: c.username, passwords: c.passwords });
  },
  deliveryId: (_request, body) => {
    const b = body as { event_type?: unknown; run?: { run_id?: unknown } } | null;
    const runId = b?.run?.run_id;
    return typeof b?.event_type === 'string' && (typeof runId === 'string' || typeof runId === 'number')
      ? `${b.event_type}:${String(runId)}`
      : undefined;
  },
  parse(body, ctx): ParseOutcome {
    const p = parseWith(Notification, body, 'Databricks job notification');
    if (!p.ok) return p.outcome;
    const n = p.value;
    const outcome = OUTCOME[n.event_type];
    if (outcome === undefined) return ignored(`${n.event_type}: only run completion (on_success, on_failure) is used`);
    const data: Record<string, unknown> = { provider: 'databricks', jobId: n.job.job_id, runId: n.run.run_id, outcome };
    if (n.run.parent_run_id !== undefined) data.parentRunId = n.run.parent_run_id;
    if (n.task) data.taskKey = n.task.task_key;
    if (n.job.name !== undefined) data.jobName = n.job.name;
    if (n.workspace_id !== undefined) data.workspaceId = n.workspace_id;
    return eventsOf(() => [event(EVENT_TYPES.jobFinished, data, SOURCE, ctx)]);
  },
});
