import { type AuthState, displayName, STATUS_LABELS } from '../shared/auth.ts';

/**
 * The authentication status label. The element with role="status" holds the
 * exact documented label and nothing else; who is signed in, or why it
 * failed, sits beside it.
 */
export function StatusPanel({ auth }: { auth: AuthState }) {
  const name = auth.status === 'authenticated' ? displayName(auth.user) : null;
  return (
    <section class="status" aria-labelledby="status-caption">
      <div class="status__row">
        <span id="status-caption" class="status__caption">
          Authentication status
        </span>
        <span role="status" class={`pill pill--${auth.status}`}>
          {STATUS_LABELS[auth.status]}
        </span>
      </div>
      {name !== null && <p class="status__detail">Signed in as {name}</p>}
      {auth.status === 'failed' && (
        <p class="status__detail status__detail--failed">
          {auth.reason?.message ?? 'The provider ended the session.'} Log in again to continue.
          {auth.reason && <span class="code"> (code: {auth.reason.code})</span>}
        </p>
      )}
    </section>
  );
}
