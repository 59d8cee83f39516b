/**
 * Building the token request the relay sends to the provider, and reading
 * the provider's answer. Pure functions: the route makes the request.
 *
 * Why a relay at all: Entra ID and Okta refuse a client secret that arrives
 * with a browser Origin header (Entra AADSTS9002326; Okta requires PKCE-only
 * public clients for browser requests). The extension's request reaches us
 * with its Origin; ours to the provider carries none.
 */
import type { TokenAuthMethod } from './repository/types.ts';

/** The only parameters passed on (RFC 6749 4.1.3 and 6; RFC 7636 4.5). */
export const FORWARDED_PARAMS = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'scope',
] as const;

export const SUPPORTED_GRANTS = ['authorization_code', 'refresh_token'] as const;
export type SupportedGrant = (typeof SUPPORTED_GRANTS)[number];

export function isSupportedGrant(value: string | undefined): value is SupportedGrant {
  return (SUPPORTED_GRANTS as readonly string[]).includes(value ?? '');
}

/**
 * application/x-www-form-urlencoded encoding of one value, as RFC 6749 2.3.1
 * requires for both halves of the Basic credentials before base64 (Appendix
 * B: space becomes '+', ':' becomes %3A, and so on). URLSearchParams
 * implements exactly that serializer (WHATWG URL, urlencoded serializer).
 */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

export function basicAuthorization(clientId: string, clientSecret: string): string {
  const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

export interface ForwardedTokenRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The request to the provider: the allowed parameters from the extension's
 * request plus client authentication. Nothing else of the browser's request
 * (Origin, Referer, Cookie, its own client_secret or headers) is carried over.
 */
export function buildTokenRequest(
  incoming: Record<string, string>,
  client: {
    tokenEndpoint: string;
    clientId: string;
    clientSecret: string;
    method: TokenAuthMethod;
  },
): ForwardedTokenRequest {
  const body = new URLSearchParams();
  for (const name of FORWARDED_PARAMS) {
    const value = incoming[name];
    if (value !== undefined) body.set(name, value);
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  addClientAuthentication(body, headers, client);
  return { url: client.tokenEndpoint, headers, body: body.toString() };
}

/**
 * Client authentication for token and revocation requests (RFC 6749 2.3.1,
 * RFC 7009 2.1): HTTP Basic, or client_secret_post with both in the body.
 */
export function addClientAuthentication(
  body: URLSearchParams,
  headers: Record<string, string>,
  client: { clientId: string; clientSecret: string; method: TokenAuthMethod },
): void {
  if (client.method === 'client_secret_basic') {
    headers.Authorization = basicAuthorization(client.clientId, client.clientSecret);
  } else {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  }
}

/** An RFC 6749 5.2 error body, or null when `body` is not one. */
export function oauthError(
  body: Record<string, unknown> | null,
  /** Values that must not travel on (the client secret): replaced if the provider echoes them. */
  redact: readonly string[] = [],
): { error: string; error_description?: string } | null {
  if (body === null || typeof body.error !== 'string' || body.error === '') return null;
  const clean = (text: string) => redactSecrets(text, redact);
  return typeof body.error_description === 'string'
    ? { error: clean(body.error), error_description: clean(body.error_description) }
    : { error: clean(body.error) };
}

/**
 * Replaces each secret (as sent, and form-encoded as in Basic credentials)
 * with [redacted]. A provider that echoes the request in its error text must
 * not carry the client secret into the browser, its storage or the popup.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue; // too short to tell apart from ordinary words
    for (const form of new Set([secret, formEncode(secret), encodeURIComponent(secret)])) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}
