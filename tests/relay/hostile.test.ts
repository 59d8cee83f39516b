/**
 * The relay against the hostile provider (tests/support/hostileProvider.ts):
 * the callback refuses forged and replayed responses, a code is redeemed
 * once, client authentication survives awkward secrets, and the relay's own
 * ID token check (which the Required flag relies on) holds independently of
 * the extension: at login, at refresh, and across a key rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../../src/relay/server.ts';
import {
  AWKWARD_SECRET,
  type HostileProvider,
  type ModeName,
  startHostileProvider,
  type Tenant,
  type TenantOptions,
} from '../support/hostileProvider.ts';
import { EXT_ORIGIN, expectState, RelayClient, raw, tempDir } from './helpers.ts';
import { createHostileSession, hostileLogin } from './hostileLogin.ts';

const dir = tempDir();
let relay: Awaited<ReturnType<typeof startRelay>>;
let client: RelayClient;
let provider: HostileProvider;
const logLines: string[] = [];

beforeAll(async () => {
  relay = await startRelay({ port: 0, dataDir: dir.path, log: (l) => logLines.push(l) });
  client = await RelayClient.pair(relay);
  provider = await startHostileProvider();
});

afterAll(async () => {
  await relay.close();
  await provider.close();
  dir.remove();
});

function tenant(options: Omit<TenantOptions, 'redirectUris'> = {}): Promise<Tenant> {
  return provider.tenant({ redirectUris: [relay.redirectUri], ...options });
}

async function sessionStatus(sessionId: string): Promise<string> {
  return (await client.get(`/api/sessions/${sessionId}`)).json().status;
}

function postCallback(body: string) {
  return raw(relay.port, {
    method: 'POST',
    path: '/callback/',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: 'https://hostile.example',
    },
    body,
  });
}

describe('callback: only what the extension asked for, once', () => {
  it('a hostile page sending the browser to /callback/ with forged parameters changes nothing and says so', async () => {
    for (const forged of [
      () => postCallback('code=forged-code&state=forged-state&iss=https%3A%2F%2Fevil.example'),
      () => raw(relay.port, { path: '/callback/?code=forged-code&state=forged-state' }),
    ]) {
      const res = await forged();
      expect(res.status).toBe(400);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.text).toContain('was not requested by the SQL Safe OIDC Companion');
      expect(res.text).toContain('Nothing was changed.');
      expect(res.text).not.toContain('forged-code');
      expect(res.text).not.toContain('forged-state');
      expect(res.text).not.toMatch(/<script/i);
    }
    const take = await client.json('POST', '/api/authorization-responses/take', {
      state: 'forged-state',
    });
    expect(take.status).toBe(404);
  });

  it('refuses a replayed response for a state already answered: the first one wins', async () => {
    const t = await tenant();
    const session = await createHostileSession(relay, client, t);
    await expectState(client, 'state-replay', session.sessionId);
    const first = await postCallback('code=first&state=state-replay');
    expect(first.status).toBe(200);
    const injected = await postCallback('code=injected&state=state-replay');
    expect(injected.status).toBe(400);
    expect(injected.text).toContain('has already been received once');
    const taken = await client.json('POST', '/api/authorization-responses/take', {
      state: 'state-replay',
    });
    expect(taken.json().params.code).toBe('first');
    // After it was taken: still a replay, and nothing to take.
    expect((await postCallback('code=again&state=state-replay')).status).toBe(400);
    const again = await client.json('POST', '/api/authorization-responses/take', {
      state: 'state-replay',
    });
    expect(again.status).toBe(404);
  });

  it('lets only the browser profile that announced a state take its response', async () => {
    const t = await tenant();
    const session = await createHostileSession(relay, client, t);
    await expectState(client, 'state-mine', session.sessionId);
    await postCallback('code=c&state=state-mine');
    const other = await RelayClient.pair(relay);
    const stolen = await other.json('POST', '/api/authorization-responses/take', {
      state: 'state-mine',
    });
    expect(stolen.status).toBe(404);
    // Nor can it announce states for a session that is not its own.
    const foreign = await other.json('POST', '/api/authorization-responses/expect', {
      state: 'x',
      sessionId: session.sessionId,
    });
    expect(foreign.status).toBe(404);
    const mine = await client.json('POST', '/api/authorization-responses/take', {
      state: 'state-mine',
    });
    expect(mine.status).toBe(200);
  });

  it('accepts no new state for a session that is over', async () => {
    const t = await tenant();
    const session = await createHostileSession(relay, client, t);
    await client.delete(`/api/sessions/${session.sessionId}`);
    const res = await client.json('POST', '/api/authorization-responses/expect', {
      state: 'late',
      sessionId: session.sessionId,
    });
    expect(res.status).toBe(409);
    expect(res.json().error.code).toBe('login_abandoned');
  });
});

describe('code exchange', () => {
  it('a valid login through the relay: PKCE S256, RFC 9207 iss, authenticated session', async () => {
    const t = await tenant();
    const login = await hostileLogin(relay, client, t);
    expect(login.callback.status).toBe(200);
    expect(login.taken).toMatchObject({ state: login.state, iss: t.issuer });
    expect(login.tokenResponse?.status).toBe(200);
    const [authorize] = t.requestsTo('/authorize');
    expect(authorize?.query.code_challenge_method).toBe('S256');
    expect(await sessionStatus(login.session.sessionId)).toBe('authenticated');
  });

  it('a code is redeemed once: the replay is refused and what it issued is revoked', async () => {
    const t = await tenant();
    const login = await hostileLogin(relay, client, t);
    expect(login.tokenResponse?.status).toBe(200);
    const replay = await client.form(login.session.relayTokenEndpoint, {
      grant_type: 'authorization_code',
      code: login.taken?.code ?? '',
      redirect_uri: relay.redirectUri,
      code_verifier: login.codeVerifier,
      client_id: t.clientId,
    });
    expect(replay.status).toBe(400);
    expect(replay.json().error).toBe('invalid_grant');
    expect(t.requestsTo('/token').map((r) => r.error ?? 'ok')).toEqual(['ok', 'invalid_grant']);
    // RFC 6749 4.1.2: the provider revoked the refresh token the first redemption got.
    const refresh = await client.form(login.session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: login.tokenResponse?.json().refresh_token,
      client_id: t.clientId,
    });
    expect(refresh.json().error).toBe('invalid_grant');
  });

  it('client_secret_basic form-urlencodes a secret with ":", "%", "+" and spaces before base64 (RFC 6749 2.3.1)', async () => {
    const t = await tenant({ clientSecret: AWKWARD_SECRET, authMethod: 'client_secret_basic' });
    const login = await hostileLogin(relay, client, t);
    expect(login.tokenResponse?.status).toBe(200);
    const [request] = t.requestsTo('/token');
    expect(request?.clientAuth?.method).toBe('client_secret_basic');
    expect(request?.clientAuth?.rawBasic).toBe(
      `${t.clientId}:p%40ss%3Aw%25rd%2Bwith+spaces%2Fand%3Dmore`,
    );
    expect(request?.clientAuth?.clientSecret).toBe(AWKWARD_SECRET);
    expect(request?.form.client_secret).toBeUndefined();
    // The nonce the relay checks is not passed on to the provider.
    expect(request?.form.nonce).toBeUndefined();
    for (const h of ['origin', 'referer', 'cookie']) expect(request?.headers[h]).toBeUndefined();
  });

  it('client_secret_post sends the same secret verbatim in the body', async () => {
    const t = await tenant({ clientSecret: AWKWARD_SECRET, authMethod: 'client_secret_post' });
    const login = await hostileLogin(relay, client, t);
    expect(login.tokenResponse?.status).toBe(200);
    const [request] = t.requestsTo('/token');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.form.client_secret).toBe(AWKWARD_SECRET);
  });
});

describe("the relay's own ID token check (independent of the extension)", () => {
  const rejected: [ModeName, RegExp][] = [
    ['idtoken-invalid-iss', /issued by another provider/],
    ['idtoken-invalid-aud', /another application than Client ID/],
    ['idtoken-missing-aud', /"aud"/],
    ['idtoken-missing-sub', /"sub"/],
    ['idtoken-missing-iat', /"iat"/],
    ['idtoken-missing-exp', /"exp"/],
    ['idtoken-expired', /expired/],
    ['idtoken-invalid-sig-rs256', /signature/],
    ['idtoken-invalid-sig-es256', /signature/],
    ['idtoken-sig-none', /unsigned or signed with an algorithm/],
    ['idtoken-sig-hs256-client-secret', /unsigned or signed with an algorithm/],
    ['idtoken-unknown-key', /key the provider does not publish/],
    ['idtoken-invalid-nonce', /nonce does not match this login/],
  ];
  it.each(rejected)(
    '%s: 502 invalid_id_token, session failed, no token passed on',
    async (mode, words) => {
      const t = await tenant({ mode });
      const login = await hostileLogin(relay, client, t);
      expect(login.tokenResponse?.status).toBe(502);
      const body = login.tokenResponse?.json();
      expect(body.error).toBe('invalid_id_token');
      expect(body.error_description).toMatch(words);
      expect(login.tokenResponse?.text).not.toContain('access_token');
      expect(await sessionStatus(login.session.sessionId)).toBe('failed');
    },
  );

  it('accepts aud as a one-element array', async () => {
    const t = await tenant({ mode: 'idtoken-aud-single-element-array' });
    const login = await hostileLogin(relay, client, t);
    expect(login.tokenResponse?.status).toBe(200);
  });

  it('ES256 provider: accepted when the signature is right', async () => {
    const t = await tenant({ alg: 'ES256' });
    const login = await hostileLogin(relay, client, t);
    expect(login.tokenResponse?.status).toBe(200);
  });

  it('on refresh, a different sub is refused and the session fails (OIDC Core 12.2)', async () => {
    const t = await tenant({ mode: 'refresh-different-sub' });
    const login = await hostileLogin(relay, client, t);
    expect(login.tokenResponse?.status).toBe(200);
    const refresh = await client.form(login.session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: login.tokenResponse?.json().refresh_token,
      client_id: t.clientId,
    });
    expect(refresh.status).toBe(502);
    expect(refresh.json().error).toBe('invalid_id_token');
    expect(refresh.json().error_description).toMatch(/different user/);
    expect(refresh.text).not.toContain('access_token');
    expect(await sessionStatus(login.session.sessionId)).toBe('failed');
  });

  it('on refresh, the same sub is accepted', async () => {
    const t = await tenant();
    const login = await hostileLogin(relay, client, t);
    const refresh = await client.form(login.session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: login.tokenResponse?.json().refresh_token,
      client_id: t.clientId,
    });
    expect(refresh.status).toBe(200);
    expect(await sessionStatus(login.session.sessionId)).toBe('authenticated');
  });

  it('key rotation: an unknown kid gets one JWKS refetch, then a made-up kid fails without more fetching', async () => {
    const t = await tenant();
    const first = await hostileLogin(relay, client, t);
    expect(first.tokenResponse?.status).toBe(200);
    expect(t.requestsTo('/jwks')).toHaveLength(1);

    await t.rotateKeys();
    const second = await hostileLogin(relay, client, t);
    expect(second.tokenResponse?.status).toBe(200);
    expect(t.requestsTo('/jwks')).toHaveLength(2);

    // Within 30 s of that refetch, a token under a kid nobody publishes is refused at once.
    t.update({ idToken: { signature: 'unpublished', header: { kid: 'made-up' } } });
    const third = await hostileLogin(relay, client, t);
    expect(third.tokenResponse?.status).toBe(502);
    expect(third.tokenResponse?.json().error_description).toMatch(
      /key the provider does not publish/,
    );
    expect(t.requestsTo('/jwks')).toHaveLength(2);
  });
});

describe('nothing sensitive leaves the relay', () => {
  it('logs no code, token, state or secret, and the audit log holds none', async () => {
    const t = await tenant({ clientSecret: AWKWARD_SECRET });
    const login = await hostileLogin(relay, client, t);
    const tokens = login.tokenResponse?.json();
    const secrets = [
      AWKWARD_SECRET,
      login.state,
      login.taken?.code ?? 'no-code',
      tokens.access_token,
      tokens.refresh_token,
      tokens.id_token,
      ...t.issued.codes,
    ];
    const logs = logLines.join('\n');
    const audit = JSON.stringify(await relay.store.listAudit(1000));
    for (const s of secrets) {
      expect(logs).not.toContain(s);
      expect(audit).not.toContain(s);
    }
    // The session API never hands the secret back either.
    const info = await client.get(`/api/sessions/${login.session.sessionId}`);
    expect(info.text).not.toContain(AWKWARD_SECRET);
  });

  it('a provider echoing the client secret in its error: the relay redacts it before it reaches the browser', async () => {
    for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
      const t = await tenant({
        clientSecret: AWKWARD_SECRET,
        authMethod,
        tokenError: {
          error: 'invalid_client',
          error_description: 'Bad client',
          echoCredentials: true,
        },
      });
      const login = await hostileLogin(relay, client, t);
      expect(login.tokenResponse?.status).toBe(400);
      const body = login.tokenResponse?.json();
      expect(body.error).toBe('invalid_client');
      expect(body.error_description).toMatch(/^Bad client \(received /);
      expect(body.error_description).toContain('[redacted]');
      expect(login.tokenResponse?.text).not.toContain(AWKWARD_SECRET);
      expect(login.tokenResponse?.text).not.toContain('p%40ss%3Aw%25rd');
    }
  });

  it('error answers never echo the client secret', async () => {
    const t = await tenant({ clientSecret: AWKWARD_SECRET, idToken: { signature: 'corrupt' } });
    const login = await hostileLogin(relay, client, t);
    expect(login.tokenResponse?.text).not.toContain(AWKWARD_SECRET);
    const wrong = await client.json(
      'POST',
      '/api/sessions',
      {
        nickname: 'x',
        authority: `${t.issuer}/nowhere`,
        clientId: t.clientId,
        clientSecret: AWKWARD_SECRET,
        redirectUri: relay.redirectUri,
      },
      { Origin: EXT_ORIGIN },
    );
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.text).not.toContain(AWKWARD_SECRET);
  });
});
