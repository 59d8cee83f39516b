/**
 * Refresh through the relay against oidc-provider configured like Okta:
 * refresh tokens rotate on every use and a used one presented again revokes
 * the whole grant. The relay must let each refresh token reach the provider
 * once, whatever the extension retries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../scripts/demo-provider.ts';
import { RefreshGate } from '../../src/relay/refreshGate.ts';
import { startRelay } from '../../src/relay/server.ts';
import { type Harness, signedIn, startHarness } from './helpers.ts';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function refresh(harness: Harness, endpoint: string, refreshToken: string) {
  return harness.client.form(endpoint, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: harness.provider.clientId,
  });
}

/** A refresh sent straight to the provider, as a second client holding the token would. */
async function refreshAtProvider(harness: Harness, refreshToken: string) {
  const res = await fetch(`${harness.provider.issuer}/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${harness.provider.clientId}:${harness.provider.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

const refreshGrants = (harness: Harness) =>
  harness.provider.tokenRequests.filter((r) => r.grantType === 'refresh_token');

describe('refresh through the relay', () => {
  it('a relay restarted between the refresh and the retry still answers it without the provider', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    const first = await refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? '');
    expect(first.status).toBe(200);
    const rotated = first.json().refresh_token as string;

    // The relay stops (Ctrl-C, crash, reboot) before the worker stored `rotated`, and starts again.
    const port = h.relay.port;
    await h.relay.close();
    h.relay = await startRelay({ port, dataDir: h.dir.path, log: () => {} });

    const retry = await refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? '');
    expect(retry.status).toBe(200);
    expect(retry.json()).toEqual(first.json());
    expect(refreshGrants(h)).toHaveLength(1);

    // Kept sealed: neither token is readable in the repository's files.
    const files = readdirSync(h.dir.path).filter((f) => f.startsWith('repository.sqlite'));
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(h?.dir.path ?? '', f))));
    expect(bytes.includes(Buffer.from(rotated))).toBe(false);
    expect(bytes.includes(Buffer.from(first.json().access_token as string))).toBe(false);

    // Logout drops the kept answer: the old token then really goes to the provider (and fails).
    expect((await h.client.delete(`/api/sessions/${session.sessionId}`)).status).toBe(200);
    expect(
      await h.relay.store.findRefreshAnswer(
        RefreshGate.key(session.sessionId, tokens.refresh_token ?? ''),
        Date.now(),
      ),
    ).toBeNull();
  });

  it('the demo provider punishes reuse like Okta: an old refresh token revokes the grant', async () => {
    h = await startHarness();
    const { tokens } = await signedIn(h);
    const first = await refreshAtProvider(h, tokens.refresh_token ?? '');
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    const reuse = await refreshAtProvider(h, tokens.refresh_token ?? '');
    expect(reuse.body.error).toBe('invalid_grant');
    // The rotated token died with the grant.
    expect((await refreshAtProvider(h, first.body.refresh_token ?? '')).body.error).toBe(
      'invalid_grant',
    );
  });

  it('a refresh token presented again gets the first answer, and the provider sees it once', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    const first = await refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? '');
    expect(first.status).toBe(200);
    const rotated = first.json().refresh_token as string;
    expect(rotated).not.toBe(tokens.refresh_token);

    // The extension's worker was stopped before it stored `rotated`: it retries with the old token.
    const retry = await refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? '');
    expect(retry.status).toBe(200);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['cache-control']).toBe('no-store');
    expect(refreshGrants(h)).toHaveLength(1);
    expect(refreshGrants(h)[0]?.refreshTokenHash).toBe(sha256Hex(tokens.refresh_token ?? ''));

    // The grant is intact: the rotated token refreshes normally.
    const next = await refresh(h, session.relayTokenEndpoint, rotated);
    expect(next.status).toBe(200);
    expect(refreshGrants(h)).toHaveLength(2);
    const audit = (await h.relay.store.listAudit()).filter((a) => a.event === 'token_refreshed');
    expect(audit).toHaveLength(2);
  });

  it('concurrent refreshes with one token reach the provider once and all get the same answer', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    h.provider.setTokenDelay(300);
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() =>
        refresh(h as Harness, session.relayTokenEndpoint, tokens.refresh_token ?? ''),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(refreshGrants(h)).toHaveLength(1);
  });

  it("runs a session's refreshes one at a time", async () => {
    let inFlight = 0;
    let most = 0;
    h = await startHarness(
      {},
      {
        fetch: async (input, init) => {
          if (!String(input).endsWith('/token')) return fetch(input, init);
          inFlight += 1;
          most = Math.max(most, inFlight);
          try {
            return await fetch(input, init);
          } finally {
            inFlight -= 1;
          }
        },
      },
    );
    const { session, tokens } = await signedIn(h);
    h.provider.setTokenDelay(200);
    const [good, bad] = await Promise.all([
      refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? ''),
      refresh(h, session.relayTokenEndpoint, 'not-a-refresh-token'),
    ]);
    expect(good.status).toBe(200);
    expect(bad.json().error).toBe('invalid_grant');
    expect(most).toBe(1);
  });

  it('does not keep an answer the provider never gave: a retry after an outage really refreshes', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    await h.provider.stop();
    const down = await refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? '');
    expect(down.status).toBe(502);
    expect(down.json().error).toBe('provider_unreachable');
    const info = await h.client.get(`/api/sessions/${session.sessionId}`);
    expect(info.json().status).toBe('authenticated');

    await h.provider.start();
    const up = await refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? '');
    expect(up.status).toBe(200);
    expect(refreshGrants(h)).toHaveLength(1);
  });

  it('a grant revoked at the provider answers invalid_grant and marks the session failed', async () => {
    h = await startHarness();
    const { session, tokens } = await signedIn(h);
    expect(await h.provider.revokeGrants()).toBe(1);
    const res = await refresh(h, session.relayTokenEndpoint, tokens.refresh_token ?? '');
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
    const info = await h.client.get(`/api/sessions/${session.sessionId}`);
    expect(info.json().status).toBe('failed');
    // A dead grant needs no client secret at the relay any more.
    const record = await h.relay.store.getSession(session.sessionId);
    expect(record?.clientSecretEnc).toBeNull();
  });
});

describe('RefreshGate', () => {
  const answer = (n: number) => ({ status: 200, body: { n } });

  it('forgets answers after their time and on request', async () => {
    let now = 1_000;
    const gate = new RefreshGate({ ttlMs: 100, now: () => now });
    let calls = 0;
    const exchange = async () => ({ answer: answer(++calls), reachedProvider: true });
    expect((await gate.run('s', 'rt', exchange)).answer.body).toEqual({ n: 1 });
    expect(await gate.run('s', 'rt', exchange)).toEqual({ answer: answer(1), replayed: true });
    // Another session presenting the same token does not get this session's answer.
    expect((await gate.run('other', 'rt', exchange)).answer.body).toEqual({ n: 2 });
    now += 100;
    expect((await gate.run('s', 'rt', exchange)).answer.body).toEqual({ n: 3 });
    gate.forget('s');
    expect((await gate.run('s', 'rt', exchange)).replayed).toBe(false);
    // The other session's answer expired; only the newest is kept.
    expect(gate.size).toBe(1);
  });

  it('keys answers by a hash, never the token itself', () => {
    const key = RefreshGate.key('s', 'secret-refresh-token');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('secret');
  });

  it('a failed exchange does not block the next one', async () => {
    const gate = new RefreshGate();
    await expect(
      gate.run('s', 'a', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const ok = await gate.run('s', 'b', async () => ({ answer: answer(1), reachedProvider: true }));
    expect(ok.answer.status).toBe(200);
  });
});
