/**
 * ID token validation per OpenID Connect Core 1.0 section 3.1.3.7, done with
 * jose because oidc-client-ts checks only `sub` and `nonce` (DESIGN.md).
 * Pure apart from the crypto: the JWKS is passed in, so tests use fixed keys.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { CompanionError } from '../shared/errors.ts';

/** Clock tolerance for exp/iat/nbf: laptops drift, but not by more than this. */
export const CLOCK_TOLERANCE_SECONDS = 120;
/** An ID token older than this at validation time is a replay, not a fresh sign-in. */
export const MAX_ID_TOKEN_AGE = '1h';

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  /** The nonce sent on the authorize request (login only). */
  nonce?: string;
  /** From discovery's id_token_signing_alg_values_supported; RS256 when absent (Core 3.1.3.7 step 7). */
  algorithms?: string[];
  /** On refresh: the original token's sub and iss must not change (Core 12.2). */
  original?: { sub: string; iss: string };
  currentDate?: Date;
}

export interface IdTokenClaims extends JWTPayload {
  sub: string;
  iss: string;
  name?: string;
  email?: string;
  preferred_username?: string;
}

/** The allowed signing algorithms: never `none`; HS* only when the provider advertises it. */
export function allowedAlgorithms(advertised: string[] | undefined): string[] {
  const algs = (advertised ?? ['RS256']).filter((alg) => alg !== 'none' && alg.trim() !== '');
  return algs.length > 0 ? algs : ['RS256'];
}

function invalid(message: string, cause?: unknown, detail?: string): CompanionError {
  return new CompanionError(
    'invalid_id_token',
    `The provider's ID token was rejected: ${message}.`,
    { cause, detail: detail ?? (cause instanceof errors.JOSEError ? cause.code : undefined) },
  );
}

/** True when the failure is "no key with this kid": the caller refetches the JWKS once (key rotation). */
export function isUnknownKeyError(err: unknown): boolean {
  return err instanceof CompanionError && err.cause instanceof errors.JWKSNoMatchingKey;
}

export async function validateIdToken(
  idToken: string,
  jwks: JSONWebKeySet,
  expect: IdTokenExpectations,
): Promise<IdTokenClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: allowedAlgorithms(expect.algorithms),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_ID_TOKEN_AGE,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      ...(expect.currentDate ? { currentDate: expect.currentDate } : {}),
    }));
  } catch (err) {
    if (err instanceof errors.JWKSNoMatchingKey)
      throw invalid('it is signed with an unknown key', err);
    if (err instanceof errors.JWTExpired) throw invalid('it has expired', err);
    if (err instanceof errors.JWTClaimValidationFailed) {
      throw invalid(`its "${err.claim}" claim is not valid (${err.reason})`, err);
    }
    if (err instanceof errors.JOSEAlgNotAllowed)
      throw invalid('it uses a signing algorithm that is not allowed', err);
    if (err instanceof errors.JWSSignatureVerificationFailed)
      throw invalid('its signature does not verify', err);
    if (err instanceof errors.JOSEError) throw invalid('it is not a valid signed token', err);
    throw invalid('it could not be checked', err);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '')
    throw invalid('it has no subject (sub)');
  // Core 3.1.3.7 step 4-5: with several audiences, azp must be present and be our client.
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length > 1 && payload.azp !== expect.clientId) {
    throw invalid('it names several audiences without our client as authorized party (azp)');
  }
  if (payload.azp !== undefined && payload.azp !== expect.clientId) {
    throw invalid('its authorized party (azp) is another client');
  }
  if (expect.nonce !== undefined && payload.nonce !== expect.nonce) {
    throw invalid('its nonce does not match this login', undefined, 'nonce_mismatch');
  }
  if (expect.original) {
    if (payload.sub !== expect.original.sub)
      throw invalid(
        'it names a different user than the original sign-in',
        undefined,
        'sub_changed',
      );
    if (payload.iss !== expect.original.iss)
      throw invalid(
        'it comes from a different issuer than the original sign-in',
        undefined,
        'iss_changed',
      );
  }
  return payload as IdTokenClaims;
}
