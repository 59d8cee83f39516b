import { type AuthState, displayName, STATUS_LABELS } from '../shared/auth.ts';

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

/**
 * When the session renews or expires, or why it could not yet: from the
 * stored status only (the background writes refreshAt with every refresh).
 */
export function sessionTiming(auth: AuthState): string | null {
  const next = auth.refreshAt ?? null;
  if (auth.status === 'authenticated') {
    const valid =
      auth.expiresAt !== null ? `access token valid until ${clock(auth.expiresAt)}` : '';
    if (auth.reason && next !== null) {
      return `Could not renew the session yet (${auth.reason.message.replace(/\.$/, '')}). Next try at ${clock(next)}; ${valid || 'still signed in'}.`;
    }
    if (next !== null)
      return `Renews automatically at ${clock(next)}${valid ? ` (${valid})` : ''}.`;
    return valid ? `Session ends at ${clock(auth.expiresAt as number)} (no refresh token).` : null;
  }
  if (auth.status === 'not_authenticated' && auth.reason) {
    // Recovering by itself (provider unreachable), or a session that simply ran out.
    if (next !== null) return `${auth.reason.message} Next try at ${clock(next)}.`;
    if (auth.reason.code === 'session_expired') return auth.reason.message;
  }
  return null;
}

/**
 * The authentication status label. The element with role="status" holds the
 * exact documented label and nothing else; who is signed in, or why it
 * failed, sits beside it.
 */
export function StatusPanel({ auth }: { auth: AuthState }) {
  const name = auth.status === 'authenticated' ? displayName(auth.user) : null;
  const timing = sessionTiming(auth);
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
      {timing !== null && <p class="status__detail status__timing">{timing}</p>}
      {auth.status === 'failed' && (
        <p class="status__detail status__detail--failed">
          {auth.reason?.message ?? 'The provider ended the session.'} Log in again to continue.
          {auth.reason && <span class="code"> (code: {auth.reason.code})</span>}
        </p>
      )}
    </section>
  );
}
