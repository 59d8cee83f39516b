/**
 * Turns what oidc-client-ts and the provider throw into CompanionErrors with
 * stable codes and messages a DBA understands. Pure: unit-tested on its own.
 */
import { ErrorResponse } from 'oidc-client-ts';
import { CompanionError, toCompanionError } from '../shared/errors.ts';

interface ProviderErrorLike {
  error: string;
  error_description?: string | null;
}

function describe(e: ProviderErrorLike): string {
  return e.error_description ? `${e.error}: ${e.error_description}` : e.error;
}

/** RFC 6749 4.1.2.1 (authorization) and 5.2 (token) error codes, in plain words. */
export function fromProviderError(
  e: ProviderErrorLike,
  phase: 'authorize' | 'token',
): CompanionError {
  const detail = describe(e);
  const said = e.error_description ? ` The provider said: "${e.error_description}"` : '';
  switch (e.error) {
    case 'access_denied':
      return new CompanionError(
        'access_denied',
        `Sign-in was cancelled or denied at the provider.${said}`,
        { detail },
      );
    case 'invalid_client':
    case 'unauthorized_client':
      return new CompanionError(
        'invalid_client',
        `The provider rejected the client credentials: check the Client ID and Client Secret.${said}`,
        { detail },
      );
    case 'invalid_grant':
      return new CompanionError(
        'invalid_grant',
        phase === 'token'
          ? `The provider did not accept the grant (expired, revoked or already used).${said}`
          : `The provider refused the sign-in.${said}`,
        { detail },
      );
    case 'provider_unreachable':
      return new CompanionError(
        'provider_unreachable',
        `The provider could not be reached.${said}`,
        { detail },
      );
    case 'invalid_id_token':
      // Not the provider speaking: the relay's own ID token check (src/shared/idToken.ts),
      // whose description already names the problem in plain words.
      return new CompanionError(
        'invalid_id_token',
        e.error_description || "The provider's ID token was rejected by the local relay.",
        { detail: 'checked by the local relay' },
      );
    default:
      return phase === 'authorize'
        ? new CompanionError(
            'authorization_error',
            `The provider refused the sign-in (${e.error}).${said}`,
            { detail },
          )
        : new CompanionError(
            'token_request_failed',
            `The provider refused the token request (${e.error}).${said}`,
            { detail },
          );
  }
}

/** Maps anything thrown while processing the callback to a CompanionError. */
export function fromSigninError(err: unknown): CompanionError {
  if (err instanceof CompanionError) return err;
  if (err instanceof ErrorResponse) {
    // An ErrorResponse carrying a `form` came from the token endpoint; without one, from the authorize redirect.
    return fromProviderError(
      { error: err.error ?? 'unknown_error', error_description: err.error_description },
      err.form ? 'token' : 'authorize',
    );
  }
  if (err instanceof Error && /No matching state found/i.test(err.message)) {
    return new CompanionError(
      'state_mismatch',
      'This sign-in response does not belong to a login started here.',
      {
        cause: err,
        detail: 'state not found',
      },
    );
  }
  if (err instanceof Error && /missing a subject claim/i.test(err.message)) {
    return new CompanionError(
      'invalid_id_token',
      'The provider\'s ID token was rejected: it does not name the user ("sub" is missing).',
      { cause: err, detail: 'sub_missing' },
    );
  }
  if (err instanceof Error && /nonce/i.test(err.message)) {
    return new CompanionError(
      'invalid_id_token',
      "The provider's ID token was rejected: its nonce does not match this login.",
      {
        cause: err,
        detail: 'nonce_mismatch',
      },
    );
  }
  return toCompanionError(err, 'internal');
}
