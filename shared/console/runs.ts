/**
 * Server-side view models of the console's runs views: a filtered, paginated listing with counts by status over
 * time, and one run's detail (reusing shared/runs/query getRun) with secrets redacted, step durations, links and
 * what to do next. Plus operator actions on a run (the route audits them).
 */
import { TERMINAL_RUNTIME_STATUSES, type DurablePort } from '../durable/port';
import { ConflictError, NotFoundError } from '../errors';
import { getRun, matches, summarize, WORKFLOW_ALIASES, type RunSummary, type TimelineEntry } from '../runs/query';
import type { RunStepStore } from '../runs/store';
import { redact, redactText } from './redact';
import type {
  ConsoleLink,
  RunAction,
  RunActionBody,
  RunActionResult,
  RunDetailView,
  RunHint,
  RunsView,
  RunsViewQuery,
  StatusBucket,
} from './schemas';

const BUCKET_SIZES = [60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000, 7 * 86_400_000];
const MAX_BUCKETS = 48;

function textMatch(r: RunSummary, q: string): boolean {
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return [r.id, r.workflow, r.model, r.repo, r.commit, r.step, r.status].some((v) => v?.toLowerCase().includes(needle));
}

/** Filters, sorts newest first, counts and pages. Pure (tested without a host). */
export function runsView(all: readonly RunSummary[], q: RunsViewQuery): RunsView {
  const fromMs = q.from ? Date.parse(q.from) : undefined;
  const toMs = q.to ? Date.parse(q.to) : undefined;
  const base = { workflow: q.workflow, model: q.model, repo: undefined, status: undefined, limit: q.limit };
  const workflows = new Set<string>();
  const inScope: RunSummary[] = [];
  for (const r of all) {
    workflows.add(r.workflow);
    if (!matches(r, base)) continue;
    const t = Date.parse(r.createdTime);
    if (fromMs !== undefined && !(t >= fromMs)) continue;
    if (toMs !== undefined && !(t <= toMs)) continue;
    if (q.q && !textMatch(r, q.q)) continue;
    inScope.push(r);
  }
  // Counts ignore the status filter (so the chart shows what the filter hides); the list honours it.
  const byStatus: Record<string, number> = {};
  for (const r of inScope) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const wanted = q.status
    ? new Set(
        q.status
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean),
      )
    : undefined;
  const listed = wanted ? inScope.filter((r) => wanted.has(r.status.toLowerCase())) : inScope;
  listed.sort((a, b) =>
    a.createdTime < b.createdTime ? 1 : a.createdTime > b.createdTime ? -1 : a.id < b.id ? 1 : -1,
  );
  const { buckets, bucketMs } = statusBuckets(inScope, fromMs, toMs);
  return {
    runs: listed.slice(q.offset, q.offset + q.limit),
    total: listed.length,
    offset: q.offset,
    limit: q.limit,
    byStatus,
    buckets,
    bucketMs,
    workflows: [...workflows].filter(Boolean).sort(),
  };
}

export function statusBuckets(
  runs: readonly RunSummary[],
  fromMs?: number,
  toMs?: number,
): { buckets: StatusBucket[]; bucketMs: number } {
  const times = runs.map((r) => Date.parse(r.createdTime)).filter((t) => Number.isFinite(t));
  if (times.length === 0) return { buckets: [], bucketMs: BUCKET_SIZES[0]! };
  const lo = fromMs ?? Math.min(...times);
  const hi = toMs ?? Math.max(...times);
  const span = Math.max(1, hi - lo);
  const bucketMs = BUCKET_SIZES.find((b) => span / b <= MAX_BUCKETS) ?? BUCKET_SIZES[BUCKET_SIZES.length - 1]!;
  const start = Math.floor(lo / bucketMs) * bucketMs;
  const n = Math.min(MAX_BUCKETS + 1, Math.floor((hi - start) / bucketMs) + 1);
  const buckets: StatusBucket[] = Array.from({ length: n }, (_, i) => ({
    start: new Date(start + i * bucketMs).toISOString(),
    counts: {},
  }));
  for (const r of runs) {
    const t = Date.parse(r.createdTime);
    const i = Math.floor((t - start) / bucketMs);
    const b = buckets[i];
    if (b) b.counts[r.status] = (b.counts[r.status] ?? 0) + 1;
  }
  return { buckets, bucketMs };
}

const MODEL_KEYED = new Set(['promotion', 'rollback', 'retraining', 'retrainingRun']);

function unescapePart(p: string): string {
  try {
    return decodeURIComponent(p.replace(/~([0-9A-F]{2})/g, '%$1'));
  } catch {
    return p;
  }
}

/**
 * Listings carry no inputs (as in Azure), so a run whose custom status names no model gets it from its instance id
 * when the id is model-keyed (shared/router/instance-id: `promotion:<model>:<version>`, `rollback:<model>:...`).
 */
export function withModelFromId(r: RunSummary): RunSummary {
  if (r.model) return r;
  const parts = r.id.split(':');
  if (parts.length >= 2 && MODEL_KEYED.has(parts[0]!) && parts[1] !== 'sha256')
    return { ...r, model: unescapePart(parts[1]!) };
  return r;
}

export async function listRunsView(durable: Pick<DurablePort, 'listAll'>, q: RunsViewQuery): Promise<RunsView> {
  const all = await durable.listAll();
  return runsView(
    all.map((s) => withModelFromId(summarize(s))),
    q,
  );
}

const get = (v: unknown, k: string): unknown =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Durations: each step's time until the next entry (the last one until the run's last update when still running). */
function withDurations(
  timeline: readonly TimelineEntry[],
  endAt: string | undefined,
): Array<TimelineEntry & { durationMs?: number }> {
  return timeline.map((e, i) => {
    const next = timeline[i + 1]?.at ?? endAt;
    const d = next ? Date.parse(next) - Date.parse(e.at) : NaN;
    const redacted = { ...e, title: redactText(e.title), ...(e.data !== undefined ? { data: redact(e.data) } : {}) };
    return Number.isFinite(d) && d >= 0 ? { ...redacted, durationMs: d } : redacted;
  });
}

export function actionsFor(status: string): RunAction[] {
  if (status === 'Running' || status === 'Pending') return ['terminate', 'suspend'];
  if (status === 'Suspended') return ['resume', 'terminate'];
  if (TERMINAL_RUNTIME_STATUSES.has(status)) return ['restart', 'purge'];
  if (status === 'Purged') return [];
  return ['terminate'];
}

function errorOf(output: unknown, custom: unknown): string | undefined {
  if (typeof output === 'string' && output) return output;
  return (
    str(get(output, 'error')) ??
    str(get(get(output, 'error'), 'message')) ??
    str(get(output, 'message')) ??
    str(get(custom, 'error'))
  );
}

export function hintsFor(view: Pick<RunDetailView, 'run' | 'customStatus' | 'output' | 'error'>): RunHint[] {
  const hints: RunHint[] = [];
  const s = view.run.status;
  const step = str(get(view.customStatus, 'step'));
  if (s === 'Failed') {
    hints.push({ level: 'error', text: `The run failed${view.error ? `: ${view.error.slice(0, 300)}` : ''}.` });
    hints.push({
      level: 'info',
      text: 'Fix the cause (see the failed step in the timeline), then Restart to run it again with the same input.',
    });
  }
  if (s === 'Terminated')
    hints.push({
      level: 'warn',
      text: 'The run was terminated; nothing further happens. Restart runs it again with the same input.',
    });
  if (s === 'Suspended')
    hints.push({
      level: 'warn',
      text: 'The run is suspended: it holds its place and resumes where it stopped when you Resume it.',
    });
  if ((s === 'Running' || s === 'Pending') && step === 'approval')
    hints.push({ level: 'info', text: 'Waiting for approval: decide in the Approvals inbox.' });
  const outcome = str(get(view.customStatus, 'outcome')) ?? str(get(view.output, 'outcome'));
  const reason = str(get(view.output, 'reason')) ?? str(get(view.customStatus, 'reason'));
  if (s === 'Completed' && outcome && !['promoted', 'succeeded', 'completed', 'rolled-back'].includes(outcome)) {
    hints.push({ level: 'warn', text: `Outcome ${outcome}${reason ? `: ${reason}` : ''}.` });
  }
  return hints;
}

function consoleLinks(view: Pick<RunDetailView, 'run' | 'customStatus' | 'rawLinks'>): ConsoleLink[] {
  const out: ConsoleLink[] = [];
  for (const l of view.rawLinks)
    out.push({ rel: l.rel, label: `${l.rel}: ${l.id}`, href: `#/runs/${encodeURIComponent(l.id)}` });
  const approvalId = str(get(view.customStatus, 'approvalId'));
  if (approvalId)
    out.push({
      rel: 'approval',
      label: `approval ${approvalId}`,
      href: `#/approvals?id=${encodeURIComponent(approvalId)}`,
    });
  if (view.run.model)
    out.push({
      rel: 'model',
      label: `model ${view.run.model}`,
      href: `#/models/${encodeURIComponent(view.run.model)}`,
    });
  return out;
}

export async function runDetailView(
  durable: Pick<DurablePort, 'status'>,
  store: RunStepStore,
  id: string,
): Promise<RunDetailView> {
  const d = await getRun(durable, store, id);
  const running = !TERMINAL_RUNTIME_STATUSES.has(d.run.status);
  const timeline = withDurations(d.timeline, running ? undefined : d.run.lastUpdatedTime);
  const error = errorOf(d.output, d.customStatus);
  const base = {
    run: d.run,
    input: redact(d.input),
    output: redact(d.output),
    customStatus: redact(d.customStatus),
    rawLinks: d.links,
    ...(error ? { error: redactText(error) } : {}),
  };
  return { ...base, timeline, links: consoleLinks(base), hints: hintsFor(base), actions: actionsFor(d.run.status) };
}

/** The operator's action on a run. Throws NotFound/Conflict with what to do instead. */
export async function runAction(
  durable: DurablePort,
  id: string,
  body: RunActionBody,
  actor: string,
  nowMs: number,
): Promise<RunActionResult> {
  const st = await durable.status(id, { showInput: true });
  if (!st) throw new NotFoundError('RUN_NOT_FOUND', `no run with id '${id}'`, { details: { id } });
  const status = st.runtimeStatus;
  const allowed = actionsFor(status);
  if (!allowed.includes(body.action)) {
    throw new ConflictError(
      'RUN_ACTION_NOT_ALLOWED',
      `cannot ${body.action} a ${status} run (possible: ${allowed.join(', ') || 'none'})`,
      { details: { status, allowed } },
    );
  }
  const reason = `${body.reason} (by ${actor} in the console)`;
  switch (body.action) {
    case 'terminate':
      await durable.terminate(id, reason);
      return { action: body.action, id, message: `termination of ${id} requested` };
    case 'suspend':
      await durable.suspend(id, reason);
      return { action: body.action, id, message: `suspension of ${id} requested` };
    case 'resume':
      await durable.resume(id, reason);
      return { action: body.action, id, message: `resumption of ${id} requested` };
    case 'purge':
      await durable.purge(id);
      return { action: body.action, id, message: `history of ${id} purged` };
    case 'restart': {
      const newRunId = `${id.slice(0, 80)}-restart-${nowMs.toString(36)}`;
      if ((await durable.startOnce(st.name, newRunId, st.input)) === 'exists') {
        throw new ConflictError('RUN_ACTION_NOT_ALLOWED', `a restart ${newRunId} already exists`, {
          details: { status, newRunId },
        });
      }
      return { action: body.action, id, newRunId, message: `started ${newRunId} with the same input` };
    }
  }
}

export { WORKFLOW_ALIASES };
