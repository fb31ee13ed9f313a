/** The console shell: identity (App Service cookies, or a pasted identity key), navigation and a hash router. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Me } from '../shared/console/schemas';
import { api, ApiError, setKey, storedKey } from './api';
import { ApprovalsPage } from './approvals';
import { EventsPage, ModelPage, ModelsPage, RetrainingPage } from './more';
import { RunPage, RunsPage, type RunFilters } from './runs';
import { ErrorBox } from './ui';

function parseHash(): { path: string[]; query: Record<string, string> } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [p = '', q = ''] = raw.split('?');
  return {
    path: p.split('/').filter(Boolean).map(decodeURIComponent),
    query: Object.fromEntries(new URLSearchParams(q)),
  };
}

function useHash() {
  const [h, setH] = useState(parseHash());
  useEffect(() => {
    const on = () => setH(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return h;
}

/** On a local host there is no App Service authentication to sign in with. */
const LOCAL = ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname);

function KeyForm({ onDone, error }: { onDone: () => void; error: unknown }) {
  const [key, setValue] = useState('');
  return (
    <main id="main" class="signin">
      <h1>Sign in to Stagecraft</h1>
      {!LOCAL && (
        <p>
          <a href={`/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(location.pathname)}`}>
            Sign in with Microsoft Entra ID
          </a>
        </p>
      )}
      <p>
        In Azure, App Service authentication signs you in. Locally, paste your identity key (from{' '}
        <code>STAGECRAFT_APPROVER_KEYS</code>); it stays in this tab only and is sent in the{' '}
        <code>x-stagecraft-key</code> header.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setKey(key.trim());
          onDone();
        }}
      >
        <label for="key">Identity key</label>
        <input
          id="key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary">
          Use this key
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

const NAV: Array<[string, string]> = [
  ['runs', 'Runs'],
  ['approvals', 'Approvals'],
  ['models', 'Models'],
  ['retraining', 'Retraining'],
  ['events', 'Events'],
];

function App() {
  const [me, setMe] = useState<Me | undefined>(undefined);
  const [authError, setAuthError] = useState<unknown>(undefined);
  const [checked, setChecked] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const { path, query } = useHash();
  useEffect(() => {
    api<Me>('/console/api/me').then(
      (m) => {
        setMe(m);
        setAuthError(undefined);
        setChecked(true);
      },
      (e: unknown) => {
        setMe(undefined);
        if (e instanceof ApiError && e.status === 401 && storedKey()) setKey(null);
        setAuthError(storedKey() || attempt > 0 ? e : undefined);
        setChecked(true);
      },
    );
  }, [attempt]);
  if (!checked)
    return (
      <main id="main">
        <p>Loading…</p>
      </main>
    );
  if (!me) return <KeyForm error={authError} onDone={() => setAttempt((n) => n + 1)} />;
  const isOperator = me.roles.includes('operator') || me.roles.includes('admin');
  const section = path[0] ?? 'runs';
  let page;
  if (section === 'runs' && path[1]) page = <RunPage id={path[1]} isOperator={isOperator} />;
  else if (section === 'approvals') page = <ApprovalsPage status={query['status'] ?? 'pending'} />;
  else if (section === 'models' && path[1]) page = <ModelPage name={path[1]} isOperator={isOperator} />;
  else if (section === 'models') page = <ModelsPage />;
  else if (section === 'retraining') page = <RetrainingPage />;
  else if (section === 'events') page = <EventsPage outcome={query['outcome'] ?? ''} isOperator={isOperator} />;
  else {
    const nav = (f: RunFilters) => {
      const entries: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(f)) if (typeof v === 'string' && v !== '') entries.push([k, v]);
      const p = new URLSearchParams(entries).toString();
      location.hash = `#/runs${p ? `?${p}` : ''}`;
    };
    page = <RunsPage key={JSON.stringify(query)} filters={query} navigate={nav} />;
  }
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header>
        <span class="brand">Stagecraft</span>
        <nav aria-label="Views">
          {NAV.map(([k, label]) => (
            <a key={k} href={`#/${k}`} aria-current={section === k ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          Signed in as <strong>{me.displayName}</strong> ({me.roles.join(', ') || 'no roles'})
          {me.via === 'local-key' && (
            <button
              type="button"
              onClick={() => {
                setKey(null);
                setMe(undefined);
                setAuthError(undefined);
              }}
            >
              Forget key
            </button>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
