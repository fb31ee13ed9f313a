/**
 * Databricks job run notifications (generic webhook notification destinations). The payload is small and has no
 * result state: `{event_type: "jobs.on_success"|"jobs.on_failure"|..., workspace_id, run: {run_id[, parent_run_id]},
 * job: {job_id, name}[, task: {task_key}]}`. Ids may arrive as strings or numbers; they are kept as strings.
 * Authentication: the destination's basic-auth user name/password (no signature is documented).
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events';
import { BasicAuthVerifier, fail, type Verifier } from '../verifiers';
import type { IntakeSource, ParseOutcome } from './types';
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

export const databricksJobsSource: IntakeSource = {
  name: 'databricks-jobs',
  eventSource: SOURCE,
  verifier: (config): Verifier => {
    const c = config.intake.databricksJobs;
    if (c.username === undefined) return { scheme: 'basic-auth', verify: () => fail('INTAKE_SOURCE_NOT_CONFIGURED', 'no basic-auth credentials are configured for this source') };
    return new BasicAuthVerifier({ username: c.username, passwords: c.passwords });
  },
  deliveryId: (_request, body) => {
    const b = body as { event_type?: unknown; run?: { run_id?: unknown } } | null;
    const runId = b?.run?.run_id;
    return typeof b?.event_type === 'string' && (typeof runId === 'string' || typeof runId === 'number') ? `${b.event_type}:${String(runId)}` : undefined;
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
};
