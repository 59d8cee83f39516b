/**
 * Logout is always possible and always clears everything local, even when
 * the relay or the provider cannot be reached ("Logout clears all stored
 * tokens and session data"). Before clearing, the relay revokes the refresh
 * and access tokens at the provider (RFC 7009) where discovery offers a
 * revocation endpoint; Entra ID has none, and the answer says so. On request
 * the provider's own session is ended too (OpenID Connect RP-Initiated Logout
 * 1.0: end_session_endpoint with id_token_hint), in a tab, since the provider
 * may ask the user to confirm.
 */
import browser from 'webextension-polyfill';
import type { AuthContext, TokenSet } from '../shared/auth.ts';
import { CompanionError, toCompanionError } from '../shared/errors.ts';
import type { LogoutResult } from '../shared/messages.ts';
import * as storage from '../shared/storage.ts';
import { markSignedOut } from './authState.ts';
import { createOidcClient } from './oidcClientFactory.ts';
import { pairingToken, relay } from './relayClient.ts';
import { withLifecycleLockOrTimeout } from './singleFlight.ts';
import { closeTab } from './tabs.ts';

/** A refresh in flight finishes first (so its rotated token is the one revoked), but not forever. */
const WAIT_FOR_REFRESH_MS = 10_000;

/** Revokes a login's tokens at the provider through the relay, which then forgets the session. */
export async function revokeTokens(
  tokens: TokenSet | null,
): Promise<Pick<LogoutResult, 'revocation' | 'revocationError'>> {
  if (tokens === null) return { revocation: 'nothing_to_revoke' };
  try {
    const answer = await relay.logoutSession(tokens.sessionId, {
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
      accessToken: tokens.accessToken,
    });
    if (answer === null) {
      // The relay no longer knows the session (reset, other data dir): nothing it can revoke with.
      return {
        revocation: 'failed',
        revocationError: new CompanionError(
          'not_found',
          'The local relay no longer knows this login, so the tokens could not be revoked.',
        ).toJSON(),
      };
    }
    return answer.error
      ? { revocation: answer.revocation, revocationError: answer.error }
      : { revocation: answer.revocation };
  } catch (err) {
    return { revocation: 'failed', revocationError: toCompanionError(err).toJSON() };
  }
}

async function openProviderLogout(
  tokens: TokenSet | null,
  context: AuthContext | null,
): Promise<LogoutResult['providerLogout']> {
  if (context === null || !context.metadata.end_session_endpoint) return 'not_supported';
  const client = createOidcClient({
    clientId: context.clientId,
    metadata: context.metadata,
    relayTokenEndpoint: context.relayTokenEndpoint,
    relayPort: await storage.read('relayPort'),
    pairingToken: await pairingToken().catch(() => ''),
  });
  // No post_logout_redirect_uri: it would have to be registered at the provider;
  // the provider shows its own "signed out" page instead.
  const request = await client.createSignoutRequest({
    client_id: context.clientId,
    ...(tokens ? { id_token_hint: tokens.idToken } : {}),
  });
  await browser.tabs.create({ url: request.url, active: true });
  return 'opened';
}

export async function logout(
  options: { endProviderSession?: boolean } = {},
): Promise<LogoutResult> {
  return withLifecycleLockOrTimeout(WAIT_FOR_REFRESH_MS, async () => {
    const [auth, tokens, pending, context] = await Promise.all([
      storage.read('auth'),
      storage.read('tokens'),
      storage.read('pendingLogin'),
      storage.read('authContext'),
    ]);

    const revocation = await revokeTokens(tokens);
    let providerLogout: LogoutResult['providerLogout'] = 'not_requested';
    if (options.endProviderSession) {
      providerLogout = await openProviderLogout(tokens, context).catch(
        () => 'not_supported' as const,
      );
    }

    // Every other session this browser still has at the relay: it forgets them and their secret.
    const others = new Set(
      [auth.sessionId, context?.sessionId, pending?.sessionId].filter(
        (id): id is string => !!id && id !== tokens?.sessionId,
      ),
    );
    for (const id of others) await relay.endSession(id).catch(() => undefined);
    await closeTab(pending?.tabId);
    await markSignedOut('not_authenticated', null);
    return { cleared: true, ...revocation, providerLogout };
  });
}
