/**
 * One refresh (RFC 6749 section 6) with oidc-client-ts's OidcClient through
 * the relay's token endpoint, which adds the client authentication. The
 * rotated refresh token is written to storage the moment it arrives, before
 * anything else happens (validation, the next refresh): Okta and
 * oidc-provider have already retired the old one, and losing the new one
 * would end the session. Every refreshed ID token is validated like the first
 * one, and must name the same sub and iss (OpenID Connect Core 1.0 section 12.2).
 */
import type { RefreshState } from 'oidc-client-ts';
import type { AuthContext, TokenSet } from '../shared/auth.ts';
import * as storage from '../shared/storage.ts';
import { verifyIdToken } from './idTokenCheck.ts';
import type { IdTokenClaims } from './idTokenValidation.ts';
import { createOidcClient } from './oidcClientFactory.ts';
import { pairingToken } from './relayClient.ts';

/** The relay waits 10 s for the provider; give the whole exchange a little more. */
export const REFRESH_TIMEOUT_SECONDS = 20;

/** The stored tokens changed under a refresh (Logout, a new login): its result must be dropped. */
export class RefreshSuperseded extends Error {
  constructor() {
    super('The tokens were replaced while the refresh was in flight.');
    this.name = 'RefreshSuperseded';
  }
}

export interface Refreshed {
  tokens: TokenSet;
  /** The refreshed ID token's claims, or null when the provider sent no new ID token. */
  claims: IdTokenClaims | null;
}

function sameTokens(a: TokenSet | null, b: TokenSet): a is TokenSet {
  return a !== null && a.sessionId === b.sessionId && a.refreshToken === b.refreshToken;
}

/** Writes the rotated refresh token, unless the tokens it replaces are gone. */
async function storeRotatedRefreshToken(current: TokenSet, rotated: string): Promise<void> {
  const stored = await storage.read('tokens');
  if (!sameTokens(stored, current)) throw new RefreshSuperseded();
  await storage.write('tokens', { ...stored, refreshToken: rotated });
}

export async function refreshTokens(current: TokenSet, context: AuthContext): Promise<Refreshed> {
  if (current.refreshToken === null) throw new RefreshSuperseded();
  const client = createOidcClient({
    clientId: context.clientId,
    metadata: context.metadata,
    relayTokenEndpoint: context.relayTokenEndpoint,
    relayPort: await storage.read('relayPort'),
    pairingToken: await pairingToken(),
  });
  const state = {
    refresh_token: current.refreshToken,
    id_token: current.idToken,
    session_state: null,
    // No scope parameter: RFC 6749 section 6 then grants the original scope, and
    // Entra's resource-qualified scopes never have to be sent back verbatim.
    scope: undefined,
    // Only read by oidc-client-ts when the answer carries no ID token; we keep ours then.
    profile: { sub: current.sub, iss: current.issuer, aud: current.clientId, exp: 0, iat: 0 },
  } as RefreshState;
  const response = await client.useRefreshToken({
    state,
    timeoutInSeconds: REFRESH_TIMEOUT_SECONDS,
  });
  const obtainedAt = Date.now();

  // RFC 6749 section 6: the provider MAY issue a new refresh token; without one, keep ours.
  const refreshToken = response.refresh_token ?? current.refreshToken;
  if (refreshToken !== current.refreshToken) await storeRotatedRefreshToken(current, refreshToken);

  // oidc-client-ts puts our old ID token back when the answer has none (OIDC Core 12.2 allows that).
  const newIdToken =
    response.id_token !== undefined && response.id_token !== current.idToken
      ? response.id_token
      : null;
  const claims =
    newIdToken === null
      ? null
      : await verifyIdToken(context.sessionId, newIdToken, {
          issuer: context.issuer,
          clientId: context.clientId,
          algorithms: context.metadata.id_token_signing_alg_values_supported,
          original: { sub: current.sub, iss: current.issuer },
        });

  return {
    tokens: {
      ...current,
      idToken: newIdToken ?? current.idToken,
      accessToken: response.access_token,
      refreshToken,
      tokenType: response.token_type || current.tokenType,
      scope: response.scope ?? current.scope,
      // expires_at is obtained-time + expires_in on our own clock (oidc-client-ts SigninResponse).
      expiresAt: response.expires_at !== undefined ? response.expires_at * 1000 : null,
      obtainedAt,
    },
    claims,
  };
}

/** True when the stored tokens are still the ones `refreshed` replaces (same session, same refresh token). */
export function stillCurrent(stored: TokenSet | null, refreshed: TokenSet): boolean {
  return sameTokens(stored, refreshed);
}
