/** Writes the authentication status (and the badge that mirrors it) in one place. */
import type {
  AuthContext,
  AuthState,
  LoginOutcome,
  PendingLogin,
  RefreshRetry,
  SignedInUser,
  TokenSet,
} from '../shared/auth.ts';
import { SIGNED_OUT } from '../shared/auth.ts';
import { CompanionError } from '../shared/errors.ts';
import * as storage from '../shared/storage.ts';
import { ALARMS, cancel, scheduleAt } from './alarms.ts';
import { applyBadge } from './badge.ts';
import type { IdTokenClaims } from './idTokenValidation.ts';
import { refreshDueAt } from './refreshPolicy.ts';

export function userFromClaims(claims: IdTokenClaims): SignedInUser {
  const user: SignedInUser = { sub: claims.sub };
  if (typeof claims.name === 'string') user.name = claims.name;
  if (typeof claims.email === 'string') user.email = claims.email;
  if (typeof claims.preferred_username === 'string')
    user.preferredUsername = claims.preferred_username;
  return user;
}

/** What a refresh needs later, taken from the login that produced the tokens. */
export function contextFromLogin(pending: PendingLogin): AuthContext {
  return {
    sessionId: pending.sessionId,
    issuer: pending.issuer,
    clientId: pending.clientId,
    metadata: pending.metadata,
    relayTokenEndpoint: pending.relayTokenEndpoint,
    relayJwksEndpoint: pending.relayJwksEndpoint,
  };
}

function authenticatedState(tokens: TokenSet, user: SignedInUser): AuthState {
  return {
    status: 'authenticated',
    user,
    reason: null,
    sessionId: tokens.sessionId,
    expiresAt: tokens.expiresAt,
    refreshAt: tokens.refreshToken === null ? null : refreshDueAt(tokens),
    updatedAt: Date.now(),
  };
}

export async function markAuthenticated(
  tokens: TokenSet,
  user: SignedInUser,
  outcome: LoginOutcome,
): Promise<void> {
  // The login's pending record carries the provider metadata and relay
  // endpoints that refreshes need; it becomes authContext in this same write.
  const pending = await storage.read('pendingLogin');
  const context =
    pending !== null && pending.sessionId === tokens.sessionId ? contextFromLogin(pending) : null;
  const auth = authenticatedState(tokens, user);
  // One write: the popup never sees "Authenticated" without the tokens behind it.
  await storage.writeMany({
    tokens,
    auth,
    authContext: context,
    refreshRetry: null,
    pendingLogin: null,
    loginOutcome: outcome,
  });
  await applyBadge(auth);
  await scheduleRefresh(auth);
}

/** A successful refresh: new tokens, still (or again) Authenticated. */
export async function markRefreshed(tokens: TokenSet, user: SignedInUser): Promise<void> {
  const auth = authenticatedState(tokens, user);
  await storage.writeMany({ tokens, auth, refreshRetry: null });
  await applyBadge(auth);
  await scheduleRefresh(auth);
}

/**
 * A refresh failed transiently. The status stays what it is (Authenticated
 * until the access token really expires); the popup shows why and when the
 * next try is.
 */
export async function markRetrying(retry: RefreshRetry): Promise<void> {
  const current = await storage.read('auth');
  const auth: AuthState = {
    ...current,
    reason: current.status === 'authenticated' ? retry.lastError : current.reason,
    refreshAt: retry.nextAttemptAt,
    updatedAt: Date.now(),
  };
  await storage.writeMany({ refreshRetry: retry, auth });
  await applyBadge(auth);
}

/**
 * The access token expired while the provider (or the relay) could not be
 * reached: Not Authenticated, saying so, with the refresh token kept so the
 * session comes back by itself once the provider answers again.
 */
export async function markUnreachable(retry: RefreshRetry): Promise<void> {
  const current = await storage.read('auth');
  const relayDown = retry.lastError.code === 'relay_unreachable';
  const reason = new CompanionError(
    relayDown ? 'relay_unreachable' : 'provider_unreachable',
    `${relayDown ? 'Local relay unreachable' : 'Provider unreachable'}: the access token expired ` +
      'before the session could be renewed. Retrying automatically; no need to log in again.',
    { detail: retry.lastError.message },
  );
  const auth: AuthState = {
    ...current,
    status: 'not_authenticated',
    reason: reason.toJSON(),
    refreshAt: retry.nextAttemptAt,
    updatedAt: Date.now(),
  };
  await storage.write('auth', auth);
  await applyBadge(auth);
}

/** Back to Not Authenticated (or Authentication Failed), with every token and login state wiped. */
export async function markSignedOut(
  status: 'not_authenticated' | 'failed',
  reason: CompanionError | null,
  outcome?: LoginOutcome,
): Promise<void> {
  await storage.clearSessionData();
  const auth: AuthState = {
    ...SIGNED_OUT,
    status,
    reason: reason ? reason.toJSON() : null,
    updatedAt: Date.now(),
  };
  await storage.writeMany(outcome ? { auth, loginOutcome: outcome } : { auth });
  await applyBadge(auth);
  // Nothing left to refresh: no alarm that would wake the worker for nothing.
  await cancel(ALARMS.refresh).catch(() => undefined);
}

async function scheduleRefresh(auth: AuthState): Promise<void> {
  if (auth.refreshAt === null || auth.refreshAt === undefined) return;
  await scheduleAt(ALARMS.refresh, auth.refreshAt).catch(() => undefined);
}

export async function refreshBadgeFromStorage(): Promise<void> {
  await applyBadge(await storage.read('auth'));
}
