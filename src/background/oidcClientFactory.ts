/**
 * Builds an oidc-client-ts OidcClient for one relay session. Rebuilt for each
 * step from what storage holds: the worker keeps no module-level state that a
 * login depends on (it may be stopped between Login and the callback).
 */
import { OidcClient } from 'oidc-client-ts';
import { redirectUri, SCOPES } from '../shared/config.ts';
import { PAIRING_HEADER, type ProviderMetadata } from '../shared/relayApi.ts';
import { oidcStateStore } from '../shared/storage.ts';

export interface ClientContext {
  clientId: string;
  metadata: ProviderMetadata;
  relayTokenEndpoint: string;
  relayPort: number;
  pairingToken: string;
}

export function createOidcClient(ctx: ClientContext): OidcClient {
  return new OidcClient({
    authority: ctx.metadata.issuer,
    client_id: ctx.clientId,
    redirect_uri: redirectUri(ctx.relayPort),
    response_type: 'code',
    scope: SCOPES,
    // Full metadata given, so oidc-client-ts never fetches discovery itself
    // (the extension has no host access to the provider). Token requests go to
    // the relay, which adds the client secret and drops the browser Origin
    // that Entra (AADSTS9002326) and Okta refuse alongside a secret.
    metadata: {
      ...ctx.metadata,
      token_endpoint: ctx.relayTokenEndpoint,
      // The relay owns revocation (RFC 7009 needs client auth): never revoke from here.
      revocation_endpoint: undefined,
    },
    // Never its in-memory default: see storage.oidcStateStore.
    stateStore: oidcStateStore,
    // No client_secret here: oidc-client-ts would write it into the state store.
    client_authentication: 'client_secret_post',
    extraHeaders: { [PAIRING_HEADER]: ctx.pairingToken },
    loadUserInfo: false,
    // The relay hands us the parameters; we rebuild them as a query string to process.
    response_mode: 'query',
    // Abandoned logins older than this are cleared from the state store.
    staleStateAgeInSeconds: 600,
    disablePKCE: false,
  });
}
