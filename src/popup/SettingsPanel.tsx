import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { AuthState, LoginOutcome, PendingLogin } from '../shared/auth.ts';
import { displayName } from '../shared/auth.ts';
import type { CompanionError } from '../shared/errors.ts';
import { sendMessage } from '../shared/messages.ts';
import {
  cleanForm,
  hasErrors,
  type RepositorySettings,
  type SettingsForm,
  validateSettingsForm,
} from '../shared/settings.ts';
import { type FormDraft, write } from '../shared/storage.ts';
import {
  fieldForErrorCode,
  firstInvalidField,
  formReducer,
  initialFormState,
  isSecretStored,
  type Notice,
  OUTCOME_MAX_AGE_MS,
  outcomeNotice,
  pickNotice,
} from './formState.ts';
import { LoginControls } from './LoginControls.tsx';
import { LOGGED_OUT, logoutNotice } from './logoutMessage.ts';
import { Messages } from './Messages.tsx';
import { ProviderSetup } from './ProviderHelp.tsx';
import { RequiredField } from './RequiredField.tsx';
import { SettingsFields } from './SettingsFields.tsx';
import { StatusPanel } from './StatusPanel.tsx';
import { useRequest } from './useRequest.ts';

export interface SettingsPanelProps {
  settings: RepositorySettings | null;
  auth: AuthState;
  loginOutcome: LoginOutcome | null;
  pendingLogin: PendingLogin | null;
  /** Read once: the form starts from it when present. */
  initialDraft: FormDraft | null;
  relayPort: number;
}

export const MESSAGES = {
  saved: 'Settings saved to the repository.',
  loggedOut: LOGGED_OUT,
  discarded: 'Changes discarded.',
} as const;

type Op = 'login' | 'logout' | 'save';

function errorNotice(prefix: string, error: CompanionError): Notice {
  return {
    kind: 'error',
    text: `${prefix}: ${error.message}`,
    code: error.code,
    detail: error.detail,
    at: Date.now(),
  };
}

function note(kind: Notice['kind'], text: string): Notice {
  return { kind, text, at: Date.now() };
}

/** Writes the draft; a failure only costs the draft, never the form on screen. */
function saveDraft(draft: FormDraft | null): void {
  write('draft', draft).catch(() => undefined);
}

/** The settings dialog: form state, the four actions, and which message shows. */
export function SettingsPanel(props: SettingsPanelProps) {
  const { settings, auth } = props;
  const [state, dispatch] = useReducer(
    formReducer,
    { draft: props.initialDraft, settings },
    initialFormState,
  );
  const { busy, run } = useRequest<Op>();
  const [notice, setNotice] = useState<Notice | null>(null);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const [endProviderSession, setEndProviderSession] = useState(false);
  const [, setTick] = useState(0);

  // Settings saved elsewhere (another window, a sync) show up here unless the user is editing.
  // The reducer started from the settings at mount; only later changes are followed.
  const mountedSettings = useRef(settings);
  useEffect(() => {
    if (settings === mountedSettings.current) return;
    mountedSettings.current = settings;
    dispatch({ type: 'settingsChanged', settings });
  }, [settings]);

  // Every edit of a drafted field keeps the draft (never the secret) for the next open.
  const { nickname, authority, clientId } = state.form;
  useEffect(() => {
    if (state.draftRevision > 0) saveDraft({ nickname, authority, clientId });
  }, [state.draftRevision, nickname, authority, clientId]);

  // Re-render when the login outcome message becomes too old to show.
  useEffect(() => {
    if (!props.loginOutcome) return;
    const remaining = props.loginOutcome.at + OUTCOME_MAX_AGE_MS - Date.now();
    if (remaining <= 0) return;
    const timer = setTimeout(() => setTick((t) => t + 1), remaining + 50);
    return () => clearTimeout(timer);
  }, [props.loginOutcome]);

  const authenticated = auth.status === 'authenticated';
  const secretStored = isSecretStored(state.form, settings);

  /** Validates; shows the messages and focuses the first invalid field, or returns the cleaned form. */
  const checkedForm = (options: { secretStored: boolean }): SettingsForm | null => {
    const errors = validateSettingsForm(state.form, options);
    dispatch({ type: 'setErrors', errors });
    const first = firstInvalidField(errors);
    if (hasErrors(errors)) {
      if (first) document.getElementById(first)?.focus();
      return null;
    }
    return cleanForm(state.form);
  };

  const showError = (prefix: string, error: CompanionError) => {
    setNotice(errorNotice(prefix, error));
    const field = fieldForErrorCode(error.code);
    if (field) dispatch({ type: 'fieldError', field, message: error.message });
  };

  const login = async () => {
    if (busy.has('login')) return;
    const form = checkedForm({ secretStored });
    if (!form) return;
    setNotice(null);
    const result = await run('login', () => sendMessage('login', { form }));
    if (result && !result.ok) showError('Login unsuccessful', result.error);
  };

  const logout = async () => {
    setNotice(null);
    const result = await run('logout', () =>
      sendMessage('logout', endProviderSession ? { endProviderSession: true } : {}),
    );
    if (!result) return;
    if (result.ok) setNotice(logoutNotice(result.value, Date.now()));
    else showError('Logout unsuccessful', result.error);
  };

  const save = async () => {
    if (busy.has('save')) return;
    // After a login, the relay holds that login's secret for the same client, so an
    // empty field is fine; the relay answers missing_secret otherwise.
    const form = checkedForm({ secretStored: secretStored || authenticated });
    if (!form) return;
    setNotice(null);
    const result = await run('save', () =>
      sendMessage('saveSettings', { form, required: state.required }),
    );
    if (!result) return;
    if (result.ok) {
      dispatch({ type: 'saved', settings: result.value?.settings ?? null });
      saveDraft(null);
      setNotice(note('success', MESSAGES.saved));
    } else {
      showError('Could not save the settings', result.error);
    }
  };

  const cancel = () => {
    dispatch({ type: 'discard', settings });
    saveDraft(null);
    setNotice(note('info', MESSAGES.discarded));
  };

  const fromOutcome = outcomeNotice({
    outcome: props.loginOutcome,
    pendingLogin: props.pendingLogin,
    authenticated,
    userName: displayName(auth.user),
    dismissedAt,
    now: Date.now(),
  });
  const shown = pickNotice(notice, fromOutcome);
  const dismiss = () => {
    if (shown?.source === 'outcome') setDismissedAt(shown.at);
    else setNotice(null);
  };

  return (
    <form
      class="panel"
      noValidate
      aria-labelledby="panel-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <header class="panel__header">
        <h1 id="panel-title">OpenID Connect</h1>
        <p class="panel__subtitle">SQL Safe Backup Repository</p>
      </header>
      <StatusPanel auth={auth} />
      <SettingsFields
        form={state.form}
        errors={state.errors}
        providerKind={state.providerKind}
        secretVisible={state.secretVisible}
        secretStored={secretStored}
        disabled={busy.has('save')}
        onEdit={(field, value) => dispatch({ type: 'edit', field, value })}
        onChooseProvider={(kind) => dispatch({ type: 'chooseProvider', kind })}
        onToggleSecret={() => dispatch({ type: 'toggleSecret' })}
      />
      <LoginControls
        loggingIn={busy.has('login')}
        loggingOut={busy.has('logout')}
        pending={props.pendingLogin !== null}
        onLogin={() => void login()}
        onLogout={() => void logout()}
        endProviderSession={endProviderSession}
        onEndProviderSessionChange={setEndProviderSession}
      />
      {/* Next to Login: the outcome of what the user just did. */}
      <Messages notice={shown} onDismiss={dismiss} />
      <RequiredField
        checked={state.required}
        enabled={authenticated}
        onChange={(value) => dispatch({ type: 'setRequired', value })}
      />
      {/* One-time provider set-up: below the everyday controls so Login stays in view. */}
      <ProviderSetup relayPort={props.relayPort} />
      <footer class="panel__footer">
        <div class="dialog-buttons">
          <button type="submit" class="btn btn--default" disabled={busy.has('save')}>
            OK
          </button>
          <button type="button" class="btn" onClick={cancel}>
            Cancel
          </button>
        </div>
      </footer>
    </form>
  );
}
