import { SettingsPanel } from './SettingsPanel.tsx';
import { useStoredValue } from './useStoredValue.ts';

/**
 * Renders from extension storage only: opening the popup sends no message
 * and makes no request; the background's writes show up live through watch.
 */
export function App() {
  const settings = useStoredValue('settings');
  const auth = useStoredValue('auth');
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
