import type { PendingLogin } from '../../../src/shared/auth.ts';

/** A login waiting at the demo provider, as the background stores it. */
export function pendingLoginFixture(overrides: Partial<PendingLogin> = {}): PendingLogin {
  return {
    state: 'st',
    sessionId: 's',
    tabId: null,
    issuer: 'http://127.0.0.1:4000',
    clientId: 'c',
    nonce: 'n',
    metadata: {
      issuer: 'http://127.0.0.1:4000',
      authorization_endpoint: 'http://127.0.0.1:4000/auth',
      token_endpoint: 'http://127.0.0.1:4000/token',
      jwks_uri: 'http://127.0.0.1:4000/jwks',
    },
    relayTokenEndpoint: 'http://localhost:5000/api/sessions/s/token',
    relayJwksEndpoint: 'http://localhost:5000/api/sessions/s/jwks',
    createdAt: Date.now(),
    ...overrides,
  };
}
