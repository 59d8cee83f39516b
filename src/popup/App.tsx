import { useEffect, useRef } from 'preact/hooks';
import { sessionCheckDue } from '../shared/auth.ts';
import { sendMessage } from '../shared/messages.ts';
import { SettingsPanel } from './SettingsPanel.tsx';
import { useStoredValue } from './useStoredValue.ts';

/**
 * Renders from extension storage only: opening the popup makes no request.
 * The one message it may send on open is checkSession, and only when a
 * refresh is overdue (the worker slept through its alarm) or failing: the
 * background then refreshes at most once, however many popups ask.
 */
export function App() {
  const settings = useStoredValue('settings');
  const auth = useStoredValue('auth');
  const asked = useRef(false);
  useEffect(() => {
    if (!auth.loaded || asked.current) return;
    asked.current = true;
    if (sessionCheckDue(auth.value, Date.now())) {
      // The answer shows up through storage; a failure here changes nothing on screen.
      sendMessage('checkSession', {}).catch(() => undefined);
    }
  }, [auth.loaded, auth.value]);
  const loginOutcome = useStoredValue('loginOutcome');
  const pendingLogin = useStoredValue('pendingLogin');
  const draft = useStoredValue('draft');
  const relayPort = useStoredValue('relayPort');

  const loaded = [settings, auth, loginOutcome, pendingLogin, draft, relayPort].every(
    (s) => s.loaded,
  );
  if (!loaded) {
    return (
      <main class="app" aria-busy="true">
        <p class="loading">Loading…</p>
      </main>
    );
  }
  return (
    <main class="app">
      <SettingsPanel
        settings={settings.value}
        auth={auth.value}
        loginOutcome={loginOutcome.value}
        pendingLogin={pendingLogin.value}
        initialDraft={draft.value}
        relayPort={relayPort.value}
      />
    </main>
  );
}
