/** Fetches the provider's keys through the relay and validates an ID token with them. */
import type { JSONWebKeySet } from 'jose';
import {
  type IdTokenClaims,
  type IdTokenExpectations,
  isUnknownKeyError,
  validateIdToken,
} from './idTokenValidation.ts';
import { relay } from './relayClient.ts';

export async function verifyIdToken(
  sessionId: string,
  idToken: string,
  expect: IdTokenExpectations,
): Promise<IdTokenClaims> {
  const jwks = (await relay.jwks(sessionId)) as JSONWebKeySet;
  try {
    return await validateIdToken(idToken, jwks, expect);
  } catch (err) {
    if (!isUnknownKeyError(err)) throw err;
    // Key rotation: an unknown kid gets one fresh JWKS (the relay rate-limits refetches).
    const fresh = (await relay.jwks(sessionId, true)) as JSONWebKeySet;
    return validateIdToken(idToken, fresh, expect);
  }
}
