/**
 * When to refresh, when to retry, and what the token lifecycle does next:
 * pure functions of what storage holds and the clock, unit-tested with fixed
 * times. The worker (sessionLifecycle.ts) reads storage, asks nextStep, acts,
 * and asks again until the answer is "wait" (an alarm) or "idle".
 */
import type { AuthStatus, RefreshRetry } from '../shared/auth.ts';
import type { SerializedError } from '../shared/errors.ts';

/** Refresh this fraction of the lifetime before expiry... */
export const MARGIN_FRACTION = 0.1;
/** ...but at least this early (network, a sleeping laptop's late alarm)... */
export const MIN_MARGIN_MS = 30_000;
/** ...and never in the first half of a (very short) lifetime, or every token is "due" at birth. */
export const MAX_MARGIN_FRACTION = 0.5;
/** A token younger than this is never refreshed (guards against a refresh loop on absurd lifetimes). */
export const MIN_TOKEN_AGE_MS = 1_000;
/** A provider that sends no expires_in (RFC 6749 5.1 makes it RECOMMENDED only): assume an hour. */
export const ASSUMED_LIFETIME_MS = 60 * 60 * 1000;
/** The clock went back by more than this since the token was obtained: its timing means nothing. */
export const CLOCK_JUMP_TOLERANCE_MS = 5 * 60 * 1000;
/** Transient failures: 2 s, 4 s, 8 s, ... */
export const BACKOFF_BASE_MS = 2_000;
/** ...capped at half the token lifetime, within these bounds. */
export const BACKOFF_MIN_CAP_MS = 5_000;
export const BACKOFF_MAX_MS = 5 * 60 * 1000;
/** A popup asking again retries at once, but not more often than this. */
export const INTERACTIVE_RETRY_GAP_MS = 2_000;

export interface TokenTiming {
  /** Epoch ms, local clock, when the token response arrived. */
  obtainedAt: number;
  /** Epoch ms: obtainedAt + expires_in. */
  expiresAt: number | null;
}

/**
 * The lifetime as the provider stated it (expires_in, RFC 6749 5.1). It is
 * relative, measured from our own receipt of the answer, so a skew between
 * the provider's clock and ours does not shift it; only the local clock is
 * used from then on.
 */
export function tokenLifetime(t: TokenTiming): number {
  if (t.expiresAt === null) return ASSUMED_LIFETIME_MS;
  return Math.max(0, t.expiresAt - t.obtainedAt);
}

export function refreshMargin(lifetimeMs: number): number {
  return Math.min(
    Math.max(lifetimeMs * MARGIN_FRACTION, MIN_MARGIN_MS),
    lifetimeMs * MAX_MARGIN_FRACTION,
  );
}

/** Epoch ms when the token should be refreshed. */
export function refreshDueAt(t: TokenTiming): number {
  const lifetime = tokenLifetime(t);
  const expiresAt = t.expiresAt ?? t.obtainedAt + lifetime;
  return Math.max(expiresAt - refreshMargin(lifetime), t.obtainedAt + MIN_TOKEN_AGE_MS);
}

/** Delay before retry number `attempt` (1 = the first retry after one failure). */
export function backoffDelay(attempt: number, lifetimeMs: number): number {
  const cap = Math.min(BACKOFF_MAX_MS, Math.max(lifetimeMs / 2, BACKOFF_MIN_CAP_MS));
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1), cap);
}

/** The retry record after one more transient failure at `now`. */
export function retryAfterFailure(
  previous: RefreshRetry | null,
  now: number,
  lifetimeMs: number,
  error: SerializedError,
): RefreshRetry {
  const attempt = (previous?.attempt ?? 0) + 1;
  return {
    attempt,
    lastAttemptAt: now,
    nextAttemptAt: now + backoffDelay(attempt, lifetimeMs),
    lastError: error,
  };
}

/**
 * When a refresh attempt starting now should be retried if nothing reports
 * back, e.g. because the browser stopped the worker mid-request. The relay
 * answers that retry from its cache (refreshGate.ts), so it is safe.
 */
export function recoveryAt(retry: RefreshRetry | null, now: number, lifetimeMs: number): number {
  return now + backoffDelay((retry?.attempt ?? 0) + 1, lifetimeMs);
}

/** Who asked: the refresh alarm, a worker start, a popup, or a browser start. */
export type Trigger = 'alarm' | 'wake' | 'popup' | 'startup';

export interface LifecycleState {
  status: AuthStatus;
  tokens: (TokenTiming & { hasRefreshToken: boolean }) | null;
  /** The login's provider metadata and relay session are known (needed to refresh). */
  hasContext: boolean;
  retry: RefreshRetry | null;
}

export type Step =
  /** Nothing to keep alive: no alarm. */
  | { kind: 'idle' }
  /** Set the alarm for `until` and stop. */
  | { kind: 'wait'; until: number }
  /** Refresh now. */
  | { kind: 'refresh' }
  /**
   * The access token expired without a successful refresh. `no_refresh`: no
   * refresh token, so the session is over (Not Authenticated). `unreachable`:
   * refreshes fail transiently: Not Authenticated, refresh token kept, retries go on.
   */
  | { kind: 'expire'; reason: 'no_refresh' | 'unreachable' };

export function nextStep(state: LifecycleState, now: number, trigger: Trigger): Step {
  const { tokens, retry } = state;
  if (tokens === null) return { kind: 'idle' };
  const expired = tokens.expiresAt !== null && now >= tokens.expiresAt;

  if (!tokens.hasRefreshToken || !state.hasContext) {
    if (expired) return { kind: 'expire', reason: 'no_refresh' };
    return tokens.expiresAt === null ? { kind: 'idle' } : { kind: 'wait', until: tokens.expiresAt };
  }

  if (retry !== null) {
    const asked = trigger === 'popup' && now - retry.lastAttemptAt >= INTERACTIVE_RETRY_GAP_MS;
    if (now >= retry.nextAttemptAt || asked) return { kind: 'refresh' };
    // "Keep the status until the access token actually expires", then say so.
    if (state.status === 'authenticated' && expired)
      return { kind: 'expire', reason: 'unreachable' };
    const until =
      state.status === 'authenticated' && tokens.expiresAt !== null
        ? Math.min(retry.nextAttemptAt, tokens.expiresAt)
        : retry.nextAttemptAt;
    return { kind: 'wait', until };
  }

  if (now < tokens.obtainedAt - CLOCK_JUMP_TOLERANCE_MS) return { kind: 'refresh' };
  const due = refreshDueAt(tokens);
  return now >= due ? { kind: 'refresh' } : { kind: 'wait', until: due };
}
