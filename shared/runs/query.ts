/**
 * Run listings and timelines for `GET /api/runs`, `GET /api/runs/{id}` and `stagecraft runs`, from the durable
 * instance store (status, input, custom status, history) joined with the run-step records.
 */
import { z } from 'zod';
import type { DurablePort, InstanceStatus } from '../durable/port';
import { NotFoundError } from '../errors';
import { validationErrorFrom } from '../events';
import type { RunStep, RunStepStore } from './store';

/** Short names users type for the workflows. */
export const WORKFLOW_ALIASES: Record<string, string> = {
  ci: 'ciPipeline',
  release: 'releaseDeployment',
  retraining: 'retrainingCoordinator',
  retrain: 'retrainingRun',
  promotion: 'modelPromotion',
  rollback: 'modelRollback',
  job: 'scheduledJob',
  jobs: 'scheduledJob',
};
/** Plumbing instances hidden from listings unless asked for by workflow name. */
const INTERNAL = new Set(['runJob', 'retrainingWake']);

export const RunsQuery = z.strictObject({
  workflow: z.string().min(1).max(100).optional(),
  model: z.string().min(1).max(256).optional(),
  repo: z.string().min(1).max(256).optional(),
  status: z
    .string()
    .regex(/^[A-Za-z,]+$/, { message: 'must be runtime statuses such as Running,Completed,Failed' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  // Paging (shared/runs/query.ts listRuns): a created-time window and the opaque token of the previous answer.
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  continuationToken: z.string().min(1).max(2048).optional(),
});
export type RunsQuery = z.output<typeof RunsQuery>;

export function parseRunsQuery(params: Record<string, string>): RunsQuery {
  // `code` is the Functions key parameter every route accepts (x-functions-key's query form): not a filter.
  const r = RunsQuery.safeParse(Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'code')));
  if (!r.success) throw validationErrorFrom('RUNS_QUERY_INVALID', 'runs query', r.error.issues);
  return r.data;
}

export interface RunSummary {
  id: string;
  workflow: string;
  status: string;
  createdTime: string;
  lastUpdatedTime: string;
  model?: string;
  repo?: string;
  commit?: string;
  step?: string;
}

function get(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const time = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : '');

export function summarize(s: InstanceStatus): RunSummary {
  const input = s.input;
  const custom = s.customStatus;
  const out: RunSummary = {
    id: s.instanceId,
    workflow: s.name,
    status: s.runtimeStatus,
    createdTime: s.createdTime,
    lastUpdatedTime: s.lastUpdatedTime,
  };
  const model =
    str(get(custom, 'model')) ?? str(get(input, 'model')) ?? str(get(input, 'event', 'data', 'model', 'name'));
  const repo = str(get(custom, 'repo')) ?? str(get(input, 'event', 'data', 'repository', 'id'));
  const commit = str(get(custom, 'commit')) ?? str(get(input, 'event', 'data', 'commit'));
  const step = str(get(custom, 'step')) ?? str(get(custom, 'state'));
  if (model) out.model = model;
  if (repo) out.repo = repo;
  if (commit) out.commit = commit;
  if (step) out.step = step;
  return out;
}

export function matches(r: RunSummary, q: RunsQuery): boolean {
  if (q.workflow) {
    const want = (WORKFLOW_ALIASES[q.workflow.toLowerCase()] ?? q.workflow).toLowerCase();
    if (r.workflow.toLowerCase() !== want) return false;
  } else if (INTERNAL.has(r.workflow)) {
    return false;
  }
  if (q.model && r.model !== q.model) return false;
  if (q.repo && r.repo?.toLowerCase() !== q.repo.toLowerCase()) return false;
  if (q.status) {
    const wanted = q.status.split(',').map((s) => s.trim().toLowerCase());
    if (!wanted.includes(r.status.toLowerCase())) return false;
  }
  return true;
}

/** Instances read from the durable store per request (one page of its list API). */
export const DURABLE_PAGE_SIZE = 100;
/** At most this many instances are read for one `GET /api/runs` answer, however selective the filters. */
export const MAX_SCANNED_PER_REQUEST = 1000;
/** Window when the caller gives no `from`: runs created in the last 7 days. */
export const DEFAULT_WINDOW_MS = 7 * 24 * 3600_000;

export interface RunsPage {
  /** Newest first within this answer; across answers, in the durable store's list order. */
  runs: RunSummary[];
  /** Pass back as `continuationToken` (with the same filters) for the next runs; absent on the last answer. */
  continuationToken?: string;
  /** The created-time window searched (fixed by the first answer, kept by the token). */
  window: { from: string; to: string };
  /** Instances read for this answer (bounded by MAX_SCANNED_PER_REQUEST). */
  scanned: number;
}

/** Where the listing stopped: the durable page token it was reading, how many rows of that page were consumed, the window. */
const Cursor = z.strictObject({
  t: z.string().optional(),
  s: z.int().min(0),
  f: z.iso.datetime(),
  u: z.iso.datetime(),
});
type Cursor = z.output<typeof Cursor>;

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(token: string): Cursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw validationErrorFrom('RUNS_QUERY_INVALID', 'runs query', [
      {
        code: 'custom',
        path: ['continuationToken'],
        message: 'is not a token from a previous answer',
        input: undefined,
      },
    ]);
  }
}

const newestFirst = (a: RunSummary, b: RunSummary) =>
  a.createdTime < b.createdTime ? 1 : a.createdTime > b.createdTime ? -1 : 0;

/**
 * Runs matching `q`, at most `q.limit`, reading at most MAX_SCANNED_PER_REQUEST instances created in the window
 * (`from`, default 7 days ago, to `to`, default now). When it stops early it returns a continuation token that
 * resumes exactly after the last instance read (no run is skipped or repeated if the store does not change).
 */
export async function listRuns(
  durable: Pick<DurablePort, 'listPage'>,
  q: RunsQuery,
  deps: { now?: () => number } = {},
): Promise<RunsPage> {
  const now = (deps.now ?? Date.now)();
  const start: Cursor = q.continuationToken
    ? decodeCursor(q.continuationToken)
    : {
        s: 0,
        f: q.from ? new Date(q.from).toISOString() : new Date(now - DEFAULT_WINDOW_MS).toISOString(),
        u: q.to ? new Date(q.to).toISOString() : new Date(now).toISOString(),
      };
  if (!(start.f < start.u))
    throw validationErrorFrom('RUNS_QUERY_INVALID', 'runs query', [
      { code: 'custom', path: ['from'], message: 'must be before to', input: undefined },
    ]);
  const runs: RunSummary[] = [];
  let scanned = 0;
  let token = start.t;
  let skip = start.s;
  for (;;) {
    const page = await durable.listPage({
      top: DURABLE_PAGE_SIZE,
      from: start.f,
      to: start.u,
      ...(token ? { token } : {}),
    });
    for (let i = skip; i < page.instances.length; i++) {
      scanned++;
      const r = summarize(page.instances[i]!);
      if (matches(r, q)) runs.push(r);
      if (runs.length >= q.limit || scanned >= MAX_SCANNED_PER_REQUEST) {
        const rest =
          i + 1 < page.instances.length
            ? { ...(token ? { t: token } : {}), s: i + 1 }
            : page.next
              ? { t: page.next, s: 0 }
              : undefined;
        return {
          runs: runs.sort(newestFirst),
          ...(rest ? { continuationToken: encodeCursor({ ...rest, f: start.f, u: start.u }) } : {}),
          window: { from: start.f, to: start.u },
          scanned,
        };
      }
    }
    if (!page.next) return { runs: runs.sort(newestFirst), window: { from: start.f, to: start.u }, scanned };
    token = page.next;
    skip = 0;
  }
}

export interface TimelineEntry {
  at: string;
  source: 'history' | 'record';
  kind: string;
  title: string;
  status?: string;
  data?: unknown;
}

const MAX_HISTORY_ENTRIES = 300;

export function historyTimeline(events: readonly Record<string, unknown>[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const e of events) {
    const type = text(e['EventType']);
    const at = time(e['Timestamp']);
    const fn = str(e['FunctionName']) ?? str(e['Name']) ?? '';
    const since = str(e['ScheduledTime']);
    const took = since ? ` (${Math.max(0, Date.parse(at) - Date.parse(since))} ms)` : '';
    switch (type) {
      case 'ExecutionStarted':
        out.push({ at, source: 'history', kind: 'started', title: `started ${fn}` });
        break;
      case 'TaskCompleted':
        out.push({
          at,
          source: 'history',
          kind: 'activity',
          status: 'completed',
          title: `activity ${fn} completed${took}`,
        });
        break;
      case 'TaskFailed':
        out.push({
          at,
          source: 'history',
          kind: 'activity',
          status: 'failed',
          title: `activity ${fn} failed${took}: ${text(e['Reason']).slice(0, 300)}`,
        });
        break;
      case 'SubOrchestrationInstanceCompleted':
        out.push({
          at,
          source: 'history',
          kind: 'sub-orchestration',
          status: 'completed',
          title: `sub-orchestration ${fn} completed${took}`,
        });
        break;
      case 'SubOrchestrationInstanceFailed':
        out.push({
          at,
          source: 'history',
          kind: 'sub-orchestration',
          status: 'failed',
          title: `sub-orchestration ${fn} failed${took}: ${text(e['Reason']).slice(0, 300)}`,
        });
        break;
      case 'TimerFired':
        out.push({ at, source: 'history', kind: 'timer', title: 'timer fired' });
        break;
      case 'EventRaised':
        out.push({ at, source: 'history', kind: 'event', title: `event ${fn} received` });
        break;
      case 'ExecutionCompleted':
        out.push({
          at,
          source: 'history',
          kind: 'completed',
          status: text(e['OrchestrationStatus']),
          title: `ended ${text(e['OrchestrationStatus'])}`,
        });
        break;
      case 'ExecutionTerminated':
        out.push({ at, source: 'history', kind: 'terminated', title: 'terminated' });
        break;
      case 'ContinueAsNew':
        out.push({ at, source: 'history', kind: 'continued-as-new', title: 'continued as new (history trimmed)' });
        break;
      default:
        break;
    }
  }
  return out.length > MAX_HISTORY_ENTRIES ? out.slice(out.length - MAX_HISTORY_ENTRIES) : out;
}

export function recordTimeline(steps: readonly RunStep[]): TimelineEntry[] {
  return steps.map((s) => ({
    at: s.at,
    source: 'record',
    kind: s.kind,
    status: s.status,
    title: s.title,
    ...(s.data !== undefined ? { data: s.data } : {}),
  }));
}

/** What a run is linked to (e.g. a retraining run → the model version it registered and its promotion). */
export interface RunLink {
  rel: string;
  id: string;
}

export interface RunDetail {
  run: RunSummary;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  timeline: TimelineEntry[];
  /** Links named by the run's records (`data.links: [{ rel, id }]`), first occurrence first, each once. */
  links: RunLink[];
  records: boolean;
}

export function linksOf(steps: readonly RunStep[]): RunLink[] {
  const out: RunLink[] = [];
  const seen = new Set<string>();
  for (const s of steps) {
    const raw = get(s.data, 'links');
    if (!Array.isArray(raw)) continue;
    for (const l of raw as unknown[]) {
      const rel = str(get(l, 'rel'));
      const id = str(get(l, 'id'));
      if (rel === undefined || id === undefined || seen.has(`${rel}\u0000${id}`)) continue;
      seen.add(`${rel}\u0000${id}`);
      out.push({ rel, id });
    }
  }
  return out;
}

export async function getRun(
  durable: Pick<DurablePort, 'status'>,
  store: RunStepStore,
  id: string,
): Promise<RunDetail> {
  const st = await durable.status(id, { showHistory: true, showHistoryOutput: false, showInput: true });
  const steps = await store.list(id);
  if (!st && steps.length === 0)
    throw new NotFoundError('RUN_NOT_FOUND', `no run with id '${id}'`, { details: { id } });
  const timeline = [...historyTimeline(st?.history ?? []), ...recordTimeline(steps)].sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
  );
  const run = st
    ? summarize(st)
    : {
        id,
        workflow: steps[0]?.workflow ?? '',
        status: 'Purged',
        createdTime: steps[0]?.at ?? '',
        lastUpdatedTime: steps[steps.length - 1]?.at ?? '',
      };
  return {
    run,
    input: st?.input ?? null,
    output: st?.output ?? null,
    customStatus: st?.customStatus ?? null,
    timeline,
    links: linksOf(steps),
    records: store.enabled,
  };
}
