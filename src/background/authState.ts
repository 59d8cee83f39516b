/** Writes the authentication status (and the badge that mirrors it) in one place. */
import type { AuthState, LoginOutcome, SignedInUser, TokenSet } from '../shared/auth.ts';
import { SIGNED_OUT } from '../shared/auth.ts';
import type { CompanionError } from '../shared/errors.ts';
import * as storage from '../shared/storage.ts';
import { applyBadge } from './badge.ts';
import type { IdTokenClaims } from './idTokenValidation.ts';

export function userFromClaims(claims: IdTokenClaims): SignedInUser {
  const user: SignedInUser = { sub: claims.sub };
  if (typeof claims.name === 'string') user.name = claims.name;
  if (typeof claims.email === 'string') user.email = claims.email;
  if (typeof claims.preferred_username === 'string')
    user.preferredUsername = claims.preferred_username;
  return user;
}

export async function markAuthenticated(
  tokens: TokenSet,
  user: SignedInUser,
  outcome: LoginOutcome,
): Promise<void> {
  const auth: AuthState = {
    status: 'authenticated',
    user,
    reason: null,
    sessionId: tokens.sessionId,
    expiresAt: tokens.expiresAt,
    updatedAt: Date.now(),
  };
  // One write: the popup never sees "Authenticated" without the tokens behind it.
  await storage.writeMany({ tokens, auth, pendingLogin: null, loginOutcome: outcome });
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
}

export async function refreshBadgeFromStorage(): Promise<void> {
  await applyBadge(await storage.read('auth'));
}
