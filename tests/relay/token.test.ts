import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, login, sessionRequest, startHarness } from './helpers.ts';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function basicCredentials(header: string | undefined): [string, string] {
  expect(header).toMatch(/^Basic /);
  const decoded = Buffer.from((header ?? '').slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return [decoded.slice(0, i), decoded.slice(i + 1)];
}

describe('token forwarding', () => {
  it('does a full code exchange and refresh against oidc-provider, without the browser headers', async () => {
    const fetched: string[] = [];
    h = await startHarness(
      // Like Entra: a token request with a browser Origin is refused outright.
      { rejectOrigin: true },
      {
        fetch: (input, init) => {
          fetched.push(String(input));
          return fetch(input, init);
        },
      },
    );
    const { tokenResponse, session, callbackParams } = await login(h, { user: 'dba' });
    expect(callbackParams.iss).toBe(h.provider.issuer); // RFC 9207
    expect(tokenResponse.status).toBe(200);
    expect(tokenResponse.headers['cache-control']).toBe('no-store');
    const tokens = tokenResponse.json();
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    expect(typeof tokens.access_token).toBe('string');
    expect(typeof tokens.id_token).toBe('string');
    expect(typeof tokens.refresh_token).toBe('string');

    const [request] = h.provider.tokenRequests;
    expect(request?.grantType).toBe('authorization_code');
    for (const header of ['origin', 'referer', 'cookie', 'sec-fetch-site']) {
      expect(request?.headers[header]).toBeUndefined();
    }
    expect(basicCredentials(request?.headers.authorization)).toEqual([
      'sqlsafe-demo',
      'demo-secret',
    ]);

    const info = await h.client.get(`/api/sessions/${session.sessionId}`);
    expect(info.json()).toMatchObject({ status: 'authenticated', sub: 'dba' });

    // Refresh grant (RFC 6749 section 6), as oidc-client-ts sends it.
    const refreshed = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: h.provider.clientId,
    });
    expect(refreshed.status).toBe(200);
    expect(typeof refreshed.json().access_token).toBe('string');
    expect(h.provider.tokenRequests[1]?.grantType).toBe('refresh_token');

    const events = (await h.relay.store.listAudit()).map((a) => a.event);
    expect(events).toEqual(
      expect.arrayContaining(['login_started', 'login_succeeded', 'token_refreshed']),
    );
    // The relay fetched only the authority's discovery and the endpoints it names.
    const allowed = new Set([
      `${h.provider.issuer}/.well-known/openid-configuration`,
      session.metadata.token_endpoint,
      session.metadata.jwks_uri,
    ]);
    expect(fetched.every((u) => allowed.has(u))).toBe(true);
  });

  it('form-urlencodes the Basic credentials (RFC 6749 2.3.1)', async () => {
    const secret = 'p:a%s s+w/o&r=d ~*';
    h = await startHarness({ clientId: 'client id:1', clientSecret: secret });
    const { tokenResponse } = await login(h);
    expect(tokenResponse.status).toBe(200);
    const auth = h.provider.tokenRequests[0]?.headers.authorization;
    expect(basicCredentials(auth)).toEqual(['client+id%3A1', 'p%3Aa%25s+s%2Bw%2Fo%26r%3Dd+%7E*']);
  });

  it('works with an issuer that has a path (like Okta /oauth2/default)', async () => {
    h = await startHarness({ issuerPath: '/oauth2/default' });
    expect(h.provider.issuer).toMatch(/\/oauth2\/default$/);
    const { tokenResponse, session } = await login(h);
    expect(session.metadata.token_endpoint).toBe(`${h.provider.issuer}/token`);
    expect(tokenResponse.status).toBe(200);
  });

  it('uses client_secret_post when discovery offers only that', async () => {
    h = await startHarness({ tokenEndpointAuthMethod: 'client_secret_post' });
    const { tokenResponse } = await login(h);
    expect(tokenResponse.status).toBe(200);
    expect(h.provider.tokenRequests[0]?.headers.authorization).toBeUndefined();
  });

  it("returns the provider's invalid_grant verbatim and marks the login failed", async () => {
    h = await startHarness();
    const res = await h.client.json('POST', '/api/sessions', sessionRequest(h));
    const session = res.json();
    const token = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'authorization_code',
      code: 'not-a-real-code',
      redirect_uri: h.relay.redirectUri,
      code_verifier: 'v'.repeat(43),
      client_id: h.provider.clientId,
      client_secret: 'browser-must-not-choose-this',
    });
    expect(token.status).toBe(400);
    expect(token.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
    });
    expect(basicCredentials(h.provider.tokenRequests[0]?.headers.authorization)[1]).toBe(
      'demo-secret',
    );
    const info = await h.client.get(`/api/sessions/${session.sessionId}`);
    expect(info.json().status).toBe('failed');
    const failed = (await h.relay.store.listAudit()).find((a) => a.event === 'login_failed');
    expect(failed?.detail).toEqual({ error: 'invalid_grant', status: 400 });
  });

  it('returns invalid_client for a wrong secret, and no secret reaches the audit log', async () => {
    h = await startHarness();
    const session = (
      await h.client.json(
        'POST',
        '/api/sessions',
        sessionRequest(h, { clientSecret: 'wrong-secret-XYZ' }),
      )
    ).json();
    const token = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'authorization_code',
      code: 'some-code',
      redirect_uri: h.relay.redirectUri,
      code_verifier: 'v'.repeat(43),
    });
    expect(token.status).toBe(401);
    expect(token.json().error).toBe('invalid_client');
    const audit = JSON.stringify(await h.relay.store.listAudit());
    expect(audit).toContain('login_started');
    expect(audit).toContain('login_failed');
    expect(audit).not.toContain('wrong-secret-XYZ');
    expect(audit).not.toContain('some-code');
  });

  it('refuses other grants and a foreign client_id in RFC 6749 5.2 shape', async () => {
    h = await startHarness();
    const session = (await h.client.json('POST', '/api/sessions', sessionRequest(h))).json();
    const grant = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'client_credentials',
    });
    expect(grant.status).toBe(400);
    expect(grant.json().error).toBe('unsupported_grant_type');
    const client = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: 'someone-else',
    });
    expect(client.status).toBe(400);
    expect(client.json().error).toBe('invalid_request');
    const wrongType = await h.client.json('POST', new URL(session.relayTokenEndpoint).pathname, {
      grant_type: 'refresh_token',
    });
    expect(wrongType.status).toBe(415);
    expect(typeof wrongType.json().error).toBe('string');
    expect(h.provider.tokenRequests).toHaveLength(0);
  });

  it('answers 502 provider_unreachable when the token endpoint is down', async () => {
    h = await startHarness();
    const session = (await h.client.json('POST', '/api/sessions', sessionRequest(h))).json();
    await h.provider.close();
    const token = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });
    expect(token.status).toBe(502);
    expect(token.json().error).toBe('provider_unreachable');
    expect(token.json().error_description).toMatch(
      /^Could not reach the provider at http:\/\/127\.0\.0\.1:\d+: /,
    );
  });

  it('rejects an ID token not signed by the provider (502 invalid_id_token)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    let issuer = '';
    h = await startHarness(
      {},
      {
        // Swap the provider's ID token for a forged one with the right claims and kid.
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          if (!String(input).endsWith('/token') || res.status !== 200) return res;
          const body = await res.json();
          body.id_token = await new SignJWT({ sub: 'mallory' })
            .setProtectedHeader({ alg: 'RS256', kid: 'demo-rs256' })
            .setIssuer(issuer)
            .setAudience('sqlsafe-demo')
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(privateKey);
          return new Response(JSON.stringify(body), { status: 200 });
        },
      },
    );
    issuer = h.provider.issuer;
    const { tokenResponse, session } = await login(h);
    expect(tokenResponse.status).toBe(502);
    expect(tokenResponse.json().error).toBe('invalid_id_token');
    expect(tokenResponse.json().error_description).toMatch(/signature/);
    expect(tokenResponse.text).not.toContain('access_token');
    const info = await h.client.get(`/api/sessions/${session.sessionId}`);
    expect(info.json()).toMatchObject({ status: 'failed', sub: null });
  });
});
