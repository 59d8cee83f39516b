/**
 * The page a login tab shows when sign-in did not succeed. It renders the
 * outcome from extension storage; nothing about the login is in its URL.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { LoginOutcome } from '../shared/auth.ts';
import * as storage from '../shared/storage.ts';

function Result() {
  const [outcome, setOutcome] = useState<LoginOutcome | null | undefined>(undefined);
  useEffect(() => {
    storage.read('loginOutcome').then(setOutcome);
    return storage.watch('loginOutcome', setOutcome);
  }, []);
  if (outcome === undefined) return <p>Loading…</p>;
  if (outcome === null) {
    return (
      <p>There is no sign-in result to show. Start the login from the SQL Safe OIDC Companion.</p>
    );
  }
  const ok = outcome.outcome === 'success';
  return (
    <section>
      <h1>{ok ? 'Login successful' : 'Login unsuccessful'}</h1>
      <p role="alert">{outcome.message}</p>
      {outcome.error?.detail ? (
        <p class="detail">
          Technical detail: <code>{outcome.error.code}</code> ({outcome.error.detail})
        </p>
      ) : outcome.error ? (
        <p class="detail">
          Technical detail: <code>{outcome.error.code}</code>
        </p>
      ) : null}
      <p>You can close this tab and try again from the SQL Safe OIDC Companion in the toolbar.</p>
    </section>
  );
}

render(<Result />, document.getElementById('app') as HTMLElement);
