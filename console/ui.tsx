/** Small shared pieces of the console UI: formatting, status badges, confirmation dialog, polling, errors. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

export function fmtTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

export function fmtDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

export function timeLeft(iso: string | undefined, now: number): string {
  if (!iso) return 'no deadline';
  const ms = Date.parse(iso) - now;
  return ms <= 0 ? 'deadline passed' : `${fmtDuration(ms)} left`;
}

export function fmtNum(n: number | undefined): string {
  return n === undefined ? '—' : String(Number(n.toPrecision(6)));
}

export function Status({ value }: { value: string }) {
  return <span class={`status status-${value.toLowerCase().replace(/[^a-z-]/g, '')}`}>{value}</span>;
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const msg =
    error instanceof ApiError
      ? `${error.message} (${error.code})`
      : error instanceof Error
        ? error.message
        : 'unexpected error';
  return (
    <p class="error" role="alert">
      {msg}
    </p>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <details>
      <summary>{label}</summary>
      <pre tabIndex={0} aria-label={label}>
        {value === null || value === undefined ? '—' : JSON.stringify(value, null, 2)}
      </pre>
    </details>
  );
}

/** Loads with `load` now and every `everyMs` while mounted (live updates by polling). */
export function usePoll<T>(
  load: () => Promise<T>,
  deps: unknown[],
  everyMs = 5000,
): { data: T | undefined; error: unknown; reload: () => void; at: number | undefined } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [at, setAt] = useState<number | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let alive = true;
    const run = () =>
      loadRef.current().then(
        (d) => {
          if (alive) {
            setData(d);
            setError(undefined);
            setAt(Date.now());
          }
        },
        (e: unknown) => {
          if (alive) setError(e);
        },
      );
    void run();
    const t = everyMs > 0 ? setInterval(() => void run(), everyMs) : undefined;
    return () => {
      alive = false;
      if (t) clearInterval(t);
    };
  }, [...deps, tick]);
  return { data, error, at, reload: () => setTick((x) => x + 1) };
}

/** A confirmation dialog (native <dialog>: focus trapped, Escape cancels) asking for a reason. */
export function Confirm(props: {
  title: string;
  confirmLabel: string;
  needReason?: boolean;
  danger?: boolean;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await props.onConfirm(reason);
      ref.current?.close();
      props.onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onClose={props.onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="confirm-title">{props.title}</h2>
        {props.children}
        {props.needReason !== false && (
          <p>
            <label for="confirm-reason">Reason (recorded in the audit log)</label>
            <input
              id="confirm-reason"
              value={reason}
              required
              maxLength={500}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            />
          </p>
        )}
        <ErrorBox error={error} />
        <div class="buttons">
          <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy}>
            {props.confirmLabel}
          </button>
          <button
            type="button"
            onClick={() => {
              ref.current?.close();
              props.onClose();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
