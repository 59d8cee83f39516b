/**
 * POST /api/sessions/:id/logout: RFC 7009 revocation at the provider with
 * client authentication, then the session ends, also where the provider has
 * no revocation endpoint (Entra ID) or cannot be reached.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, RelayClient, signedIn, startHarness } from './helpers.ts';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const logoutPath = (id: string) => `/api/sessions/${id}/logout`;

describe('logout with revocation', () => {
  it('revokes the refresh and access tokens at the provider, then ends the session', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    const res = await h.client.json('POST', logoutPath(session.sessionId), {
      refreshToken: tokens.refresh_token,
      accessToken: tokens.access_token,
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      ended: true,
      revocation: 'revoked',
      revoked: ['refresh_token', 'access_token'],
    });

    const [rt, at] = h.provider.revocationRequests;
    expect(rt).toMatchObject({ token: tokens.refresh_token, tokenTypeHint: 'refresh_token' });
    expect(at).toMatchObject({ token: tokens.access_token, tokenTypeHint: 'access_token' });
    for (const r of h.provider.revocationRequests) {
      expect(r.status).toBe(200);
      expect(r.headers.authorization).toMatch(/^Basic /);
      expect(r.headers.origin).toBeUndefined();
    }

    const info = await h.client.get(`/api/sessions/${session.sessionId}`);
    expect(info.json().status).toBe('ended');
    // The revoked refresh token no longer works, through the relay or at the provider.
    const viaRelay = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(viaRelay.json().error).toBe('invalid_grant');
    const direct = await fetch(`${h.provider.issuer}/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from('sqlsafe-demo:demo-secret').toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token ?? '',
      }),
    });
    expect(((await direct.json()) as { error: string }).error).toBe('invalid_grant');

    const audit = (await h.relay.store.listAudit()).find((a) => a.event === 'logout');
    expect(audit?.detail).toMatchObject({ revocation: 'revoked' });
    expect(JSON.stringify(await h.relay.store.listAudit())).not.toContain(tokens.refresh_token);
  });

  it('forgets a kept refresh answer when the session ends', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    const refreshed = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(refreshed.status).toBe(200);
    await h.client.json('POST', logoutPath(session.sessionId), {
      refreshToken: refreshed.json().refresh_token,
    });
    const replay = await h.client.form(session.relayTokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(replay.json().error).toBe('invalid_grant');
    expect(replay.text).not.toContain('access_token');
  });

  it('says so where the provider has no revocation endpoint (Entra ID), and still ends the session', async () => {
    h = await startHarness({ revocation: false });
    const { session, tokens } = await signedIn(h);
    expect(session.metadata.revocation_endpoint).toBeUndefined();
    const res = await h.client.json('POST', logoutPath(session.sessionId), {
      refreshToken: tokens.refresh_token,
    });
    expect(res.json()).toEqual({ ended: true, revocation: 'not_supported', revoked: [] });
    expect((await h.client.get(`/api/sessions/${session.sessionId}`)).json().status).toBe('ended');
  });

  it('reports a provider that cannot be reached, and still ends the session', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    await h.provider.stop();
    const res = await h.client.json('POST', logoutPath(session.sessionId), {
      refreshToken: tokens.refresh_token,
    });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ ended: true, revocation: 'failed', revoked: [] });
    expect(res.json().error.code).toBe('provider_unreachable');
    expect((await h.client.get(`/api/sessions/${session.sessionId}`)).json().status).toBe('ended');
  });

  it('with no tokens only ends the session; another browser gets 404', async () => {
    h = await startHarness();
    const { session } = await signedIn(h);
    const stranger = await RelayClient.pair(h.relay);
    const foreign = await stranger.json('POST', logoutPath(session.sessionId), {});
    expect(foreign.status).toBe(404);
    const res = await h.client.json('POST', logoutPath(session.sessionId), {});
    expect(res.json()).toEqual({ ended: true, revocation: 'nothing_to_revoke', revoked: [] });
    expect(h.provider.revocationRequests).toHaveLength(0);
  });
});
