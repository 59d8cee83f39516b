/**
 * The background's ID token validation: the shared implementation in
 * src/shared/idToken.ts, which the relay runs too (OpenID Connect Core 1.0
 * section 3.1.3.7). Kept as a module so the background imports one place.
 */
export {
  allowedAlgorithms,
  CLOCK_TOLERANCE_SECONDS,
  type IdTokenClaims,
  type IdTokenExpectations,
  isUnknownKeyError,
  MAX_ID_TOKEN_AGE_SECONDS,
  validateIdToken,
} from '../shared/idToken.ts';
