/** Models (aliases, versions, alias history, rollback), Retraining (coordinators) and Events (receipts, dead letters). */
import { useState } from 'preact/hooks';
import type {
  DeadLetterView,
  EventsView,
  ModelDetailView,
  ModelsView,
  ResubmitResult,
  RetrainingView,
} from '../shared/console/schemas';
import { api, qs } from './api';
import { Confirm, ErrorBox, fmtTime, Json, Status, usePoll } from './ui';

const aliasText = (a: Record<string, string | null>) =>
  Object.entries(a)
    .map(([k, v]) => `${k} → v${v ?? '—'}`)
    .join(', ') || 'none';

export function ModelsPage() {
  const { data, error } = usePoll(() => api<ModelsView>('/console/api/models'), [], 10000);
  return (
    <section aria-labelledby="models-h">
      <h1 id="models-h">Models</h1>
      <ErrorBox error={error} />
      {data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Aliases</th>
              <th scope="col">Last promotion</th>
            </tr>
          </thead>
          <tbody>
            {data.models.map((m) => (
              <tr key={m.name}>
                <td>
                  <a href={`#/models/${encodeURIComponent(m.name)}`}>{m.name}</a>
                </td>
                <td>{aliasText(m.aliases)}</td>
                <td>
                  {m.lastOutcome ? (
                    <>
                      v{m.lastVersion} <Status value={m.lastOutcome} /> {fmtTime(m.lastAt)}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ModelPage({ name, isOperator }: { name: string; isOperator: boolean }) {
  const { data, error, reload } = usePoll(
    () => api<ModelDetailView>(`/console/api/models/${encodeURIComponent(name)}`),
    [name],
    5000,
  );
  const [rollback, setRollback] = useState(false);
  const [toVersion, setToVersion] = useState('');
  const [done, setDone] = useState<{ instanceId: string; started: boolean } | undefined>(undefined);
  return (
    <section aria-labelledby="model-h">
      <p>
        <a href="#/models">← All models</a>
      </p>
      <h1 id="model-h">Model {name}</h1>
      <ErrorBox error={error} />
      {data && (
        <>
          <p>Aliases: {aliasText(data.aliases)}</p>
          {isOperator && (
            <div class="buttons">
              <button type="button" class="danger" onClick={() => setRollback(true)}>
                Roll back…
              </button>
            </div>
          )}
          {done && (
            <p class="ok" role="status">
              {done.started ? 'Rollback started' : 'This rollback was already requested'}:{' '}
              <a href={`#/runs/${encodeURIComponent(done.instanceId)}`}>{done.instanceId}</a>
            </p>
          )}
          <h2>Versions</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Aliases</th>
                <th scope="col">Validation</th>
                <th scope="col">Promotion</th>
                <th scope="col">Run</th>
              </tr>
            </thead>
            <tbody>
              {data.versions.map((v) => (
                <tr key={v.version}>
                  <td>v{v.version}</td>
                  <td>{v.aliases.join(', ')}</td>
                  <td>{v.validation ?? '—'}</td>
                  <td>
                    {v.outcome ? (
                      <>
                        <Status value={v.outcome} /> {v.reason}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    {v.instanceId ? <a href={`#/runs/${encodeURIComponent(v.instanceId)}`}>{v.instanceId}</a> : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Alias history</h2>
          <ol class="timeline">
            {data.aliasHistory.map((h, i) => (
              <li key={i}>
                <time dateTime={h.at}>{fmtTime(h.at)}</time> <strong>{h.alias}</strong>: v{h.before ?? '—'} → v
                {h.after ?? '—'} (<a href={`#/runs/${encodeURIComponent(h.runId)}`}>run</a>)
              </li>
            ))}
          </ol>
        </>
      )}
      {rollback && (
        <Confirm
          title={`Roll back ${name}?`}
          confirmLabel="Roll back"
          danger
          onClose={() => setRollback(false)}
          onConfirm={async (reason) => {
            const r = await api<{ instanceId: string; started: boolean }>(
              `/models/${encodeURIComponent(name)}/rollback`,
              { method: 'POST', body: { reason, ...(toVersion ? { toVersion } : {}) } },
            );
            setDone(r);
            reload();
          }}
        >
          <p>
            <label for="rb-version">To version (empty: the previous champion)</label>{' '}
            <input
              id="rb-version"
              inputMode="numeric"
              value={toVersion}
              onInput={(e) => setToVersion((e.target as HTMLInputElement).value)}
            />
          </p>
        </Confirm>
      )}
    </section>
  );
}

export function RetrainingPage() {
  const { data, error } = usePoll(() => api<RetrainingView>('/console/api/retraining'), [], 5000);
  return (
    <section aria-labelledby="rt-h">
      <h1 id="rt-h">Retraining</h1>
      <ErrorBox error={error} />
      {data && data.coordinators.length === 0 && <p>No retraining coordinator has run yet.</p>}
      {data?.coordinators.map((c) => (
        <article class="card" key={c.id} aria-labelledby={`rt-${c.id}`}>
          <h2 id={`rt-${c.id}`}>
            {c.model ?? c.id} <Status value={c.status} />
          </h2>
          <dl class="facts">
            <dt>Cooldown until</dt>
            <dd>{fmtTime(c.cooldownUntil)}</dd>
            <dt>Running run</dt>
            <dd>{c.runningRun ? <a href={`#/runs/${encodeURIComponent(c.runningRun)}`}>{c.runningRun}</a> : 'none'}</dd>
            <dt>Coordinator</dt>
            <dd>
              <a href={`#/runs/${encodeURIComponent(c.id)}`}>{c.id}</a>
            </dd>
          </dl>
          <table>
            <caption>Recent triggers and decisions</caption>
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Trigger</th>
                <th scope="col">Decision</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {c.decisions.map((d, i) => (
                <tr key={i}>
                  <td>{fmtTime(d.at)}</td>
                  <td>{d.trigger ?? ''}</td>
                  <td>{d.decision}</td>
                  <td>{d.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Json label="Coordinator status" value={c.customStatus} />
        </article>
      ))}
    </section>
  );
}

export function EventsPage({ outcome, isOperator }: { outcome: string; isOperator: boolean }) {
  const { data, error, reload } = usePoll(
    () => api<EventsView>(`/console/api/events${qs({ outcome })}`),
    [outcome],
    5000,
  );
  const [pending, setPending] = useState<DeadLetterView | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  return (
    <section aria-labelledby="ev-h">
      <h1 id="ev-h">Events</h1>
      <h2>Dead letters</h2>
      <ErrorBox error={error} />
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      {data?.deadLetterError && <p class="error">{data.deadLetterError}</p>}
      {data && data.deadLetters.length === 0 && <p>No dead letters.</p>}
      {data && data.deadLetters.length > 0 && (
        <table class="deadletters">
          <thead>
            <tr>
              <th scope="col">Subscription</th>
              <th scope="col">Seq</th>
              <th scope="col">Subject</th>
              <th scope="col">Reason</th>
              <th scope="col">Enqueued</th>
              <th scope="col">Body</th>
              {isOperator && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {data.deadLetters.map((d) => (
              <tr key={`${d.subscription}/${d.sequenceNumber}`}>
                <td>{d.subscription}</td>
                <td>{d.sequenceNumber}</td>
                <td>{d.subject ?? ''}</td>
                <td>
                  {d.reason ?? ''}
                  {d.description ? `: ${d.description}` : ''}
                </td>
                <td>{fmtTime(d.enqueuedAt)}</td>
                <td>
                  <code class="preview">{d.bodyPreview.slice(0, 160)}</code>
                </td>
                {isOperator && (
                  <td>
                    <button type="button" onClick={() => setPending(d)}>
                      Resubmit
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Intake receipts</h2>
      <nav aria-label="Receipt outcome" class="tabs">
        {['', 'accepted', 'ignored', 'duplicate', 'rejected', 'failed'].map((o) => (
          <a key={o} href={`#/events${o ? `?outcome=${o}` : ''}`} aria-current={o === outcome ? 'page' : undefined}>
            {o || 'all'}
          </a>
        ))}
      </nav>
      {data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Source</th>
              <th scope="col">Outcome</th>
              <th scope="col">Events</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {data.receipts.map((r) => (
              <tr key={r.receiptId}>
                <td>{fmtTime(r.receivedAt)}</td>
                <td>{r.source}</td>
                <td>
                  <Status value={r.outcome} /> {r.httpStatus}
                </td>
                <td>{r.eventTypes.join(', ')}</td>
                <td>
                  {r.code ? `${r.code}: ` : ''}
                  {r.reason ?? ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pending && (
        <Confirm
          title={`Resubmit dead letter ${pending.sequenceNumber} of ${pending.subscription}?`}
          confirmLabel="Resubmit"
          needReason={false}
          onClose={() => setPending(undefined)}
          onConfirm={async () => {
            const r = await api<ResubmitResult>(
              `/console/api/deadletters/${encodeURIComponent(pending.subscription)}/${encodeURIComponent(pending.sequenceNumber)}/resubmit`,
              { method: 'POST', body: {} },
            );
            setDone(r.message);
            reload();
          }}
        >
          <p>
            The message is sent to the topic again under a new message id; its workflow runs once (runs are idempotent
            per event).
          </p>
        </Confirm>
      )}
    </section>
  );
}
