/**
 * Token revocation at the provider (RFC 7009). The request is built here,
 * purely; revokeTokens sends it. The relay does it, not the extension,
 * because revocation needs client authentication like the token endpoint
 * (RFC 7009 section 2.1; Okta requires it), and the secret stays in the relay.
 * Entra ID publishes no revocation_endpoint: callers report that instead.
 */
import { CompanionError, type SerializedError } from '../shared/errors.ts';
import { parseJsonObject, providerFetch, readTextLimited } from './providerFetch.ts';
import type { TokenAuthMethod } from './repository/types.ts';
import { addClientAuthentication, type ForwardedTokenRequest, oauthError } from './tokenForward.ts';

export type RevocableTokenType = 'refresh_token' | 'access_token';

export interface RevocationClient {
  revocationEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** The token endpoint's method: providers accept the same at revocation (Okta, oidc-provider). */
  method: TokenAuthMethod;
}

/** RFC 7009 section 2.1: token, token_type_hint, and the client's authentication. */
export function buildRevocationRequest(
  token: string,
  hint: RevocableTokenType,
  client: RevocationClient,
): ForwardedTokenRequest {
  const body = new URLSearchParams({ token, token_type_hint: hint });
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  addClientAuthentication(body, headers, client);
  return { url: client.revocationEndpoint, headers, body: body.toString() };
}

export interface RevocationResult {
  revoked: RevocableTokenType[];
  error: SerializedError | null;
}

/**
 * Revokes each token given, the refresh token first: revoking it ends the
 * grant, and with it (at most providers) the access tokens issued from it
 * (RFC 7009 section 2.1). Every token is tried even if one fails.
 */
export async function revokeTokens(
  fetchImpl: typeof fetch,
  client: RevocationClient,
  tokens: Partial<Record<RevocableTokenType, string>>,
): Promise<RevocationResult> {
  const revoked: RevocableTokenType[] = [];
  let error: SerializedError | null = null;
  for (const hint of ['refresh_token', 'access_token'] as const) {
    const token = tokens[hint];
    if (token === undefined || token === '') continue;
    const request = buildRevocationRequest(token, hint, client);
    try {
      const response = await providerFetch(fetchImpl, request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      const text = await readTextLimited(response);
      // RFC 7009 section 2.2: 200 also for a token that was already invalid.
      if (response.status === 200) {
        revoked.push(hint);
        continue;
      }
      // A provider echoing the request must not carry the secret or the token to the browser.
      const oauth = oauthError(parseJsonObject(text), [client.clientSecret, token]);
      error ??= new CompanionError(
        'revocation_failed',
        `The provider refused to revoke the ${hint.replace('_', ' ')} (HTTP ${response.status}${oauth ? `, ${oauth.error}` : ''}).`,
        { detail: oauth?.error_description ?? `HTTP ${response.status}` },
      ).toJSON();
    } catch (err) {
      const e =
        err instanceof CompanionError
          ? err
          : new CompanionError('revocation_failed', String(err), { cause: err });
      error ??= e.toJSON();
    }
  }
  return { revoked, error };
}
