/**
 * The relay's own check of an ID token before it calls a login successful.
 * oidc-client-ts verifies neither the signature nor iss/aud/exp (see
 * DESIGN.md), so this is where OpenID Connect Core 1.0 section 3.1.3.7 is
 * enforced: signature against the provider's JWKS with an advertised
 * algorithm, iss, aud (and azp), exp.
 */
import { createLocalJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { CompanionError } from '../shared/errors.ts';
import type { JwksCache } from './jwksCache.ts';

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  algorithms: string[];
  jwksUri: string;
  /** On refresh: the sub must stay the same (Core 1.0 section 12.2). */
  sub?: string | null;
}

/** Seconds of clock difference tolerated between this computer and the provider. */
const CLOCK_TOLERANCE_S = 60;

function reasonFor(err: unknown, expected: IdTokenExpectations): string {
  if (err instanceof errors.JWTExpired) {
    return "it has expired (check this computer's clock)";
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return `its issuer is not ${expected.issuer}`;
    if (err.claim === 'aud') return `it was issued for another client than ${expected.clientId}`;
    if (err.claim === 'nbf' || err.claim === 'iat') {
      return `its "${err.claim}" lies in the future (check this computer's clock)`;
    }
    return `its "${err.claim}" claim is not acceptable (${err.reason})`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return "its signature does not verify with the provider's keys";
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return `it is signed with an algorithm the provider does not advertise (allowed: ${expected.algorithms.join(', ')})`;
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return "none of the provider's published keys matches its signature";
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return 'it is not a well-formed signed JWT';
  }
  if (err instanceof errors.JOSEError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

function invalid(message: string, cause?: unknown): CompanionError {
  return new CompanionError(
    'invalid_id_token',
    `The provider's ID token is not valid: ${message}.`,
    {
      cause,
    },
  );
}

export async function verifyIdToken(
  idToken: string,
  expected: IdTokenExpectations,
  keys: JwksCache,
): Promise<JWTPayload & { sub: string }> {
  const options = {
    issuer: expected.issuer,
    audience: expected.clientId,
    algorithms: expected.algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: CLOCK_TOLERANCE_S,
  };
  let payload: JWTPayload;
  try {
    try {
      ({ payload } = await jwtVerify(
        idToken,
        createLocalJWKSet(await keys.get(expected.jwksUri)),
        options,
      ));
    } catch (err) {
      // A key id we have not seen: the provider may have rotated its keys (Core 1.0 10.1.1).
      if (!(err instanceof errors.JWKSNoMatchingKey) || !keys.canRefresh(expected.jwksUri))
        throw err;
      const fresh = await keys.get(expected.jwksUri, { refresh: true });
      ({ payload } = await jwtVerify(idToken, createLocalJWKSet(fresh), options));
    }
  } catch (err) {
    if (err instanceof CompanionError) throw err;
    throw invalid(reasonFor(err, expected), err);
  }
  // Core 1.0 3.1.3.7 items 4-5: with several audiences azp must be present; if present it is us.
  const aud = payload.aud;
  if (Array.isArray(aud) && aud.length > 1 && payload.azp === undefined) {
    throw invalid('it has several audiences but no "azp" claim');
  }
  if (payload.azp !== undefined && payload.azp !== expected.clientId) {
    throw invalid(`it was issued to another client ("azp" is not ${expected.clientId})`);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw invalid('it has no "sub" claim');
  if (expected.sub != null && payload.sub !== expected.sub) {
    throw invalid('it names another user than the one who logged in');
  }
  return payload as JWTPayload & { sub: string };
}
