/** The approvals inbox: each request with validations, champion comparison, votes and deadline; vote if allowed. */
import { useState } from 'preact/hooks';
import type { InboxItem, InboxView, ValidationView } from '../shared/console/schemas';
import { api, qs } from './api';
import { ErrorBox, fmtNum, fmtTime, Status, timeLeft, usePoll } from './ui';

function Comparison({ v }: { v: ValidationView }) {
  const c = v.champion;
  if (!c) return null;
  return (
    <table class="comparison">
      <caption>
        Champion comparison{c.championVersion ? ` (champion v${c.championVersion})` : ''}:{' '}
        {c.passed ? 'passed' : 'not passed'}
        {c.note ? ` — ${c.note}` : ''}
      </caption>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">Challenger</th>
          <th scope="col">Champion</th>
          <th scope="col">Delta</th>
          <th scope="col">Rule</th>
        </tr>
      </thead>
      <tbody>
        {c.rows.map((r) => (
          <tr key={r.metric}>
            <th scope="row">{r.metric}</th>
            <td>{fmtNum(r.challenger)}</td>
            <td>{fmtNum(r.champion)}</td>
            <td>
              {r.delta === undefined
                ? '—'
                : `${r.delta >= 0 ? '+' : ''}${fmtNum(r.delta)}${r.relativeDelta !== undefined ? ` (${(r.relativeDelta * 100).toFixed(2)}%)` : ''}`}
            </td>
            <td>
              <Status value={r.status} /> {r.message}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Item({ item, now, onDecided }: { item: InboxItem; now: number; onDecided: (message: string) => void }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<{ message: string; approval?: { status?: string } }>(
        `/approvals/${encodeURIComponent(item.id)}/decision`,
        { method: 'POST', body: { decision, ...(comment ? { comment } : {}) } },
      );
      onDecided(
        `${item.model} v${item.version}: ${r.message}${r.approval?.status ? ` (request ${r.approval.status})` : ''}`,
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const cid = `comment-${item.id}`;
  return (
    <article class="card" aria-labelledby={`h-${item.id}`}>
      <h2 id={`h-${item.id}`}>
        {item.model} v{item.version} <Status value={item.status} />
      </h2>
      {item.summary && <p>{item.summary}</p>}
      <dl class="facts">
        <dt>Author</dt>
        <dd>{item.author ?? 'unknown'}</dd>
        {item.triggeredBy && (
          <>
            <dt>Triggered by</dt>
            <dd>{item.triggeredBy}</dd>
          </>
        )}
        <dt>Approvals</dt>
        <dd>
          {item.approvals} of {item.minApprovals} needed
        </dd>
        <dt>Approvers</dt>
        <dd>{[...item.approvers.users, ...item.approvers.groups.map((g) => `group ${g}`)].join(', ')}</dd>
        <dt>Deadline</dt>
        <dd>
          {fmtTime(item.deadlineAt)} ({timeLeft(item.deadlineAt, now)})
        </dd>
        <dt>Run</dt>
        <dd>
          <a href={`#/runs/${encodeURIComponent(item.instanceId)}`}>{item.instanceId}</a>
        </dd>
      </dl>
      <h3>Votes</h3>
      {item.votes.length === 0 ? (
        <p class="muted">Nobody has voted yet.</p>
      ) : (
        <ul>
          {item.votes.map((v) => (
            <li key={v.approver}>
              {v.approver}: <strong>{v.verdict}</strong> at {fmtTime(v.at)}
              {v.comment ? ` — “${v.comment}”` : ''}
            </li>
          ))}
        </ul>
      )}
      <h3>Validations</h3>
      {item.validations.length === 0 ? (
        <p class="muted">No validation results recorded.</p>
      ) : (
        <ul class="validations">
          {item.validations.map((v) => (
            <li key={v.id}>
              <Status value={v.status} /> <strong>{v.id}</strong> ({v.type}, {v.severity}): {v.message}
              {v.thresholds.length > 0 && (
                <ul>
                  {v.thresholds.map((t) => (
                    <li key={t.metric}>
                      <Status value={t.status} /> {t.message}
                    </li>
                  ))}
                </ul>
              )}
              <Comparison v={v} />
            </li>
          ))}
        </ul>
      )}
      {item.canVote ? (
        <form class="vote" onSubmit={(e) => e.preventDefault()}>
          <label for={cid}>Comment</label>
          <textarea
            id={cid}
            maxLength={2000}
            value={comment}
            onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
          />
          <div class="buttons">
            <button type="button" class="primary" disabled={busy} onClick={() => void decide('approve')}>
              Approve
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => void decide('reject')}>
              Reject
            </button>
          </div>
        </form>
      ) : (
        item.status === 'pending' && (
          <p class="readonly" role="note">
            Read-only: {item.whyNot ?? 'you may not vote on this request'}
          </p>
        )
      )}
      <ErrorBox error={error} />
    </article>
  );
}

export function ApprovalsPage({ status }: { status: string }) {
  const { data, error, reload, at } = usePoll(() => api<InboxView>(`/console/api/inbox${qs({ status })}`), [status]);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  return (
    <section aria-labelledby="appr-h">
      <h1 id="appr-h">Approvals</h1>
      <nav aria-label="Approval status" class="tabs">
        {['pending', 'approved', 'rejected', 'expired', 'all'].map((s) => (
          <a key={s} href={`#/approvals?status=${s}`} aria-current={s === status ? 'page' : undefined}>
            {s}
          </a>
        ))}
      </nav>
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      <ErrorBox error={error} />
      {data && data.items.length === 0 && <p>Nothing {status === 'all' ? '' : status} waits on you.</p>}
      {data?.items.map((i) => (
        <Item
          key={i.id}
          item={i}
          now={at ?? Date.now()}
          onDecided={(m) => {
            setNotice(m);
            reload();
          }}
        />
      ))}
    </section>
  );
}
