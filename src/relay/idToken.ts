/**
 * The relay's own check of an ID token before it calls a login (or a
 * refresh) successful: the relay relies on it for the Required flag,
 * independently of the extension. The rules are the shared ones
 * (src/shared/idToken.ts, OpenID Connect Core 1.0 section 3.1.3.7); this
 * module adds the provider's keys from the JWKS cache and key rotation.
 */
import type { JWTPayload } from 'jose';
import { isUnknownKeyError, validateIdToken } from '../shared/idToken.ts';
import type { JwksCache } from './jwksCache.ts';

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  algorithms: string[];
  jwksUri: string;
  /** On refresh: the sub must stay the same (Core 1.0 section 12.2). */
  sub?: string | null;
  /**
   * At login: the nonce the extension put on the authorize request, sent along
   * with the code (oidc-client-ts extraTokenParams; the relay never forwards
   * it). Checked when given (Core 1.0 3.1.3.7 step 11).
   */
  nonce?: string | undefined;
}

export async function verifyIdToken(
  idToken: string,
  expected: IdTokenExpectations,
  keys: JwksCache,
): Promise<JWTPayload & { sub: string }> {
  const rules = {
    issuer: expected.issuer,
    clientId: expected.clientId,
    algorithms: expected.algorithms,
    ...(expected.nonce !== undefined ? { nonce: expected.nonce } : {}),
    // Core 12.2: a refreshed ID token names the same user from the same issuer.
    ...(expected.sub != null ? { original: { sub: expected.sub, iss: expected.issuer } } : {}),
  };
  try {
    return await validateIdToken(idToken, await keys.get(expected.jwksUri), rules);
  } catch (err) {
    // A key id we have not seen: the provider may have rotated its keys (Core 1.0 10.1.1).
    // One forced refetch, which the cache rate-limits; then the answer stands.
    if (!isUnknownKeyError(err) || !keys.canForceRefresh(expected.jwksUri)) throw err;
    const fresh = await keys.get(expected.jwksUri, { refresh: true });
    return validateIdToken(idToken, fresh, rules);
  }
}
