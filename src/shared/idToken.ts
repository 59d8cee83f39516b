/**
 * ID token validation per OpenID Connect Core 1.0 section 3.1.3.7 (and 12.2
 * on refresh), done with jose because oidc-client-ts checks only `sub` and
 * `nonce` (DESIGN.md). One implementation for both checkers: the background
 * (every token it stores) and the relay (every token it relies on, e.g. for
 * the Required flag). Pure apart from the crypto: the JWKS is passed in, so
 * tests use fixed keys.
 *
 * Each rejection is a CompanionError('invalid_id_token') whose message names
 * the problem in plain words and whose `detail` is a stable reason code
 * (ID_TOKEN_REASONS) for tests and the "technical detail" line.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { CompanionError } from './errors.ts';

/** Clock tolerance for exp/iat/nbf: laptops drift, but not by more than this. */
export const CLOCK_TOLERANCE_SECONDS = 120;
/** An ID token older than this at validation time is a replay, not a fresh sign-in. */
export const MAX_ID_TOKEN_AGE_SECONDS = 60 * 60;

/** Stable reason codes, carried in CompanionError.detail. */
export const ID_TOKEN_REASONS = [
  'malformed',
  'alg_not_allowed',
  'unknown_key',
  'signature_invalid',
  'claim_missing',
  'iss_mismatch',
  'aud_mismatch',
  'azp_mismatch',
  'expired',
  'iat_in_future',
  'too_old',
  'not_yet_valid',
  'nonce_mismatch',
  'sub_missing',
  'sub_changed',
  'iss_changed',
] as const;
export type IdTokenReason = (typeof ID_TOKEN_REASONS)[number];

export interface IdTokenExpectations {
  /** The issuer from discovery (which itself matched the Authority). */
  issuer: string;
  clientId: string;
  /** The nonce sent on the authorize request (login only; Core 3.1.3.7 step 11). */
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

/**
 * The allowed signing algorithms: what discovery advertises, RS256 when it
 * advertises nothing (Core 15.1), never `none` (Core 3.1.3.7 step 7 wants a
 * signed token in the code flow). HS* stays only when the provider itself
 * lists it; even then no symmetric key ever reaches the JWKS we verify with
 * (the relay strips `k`), so an HS-signed token cannot verify.
 */
export function allowedAlgorithms(advertised: string[] | undefined): string[] {
  const algs = (advertised ?? ['RS256']).filter(
    (alg) => alg.trim() !== '' && alg.toLowerCase() !== 'none',
  );
  return algs.length > 0 ? algs : ['RS256'];
}

export function invalidIdToken(
  reason: IdTokenReason,
  words: string,
  cause?: unknown,
): CompanionError {
  return new CompanionError('invalid_id_token', `The provider's ID token was rejected: ${words}.`, {
    cause,
    detail: reason,
  });
}

/** True when the failure is "no key with this kid": the caller refetches the JWKS once (key rotation). */
export function isUnknownKeyError(err: unknown): boolean {
  return err instanceof CompanionError && err.cause instanceof errors.JWKSNoMatchingKey;
}

/** Maps what jose throws to a reason and plain words. Pure; exported for tests. */
export function describeJoseError(
  err: unknown,
  expect: Pick<IdTokenExpectations, 'issuer' | 'clientId'>,
): CompanionError {
  if (err instanceof errors.JWKSNoMatchingKey) {
    return invalidIdToken(
      'unknown_key',
      'it is signed with a key the provider does not publish',
      err,
    );
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return invalidIdToken(
      'alg_not_allowed',
      'it is unsigned or signed with an algorithm the provider does not announce',
      err,
    );
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return invalidIdToken(
      'signature_invalid',
      "its signature does not match the provider's keys (it was altered or forged)",
      err,
    );
  }
  if (err instanceof errors.JWTExpired) {
    return err.claim === 'iat'
      ? invalidIdToken('too_old', 'it was issued too long ago (a replayed sign-in)', err)
      : invalidIdToken('expired', "it has expired (check this computer's clock)", err);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') {
      return invalidIdToken(
        err.claim === 'sub' ? 'sub_missing' : 'claim_missing',
        `it lacks the required "${err.claim}" claim`,
        err,
      );
    }
    switch (err.claim) {
      case 'iss':
        return invalidIdToken(
          'iss_mismatch',
          `it was issued by another provider than ${expect.issuer} ("iss")`,
          err,
        );
      case 'aud':
        return invalidIdToken(
          'aud_mismatch',
          `it was issued for another application than Client ID ${expect.clientId} ("aud")`,
          err,
        );
      case 'iat':
        return invalidIdToken(
          'iat_in_future',
          `its issue time lies in the future (check this computer's clock)`,
          err,
        );
      case 'nbf':
        return invalidIdToken(
          'not_yet_valid',
          `it is not valid yet (check this computer's clock)`,
          err,
        );
      default:
        return invalidIdToken(
          'malformed',
          `its "${err.claim}" claim is not acceptable (${err.reason})`,
          err,
        );
    }
  }
  if (err instanceof errors.JOSEError) {
    return invalidIdToken('malformed', 'it is not a well-formed signed token', err);
  }
  return invalidIdToken('malformed', 'it could not be read', err);
}

/** Core 3.1.3.7 steps 4-5 and 11, and 12.2 on refresh: what jwtVerify does not check. Pure. */
export function checkIdTokenClaims(
  payload: JWTPayload,
  expect: IdTokenExpectations,
): IdTokenClaims {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw invalidIdToken('sub_missing', 'it does not name the user ("sub" is missing)');
  }
  // Step 4: with several audiences, azp must be present; step 5: if present, it is us.
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length > 1 && payload.azp !== expect.clientId) {
    throw invalidIdToken(
      'azp_mismatch',
      'it names several audiences without this Client ID as the authorized party ("azp")',
    );
  }
  if (payload.azp !== undefined && payload.azp !== expect.clientId) {
    throw invalidIdToken('azp_mismatch', 'it was issued to another application ("azp")');
  }
  if (expect.nonce !== undefined && payload.nonce !== expect.nonce) {
    throw invalidIdToken(
      'nonce_mismatch',
      'its nonce does not match this login (a replayed or injected sign-in)',
    );
  }
  if (expect.original) {
    if (payload.sub !== expect.original.sub) {
      throw invalidIdToken('sub_changed', 'it names a different user than the original sign-in');
    }
    if (payload.iss !== expect.original.iss) {
      throw invalidIdToken(
        'iss_changed',
        'it comes from a different provider than the original sign-in',
      );
    }
  }
  return payload as IdTokenClaims;
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
      // Also makes iat required and refuses an iat in the future.
      maxTokenAge: MAX_ID_TOKEN_AGE_SECONDS,
      // Core 2: iss, sub, aud, exp and iat are REQUIRED.
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      ...(expect.currentDate ? { currentDate: expect.currentDate } : {}),
    }));
  } catch (err) {
    throw describeJoseError(err, expect);
  }
  return checkIdTokenClaims(payload, expect);
}
