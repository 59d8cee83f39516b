/**
 * The HTTP contract between the extension and the relay on localhost.
 * Every /api/ call carries the pairing token in PAIRING_HEADER (except
 * /api/pair and /api/health). Errors come back as `{ error: SerializedError }`
 * with a 4xx/5xx status, except the token endpoint, which answers in the
 * provider's own RFC 6749 section 5.2 format so oidc-client-ts can read it.
 */
import type { SerializedError } from './errors.ts';
import type { RepositorySettings } from './settings.ts';

export const PAIRING_HEADER = 'X-SQLSafe-Pairing';

export const RELAY_PATHS = {
  health: '/api/health',
  pair: '/api/pair',
  settings: '/api/settings',
  sessions: '/api/sessions',
  /** POST {state, sessionId}: /callback/ will accept one response for this state (and no other). */
  expectAuthorizationResponse: '/api/authorization-responses/expect',
  /** POST {state} -> the stored authorization response for that state, once. */
  takeAuthorizationResponse: '/api/authorization-responses/take',
  session: (id: string) => `/api/sessions/${encodeURIComponent(id)}`,
  /** Form-encoded token request (RFC 6749 4.1.3 / 6), forwarded with client authentication. */
  sessionToken: (id: string) => `/api/sessions/${encodeURIComponent(id)}/token`,
  sessionJwks: (id: string) => `/api/sessions/${encodeURIComponent(id)}/jwks`,
  /** POST {refreshToken?, accessToken?}: revoke them at the provider (RFC 7009), then end the session. */
  sessionLogout: (id: string) => `/api/sessions/${encodeURIComponent(id)}/logout`,
} as const;

export interface ApiErrorBody {
  error: SerializedError;
}

export interface HealthResponse {
  ok: true;
  service: 'sqlsafe-oidc-relay';
  version: string;
  port: number;
}

export interface PairResponse {
  token: string;
}

export interface GetSettingsResponse {
  settings: RepositorySettings | null;
}

export interface PutSettingsRequest {
  nickname: string;
  authority: string;
  clientId: string;
  /** Omitted or empty: keep the stored secret (or the one of `sessionId`'s login for the same client). */
  clientSecret?: string;
  required: boolean;
  /** The caller's current session; needed to change `required` (only an authenticated user may). */
  sessionId?: string;
}

export interface PutSettingsResponse {
  settings: RepositorySettings;
}

export interface CreateSessionRequest {
  nickname: string;
  authority: string;
  clientId: string;
  /** Omitted or empty: use the repository's stored secret when authority and client match. */
  clientSecret?: string;
  redirectUri: string;
}

/** The subset of provider discovery metadata the extension needs (public values only). */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
  revocation_endpoint?: string;
  userinfo_endpoint?: string;
  response_modes_supported?: string[];
  code_challenge_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  token_endpoint_auth_methods_supported?: string[];
}

export interface CreateSessionResponse {
  sessionId: string;
  /** The provider's metadata; `token_endpoint` is the PROVIDER's (the relay forwards to it). */
  metadata: ProviderMetadata;
  /** Absolute URL of the relay endpoint that forwards token requests for this session. */
  relayTokenEndpoint: string;
  /** Absolute URL of the relay endpoint that serves the provider's JWKS for this session. */
  relayJwksEndpoint: string;
}

export type SessionStatus = 'pending' | 'authenticated' | 'failed' | 'ended';

export interface SessionInfo {
  sessionId: string;
  status: SessionStatus;
  issuer: string;
  clientId: string;
  sub: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ExpectAuthorizationResponseRequest {
  /** The `state` of the authorization request about to be opened. */
  state: string;
  /** The pending login session it belongs to. */
  sessionId: string;
}

/** The tokens to revoke at the provider when the session ends (sent once, never stored by the relay). */
export interface LogoutSessionRequest {
  refreshToken?: string;
  accessToken?: string;
}

/**
 * What became of the tokens at the provider:
 * - revoked: the provider's revocation endpoint accepted every token sent (RFC 7009 2.2);
 * - not_supported: discovery names no revocation_endpoint (Entra ID): the tokens stay
 *   valid at the provider until they expire;
 * - failed: the provider could not be reached or refused (see `error`);
 * - nothing_to_revoke: no token was sent.
 */
export type RevocationOutcome = 'revoked' | 'not_supported' | 'failed' | 'nothing_to_revoke';

export interface LogoutSessionResponse {
  ended: true;
  revocation: RevocationOutcome;
  /** Which token types the provider accepted for revocation. */
  revoked: Array<'refresh_token' | 'access_token'>;
  error?: SerializedError;
}

export interface TakeAuthorizationResponseRequest {
  state: string;
}

/** The authorization response parameters (RFC 6749 4.1.2 / 4.1.2.1, RFC 9207 `iss`). */
export interface TakeAuthorizationResponseResponse {
  params: Record<string, string>;
  receivedAt: string;
}
