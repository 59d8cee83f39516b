import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, RelayClient, sessionRequest, startHarness } from './helpers.ts';

let h: Harness;
let fake: Server;
let fakeUrl: string;
/** What the fake provider's discovery answers, per test. */
let fakeDiscovery: (base: string) => { status: number; body: string };

beforeAll(async () => {
  h = await startHarness();
  fake = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      const { status, body } = fakeDiscovery(fakeUrl);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    } else if (req.url === '/redirect/.well-known/openid-configuration') {
      res.writeHead(302, { Location: `${fakeUrl}/.well-known/openid-configuration` }).end();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await h.close();
  await new Promise<void>((r) => fake.close(() => r()));
});

function sessionCount(): number {
  const db = new Database(h.relay.repositoryPath, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function validDiscovery(base: string, extra: Record<string, unknown> = {}) {
  return {
    issuer: base,
    authorization_endpoint: `${base}/auth`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    ...extra,
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('POST /api/sessions', () => {
  it('creates a pending session from discovery', async () => {
    const res = await h.client.json('POST', '/api/sessions', sessionRequest(h));
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.metadata).toMatchObject({
      issuer: h.provider.issuer,
      token_endpoint: `${h.provider.issuer}/token`,
      authorization_response_iss_parameter_supported: true,
    });
    expect(body.relayTokenEndpoint).toBe(
      `http://localhost:${h.relay.port}/api/sessions/${body.sessionId}/token`,
    );
    expect(body.relayJwksEndpoint).toBe(
      `http://localhost:${h.relay.port}/api/sessions/${body.sessionId}/jwks`,
    );
    expect(JSON.stringify(body)).not.toContain(h.provider.clientSecret);

    const info = await h.client.get(`/api/sessions/${body.sessionId}`);
    expect(info.json()).toMatchObject({
      sessionId: body.sessionId,
      status: 'pending',
      issuer: h.provider.issuer,
      clientId: h.provider.clientId,
      sub: null,
    });

    const jwks = await h.client.get(`/api/sessions/${body.sessionId}/jwks`);
    expect(jwks.status).toBe(200);
    expect(jwks.json().keys[0]).toMatchObject({ kty: 'RSA', kid: 'demo-rs256' });
    expect(jwks.json().keys[0].d).toBeUndefined();
  });

  it('answers 502 provider_unreachable for an unreachable authority and stores no session', async () => {
    const before = sessionCount();
    const port = await freePort();
    const res = await h.client.json(
      'POST',
      '/api/sessions',
      sessionRequest(h, { authority: `http://127.0.0.1:${port}` }),
    );
    expect(res.status).toBe(502);
    expect(res.json().error.code).toBe('provider_unreachable');
    expect(res.json().error.message).toBe(
      `Could not reach the provider at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    );
    expect(sessionCount()).toBe(before);
  });

  it('answers 400 invalid_settings with field messages for a malformed authority', async () => {
    const before = sessionCount();
    for (const authority of ['not a url', 'http://provider.example/', 'https://a.example/?x=1']) {
      const res = await h.client.json('POST', '/api/sessions', sessionRequest(h, { authority }));
      expect(res.status).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe('invalid_settings');
      expect(Object.keys(JSON.parse(error.detail))).toEqual(['authority']);
    }
    const noSecret = await h.client.json(
      'POST',
      '/api/sessions',
      sessionRequest(h, { clientSecret: '' }),
    );
    expect(noSecret.status).toBe(400);
    expect(JSON.parse(noSecret.json().error.detail)).toHaveProperty('clientSecret');
    expect(sessionCount()).toBe(before);
  });

  it("refuses a redirect URI that is not this relay's callback", async () => {
    const res = await h.client.json(
      'POST',
      '/api/sessions',
      sessionRequest(h, { redirectUri: 'http://localhost:1/callback/' }),
    );
    expect(res.status).toBe(400);
    const alt = await h.client.json(
      'POST',
      '/api/sessions',
      sessionRequest(h, { redirectUri: `http://127.0.0.1:${h.relay.port}/callback/` }),
    );
    expect(alt.status).toBe(200);
  });

  it('answers issuer_mismatch when discovery names another issuer', async () => {
    fakeDiscovery = (base) => ({
      status: 200,
      body: JSON.stringify(validDiscovery(base, { issuer: 'https://other.example' })),
    });
    const res = await h.client.json(
      'POST',
      '/api/sessions',
      sessionRequest(h, { authority: fakeUrl }),
    );
    expect(res.status).toBe(502);
    expect(res.json().error.code).toBe('issuer_mismatch');
    expect(res.json().error.message).toContain('https://other.example');
    expect(res.json().error.message).toContain(fakeUrl);
  });

  it('tolerates a single trailing slash difference in the issuer', async () => {
    fakeDiscovery = (base) => ({ status: 200, body: JSON.stringify(validDiscovery(`${base}/`)) });
    const res = await h.client.json(
      'POST',
      '/api/sessions',
      sessionRequest(h, { authority: fakeUrl }),
    );
    expect(res.status).toBe(200);
  });

  it('answers discovery_invalid naming what is wrong', async () => {
    const cases: Array<[() => { status: number; body: string }, RegExp]> = [
      [() => ({ status: 404, body: '{}' }), /HTTP 404/],
      [() => ({ status: 200, body: '<html>' }), /not JSON/],
      [
        () => ({
          status: 200,
          body: JSON.stringify({ issuer: fakeUrl, jwks_uri: `${fakeUrl}/j` }),
        }),
        /lacks authorization_endpoint, token_endpoint/,
      ],
      [
        () => ({
          status: 200,
          body: JSON.stringify(
            validDiscovery(fakeUrl, { token_endpoint: 'http://token.provider.example/token' }),
          ),
        }),
        /token_endpoint must use https/,
      ],
      [
        () => ({
          status: 200,
          body: JSON.stringify(
            validDiscovery(fakeUrl, { token_endpoint_auth_methods_supported: ['private_key_jwt'] }),
          ),
        }),
        /neither client_secret_basic nor client_secret_post/,
      ],
    ];
    for (const [answer, message] of cases) {
      fakeDiscovery = answer;
      const res = await h.client.json(
        'POST',
        '/api/sessions',
        sessionRequest(h, { authority: fakeUrl }),
      );
      expect(res.status).toBe(502);
      expect(res.json().error.code).toBe('discovery_invalid');
      expect(res.json().error.message).toMatch(message);
    }
  });

  it('does not follow redirects from the provider', async () => {
    const res = await h.client.json(
      'POST',
      '/api/sessions',
      sessionRequest(h, { authority: `${fakeUrl}/redirect` }),
    );
    expect(res.status).toBe(502);
    expect(res.json().error.code).toBe('provider_unreachable');
    expect(res.json().error.message).toMatch(/redirect/);
  });
});

describe('session ownership and logout', () => {
  it('hides a session from other pairings (404)', async () => {
    const res = await h.client.json('POST', '/api/sessions', sessionRequest(h));
    const { sessionId } = res.json();
    const other = await RelayClient.pair(h.relay);
    expect((await other.get(`/api/sessions/${sessionId}`)).status).toBe(404);
    expect((await other.delete(`/api/sessions/${sessionId}`)).status).toBe(404);
    expect((await other.get(`/api/sessions/${sessionId}/jwks`)).status).toBe(404);
    const token = await other.form(`http://localhost/api/sessions/${sessionId}/token`, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });
    expect(token.status).toBe(404);
    expect(token.json().error).toBe('not_found');
    expect((await h.client.get('/api/sessions/does-not-exist')).status).toBe(404);
  });

  it('DELETE ends the session, wipes its secret, audits logout once, and is idempotent', async () => {
    const { sessionId } = (await h.client.json('POST', '/api/sessions', sessionRequest(h))).json();
    const first = await h.client.delete(`/api/sessions/${sessionId}`);
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ ended: true });
    const second = await h.client.delete(`/api/sessions/${sessionId}`);
    expect(second.json()).toEqual({ ended: true });
    expect((await h.client.get(`/api/sessions/${sessionId}`)).json().status).toBe('ended');
    const stored = await h.relay.store.getSession(sessionId);
    expect(stored?.clientSecretEnc).toBeNull();
    const logouts = (await h.relay.store.listAudit()).filter(
      (a) => a.event === 'logout' && a.sessionId === sessionId,
    );
    expect(logouts).toHaveLength(1);

    const token = await h.client.form(`http://localhost/api/sessions/${sessionId}/token`, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });
    expect(token.status).toBe(400);
    expect(token.json().error).toBe('invalid_grant');
  });
});
