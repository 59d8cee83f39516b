export const OPENING_TEXT = 'Opening the provider\u2019s sign-in page\u2026';
export const WAITING_TEXT = 'Waiting for you to sign in at the provider\u2026';

export interface LoginControlsProps {
  loggingIn: boolean;
  loggingOut: boolean;
  /** A login has started and the provider has not answered yet. */
  pending: boolean;
  onLogin: () => void;
  onLogout: () => void;
  /** Logout also ends the provider's own session (RP-initiated logout, in a tab). */
  endProviderSession: boolean;
  onEndProviderSessionChange: (value: boolean) => void;
}

/** Login and Logout, with what the login is doing right now. Logout is always possible. */
export function LoginControls(props: LoginControlsProps) {
  const progress = props.loggingIn ? OPENING_TEXT : props.pending ? WAITING_TEXT : '';
  return (
    <div class="login">
      <div class="login__buttons">
        <button
          type="button"
          class="btn btn--primary"
          disabled={props.loggingIn}
          onClick={props.onLogin}
        >
          Login
        </button>
        <button type="button" class="btn" disabled={props.loggingOut} onClick={props.onLogout}>
          Logout
        </button>
      </div>
      <div class="check">
        <input
          id="end-provider-session"
          type="checkbox"
          checked={props.endProviderSession}
          onChange={(e) => props.onEndProviderSessionChange(e.currentTarget.checked)}
        />
        <label for="end-provider-session">Also sign out at the provider</label>
      </div>
      {/* Its own polite live region: only the status label has role="status". */}
      <p class="login__progress" aria-live="polite">
        {progress && <span class="spinner" aria-hidden="true" />}
        {progress}
      </p>
    </div>
  );
}
