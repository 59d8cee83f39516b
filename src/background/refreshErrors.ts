/**
 * What a failed refresh means. Pure: unit-tested with the errors
 * oidc-client-ts, the relay and fetch actually throw.
 *
 * - revoked: the provider answered invalid_grant (RFC 6749 5.2: the refresh
 *   token is invalid, expired, revoked, or the user was disabled). The session
 *   is over: Authentication Failed, tokens wiped, no retry.
 * - fatal: retrying cannot help (wrong client credentials, an ID token that
 *   fails validation, the relay no longer knows the session): also
 *   Authentication Failed, with that reason.
 * - transient: nothing says the grant is dead (relay or provider down, 5xx,
 *   timeouts): keep the tokens and retry with backoff.
 */
import { ErrorResponse, ErrorTimeout } from 'oidc-client-ts';
import { CompanionError, type ErrorCode, isErrorCode } from '../shared/errors.ts';
import { fromProviderError } from './providerErrors.ts';

export type RefreshFailureKind = 'revoked' | 'fatal' | 'transient';

export interface RefreshFailure {
  kind: RefreshFailureKind;
  error: CompanionError;
}

/** OAuth errors (RFC 6749 5.2) and relay codes that say "try again later". */
const TRANSIENT_CODES = new Set<string>([
  'provider_unreachable',
  'relay_unreachable',
  'relay_error',
  'token_request_failed',
  'internal',
  'server_error',
  'temporarily_unavailable',
]);

function revoked(description: string | null | undefined): RefreshFailure {
  const said = description ? ` The provider said: "${description}"` : '';
  return {
    kind: 'revoked',
    error: new CompanionError(
      'invalid_grant',
      `The provider ended the session: it no longer accepts the refresh token (revoked, expired, or the user was disabled).${said}`,
      { detail: description ? `invalid_grant: ${description}` : 'invalid_grant' },
    ),
  };
}

function byCode(code: string, description: string | null | undefined): RefreshFailure {
  if (code === 'invalid_grant') return revoked(description);
  if (TRANSIENT_CODES.has(code)) {
    const known: ErrorCode = isErrorCode(code) ? code : 'token_request_failed';
    return {
      kind: 'transient',
      error: new CompanionError(
        known === 'internal' ? 'relay_error' : known,
        description ?? `The refresh failed (${code}).`,
        { detail: code },
      ),
    };
  }
  const e = isErrorCode(code)
    ? new CompanionError(code, description ?? `The refresh failed (${code}).`)
    : fromProviderError({ error: code, error_description: description ?? null }, 'token');
  return { kind: 'fatal', error: e };
}

export function classifyRefreshError(err: unknown): RefreshFailure {
  if (err instanceof ErrorResponse)
    return byCode(err.error ?? 'unknown_error', err.error_description);
  if (err instanceof CompanionError) {
    if (err.code === 'invalid_grant') return revoked(err.detail ?? null);
    return TRANSIENT_CODES.has(err.code)
      ? { kind: 'transient', error: err }
      : { kind: 'fatal', error: err };
  }
  if (err instanceof ErrorTimeout) {
    return {
      kind: 'transient',
      error: new CompanionError('relay_unreachable', 'The refresh timed out.', { cause: err }),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  // oidc-client-ts's own checks of a refreshed ID token against the first one (OIDC Core 12.2).
  if (/id_token|ID Token/.test(message)) {
    return {
      kind: 'fatal',
      error: new CompanionError(
        'invalid_id_token',
        `The provider's refreshed ID token was rejected: ${message}.`,
        { cause: err, detail: message },
      ),
    };
  }
  // fetch's TypeError ("Failed to fetch"): the relay is not listening.
  if (err instanceof TypeError) {
    return {
      kind: 'transient',
      error: new CompanionError(
        'relay_unreachable',
        'The local relay is not answering, so the session could not be renewed yet.',
        { cause: err, detail: message },
      ),
    };
  }
  // Anything else (a proxy's HTML error page, an odd Content-Type): retry, with backoff.
  return {
    kind: 'transient',
    error: new CompanionError('token_request_failed', `The refresh failed: ${message}`, {
      cause: err,
      detail: message,
    }),
  };
}
