/** Runs list (filters, counts by status over time, paging, live) and run detail (timeline, data, actions). */
import { useState } from 'preact/hooks';
import type { RunAction, RunActionResult, RunDetailView, RunsView, StatusBucket } from '../shared/console/schemas';
import { api, qs } from './api';
import { Confirm, ErrorBox, fmtDuration, fmtTime, Json, Status, usePoll } from './ui';

const STATUSES = ['Running', 'Pending', 'Suspended', 'Completed', 'Failed', 'Terminated'];
const COLORS: Record<string, string> = {
  Running: '#1d4ed8',
  Pending: '#6b7280',
  Suspended: '#a16207',
  Completed: '#15803d',
  Failed: '#b91c1c',
  Terminated: '#7c2d12',
};
const PAGE = 50;

export type RunFilters = {
  workflow?: string;
  model?: string;
  status?: string;
  from?: string;
  to?: string;
  q?: string;
  offset?: string;
};

function Chart({ buckets, bucketMs }: { buckets: StatusBucket[]; bucketMs: number }) {
  if (buckets.length === 0) return null;
  const max = Math.max(1, ...buckets.map((b) => Object.values(b.counts).reduce((a, c) => a + c, 0)));
  const w = 12;
  const h = 80;
  const desc = `Runs started per ${Math.round(bucketMs / 60000)} minutes, by status, from ${fmtTime(buckets[0]?.start)} (${buckets.length} intervals, busiest ${max})`;
  return (
    <figure class="chart">
      <svg
        role="img"
        aria-label={desc}
        width={buckets.length * (w + 2)}
        height={h}
        viewBox={`0 0 ${buckets.length * (w + 2)} ${h}`}
      >
        {buckets.map((b, i) => {
          let y = h;
          return STATUSES.concat(Object.keys(b.counts).filter((s) => !STATUSES.includes(s))).map((s) => {
            const n = b.counts[s] ?? 0;
            if (!n) return null;
            const bh = Math.max(1, Math.round((n / max) * (h - 2)));
            y -= bh;
            return (
              <rect key={`${i}-${s}`} x={i * (w + 2)} y={y} width={w} height={bh} fill={COLORS[s] ?? '#374151'}>
                <title>{`${fmtTime(b.start)}: ${n} ${s}`}</title>
              </rect>
            );
          });
        })}
      </svg>
      <figcaption>{desc}</figcaption>
    </figure>
  );
}

export function RunsPage({ filters, navigate }: { filters: RunFilters; navigate: (f: RunFilters) => void }) {
  const [draft, setDraft] = useState<RunFilters>(filters);
  const offset = Number(filters.offset ?? 0) || 0;
  const toIso = (v: string | undefined) => (v ? new Date(v).toISOString() : undefined);
  const { data, error, at } = usePoll(
    () =>
      api<RunsView>(
        `/console/api/runs${qs({ ...filters, from: toIso(filters.from), to: toIso(filters.to), offset, limit: PAGE })}`,
      ),
    [JSON.stringify(filters)],
  );
  const set = (k: keyof RunFilters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  return (
    <section aria-labelledby="runs-h">
      <h1 id="runs-h">Runs</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          navigate({ ...draft, offset: undefined });
        }}
      >
        <label>
          Workflow
          <select value={draft.workflow ?? ''} onChange={set('workflow')}>
            <option value="">all</option>
            {(data?.workflows ?? []).map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model <input value={draft.model ?? ''} onInput={set('model')} />
        </label>
        <label>
          Status
          <select value={draft.status ?? ''} onChange={set('status')}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          From <input type="datetime-local" value={draft.from ?? ''} onInput={set('from')} />
        </label>
        <label>
          To <input type="datetime-local" value={draft.to ?? ''} onInput={set('to')} />
        </label>
        <label>
          Text <input type="search" value={draft.q ?? ''} onInput={set('q')} placeholder="id, model, step…" />
        </label>
        <button type="submit" class="primary">
          Apply
        </button>
      </form>
      <ErrorBox error={error} />
      {data && (
        <>
          <ul class="counts" aria-label="Runs by status">
            {Object.entries(data.byStatus).map(([s, n]) => (
              <li key={s}>
                <a href={`#/runs${qs({ ...filters, status: s, offset: undefined })}`}>
                  <Status value={s} /> {n}
                </a>
              </li>
            ))}
          </ul>
          <Chart buckets={data.buckets} bucketMs={data.bucketMs} />
          <p class="muted" aria-live="polite">
            {data.total} runs match; showing {data.total ? offset + 1 : 0}–{Math.min(offset + PAGE, data.total)}.
            Updated {at ? new Date(at).toLocaleTimeString() : ''}.
          </p>
          <table class="runs">
            <caption class="sr-only">Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Workflow</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Step</th>
                <th scope="col">Started</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {data.runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>
                  </td>
                  <td>{r.workflow}</td>
                  <td>{r.model ?? r.repo ?? ''}</td>
                  <td>
                    <Status value={r.status} />
                  </td>
                  <td>{r.step ?? ''}</td>
                  <td>{fmtTime(r.createdTime)}</td>
                  <td>{fmtTime(r.lastUpdatedTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              disabled={offset === 0}
              onClick={() => navigate({ ...filters, offset: String(Math.max(0, offset - PAGE)) })}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={offset + PAGE >= data.total}
              onClick={() => navigate({ ...filters, offset: String(offset + PAGE) })}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

const ACTION_LABEL: Record<RunAction, string> = {
  terminate: 'Terminate',
  suspend: 'Suspend',
  resume: 'Resume',
  restart: 'Restart',
  purge: 'Purge history',
};

export function RunPage({ id, isOperator }: { id: string; isOperator: boolean }) {
  const { data, error, reload } = usePoll(
    () => api<RunDetailView>(`/console/api/runs/${encodeURIComponent(id)}`),
    [id],
    3000,
  );
  const [pending, setPending] = useState<RunAction | undefined>(undefined);
  const [done, setDone] = useState<RunActionResult | undefined>(undefined);
  return (
    <section aria-labelledby="run-h">
      <p>
        <a href="#/runs">← All runs</a>
      </p>
      <h1 id="run-h">
        Run <code>{id}</code>
      </h1>
      <ErrorBox error={error} />
      {data && (
        <>
          <dl class="facts">
            <dt>Workflow</dt>
            <dd>{data.run.workflow}</dd>
            <dt>Status</dt>
            <dd>
              <Status value={data.run.status} />
            </dd>
            {data.run.model && (
              <>
                <dt>Model</dt>
                <dd>{data.run.model}</dd>
              </>
            )}
            {data.run.step && (
              <>
                <dt>Step</dt>
                <dd>{data.run.step}</dd>
              </>
            )}
            <dt>Started</dt>
            <dd>{fmtTime(data.run.createdTime)}</dd>
            <dt>Updated</dt>
            <dd>{fmtTime(data.run.lastUpdatedTime)}</dd>
          </dl>
          {data.hints.length > 0 && (
            <ul class="hints">
              {data.hints.map((h, i) => (
                <li key={i} class={`hint-${h.level}`}>
                  {h.text}
                </li>
              ))}
            </ul>
          )}
          {isOperator && data.actions.length > 0 && (
            <div class="buttons" role="group" aria-label="Operator actions">
              {data.actions.map((a) => (
                <button
                  key={a}
                  type="button"
                  class={a === 'terminate' || a === 'purge' ? 'danger' : ''}
                  onClick={() => setPending(a)}
                >
                  {ACTION_LABEL[a]}
                </button>
              ))}
            </div>
          )}
          {done && (
            <p class="ok" role="status">
              {done.message}
              {done.newRunId && (
                <>
                  {' '}
                  — <a href={`#/runs/${encodeURIComponent(done.newRunId)}`}>open the new run</a>
                </>
              )}
            </p>
          )}
          {data.links.length > 0 && (
            <>
              <h2>Related</h2>
              <ul class="links">
                {data.links.map((l) => (
                  <li key={l.href}>
                    <a href={l.href}>{l.label}</a>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>Timeline</h2>
          <ol class="timeline">
            {data.timeline.map((e, i) => (
              <li key={i} class={`tl tl-${e.status ?? 'none'}`}>
                <time dateTime={e.at}>{fmtTime(e.at)}</time> <span class="kind">{e.kind}</span> {e.title}
                {e.status && (
                  <>
                    {' '}
                    <Status value={e.status} />
                  </>
                )}
                {e.durationMs !== undefined && <span class="muted"> · {fmtDuration(e.durationMs)}</span>}
              </li>
            ))}
          </ol>
          <h2>Data</h2>
          <Json label="Custom status" value={data.customStatus} />
          <Json label="Input (secrets redacted)" value={data.input} />
          <Json label="Output (secrets redacted)" value={data.output} />
        </>
      )}
      {pending && (
        <Confirm
          title={`${ACTION_LABEL[pending]} run ${id}?`}
          confirmLabel={`${ACTION_LABEL[pending]} run`}
          danger={pending === 'terminate' || pending === 'purge'}
          onClose={() => setPending(undefined)}
          onConfirm={async (reason) => {
            setDone(
              await api<RunActionResult>(`/console/api/runs/${encodeURIComponent(id)}/actions`, {
                method: 'POST',
                body: { action: pending, reason },
              }),
            );
            reload();
          }}
        />
      )}
    </section>
  );
}
