import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, login, RelayClient, startHarness } from './helpers.ts';

const SECRET = 'S3cr3t:with%odd+chars and spaces';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ clientSecret: SECRET });
});
afterAll(async () => {
  await h.close();
});

function settingsBody(overrides: Record<string, unknown> = {}) {
  return {
    nickname: 'Demo',
    authority: h.provider.issuer,
    clientId: h.provider.clientId,
    clientSecret: SECRET,
    required: false,
    ...overrides,
  };
}

/** Every byte the repository keeps on disk (database, WAL, shared memory). */
function repositoryBytes(): Buffer {
  return Buffer.concat(
    readdirSync(h.dir.path)
      .filter((f) => f.startsWith('repository.sqlite'))
      .map((f) => readFileSync(join(h.dir.path, f))),
  );
}

describe('settings', () => {
  it('starts empty', async () => {
    const res = await h.client.get('/api/settings');
    expect(res.json()).toEqual({ settings: null });
  });

  it('refuses invalid settings and a missing secret without storing anything', async () => {
    const bad = await h.client.json(
      'PUT',
      '/api/settings',
      settingsBody({ authority: 'ftp://x', clientId: '' }),
    );
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('invalid_settings');
    expect(Object.keys(JSON.parse(bad.json().error.detail)).sort()).toEqual([
      'authority',
      'clientId',
    ]);
    const missing = await h.client.json('PUT', '/api/settings', settingsBody({ clientSecret: '' }));
    expect(missing.status).toBe(400);
    expect(missing.json().error.code).toBe('missing_secret');
    const notBool = await h.client.json('PUT', '/api/settings', settingsBody({ required: 'yes' }));
    expect(notBool.status).toBe(400);
    expect((await h.client.get('/api/settings')).json()).toEqual({ settings: null });
  });

  it('round-trips PUT/GET and keeps the secret encrypted on disk', async () => {
    const put = await h.client.json('PUT', '/api/settings', settingsBody());
    expect(put.status).toBe(200);
    const expected = {
      nickname: 'Demo',
      authority: `${h.provider.issuer}/`,
      clientId: h.provider.clientId,
      hasSecret: true,
      required: false,
    };
    expect(put.json().settings).toMatchObject(expected);
    const get = await h.client.get('/api/settings');
    expect(get.json().settings).toMatchObject(expected);
    expect(get.text).not.toContain(SECRET);

    const bytes = repositoryBytes();
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from(SECRET, 'utf8'))).toBe(false);
    expect(bytes.includes(Buffer.from('S3cr3t', 'utf8'))).toBe(false);
    const stored = await h.relay.store.getSettings();
    expect(stored?.clientSecretEnc).toMatch(/^v1\./);

    // Another browser profile of the same user sees the repository's settings.
    const other = await RelayClient.pair(h.relay);
    expect((await other.get('/api/settings')).json().settings).toMatchObject(expected);
  });

  it('keeps the stored secret when the field is empty, and a login can use it', async () => {
    const put = await h.client.json(
      'PUT',
      '/api/settings',
      settingsBody({ clientSecret: '', nickname: 'Renamed' }),
    );
    expect(put.status).toBe(200);
    expect(put.json().settings).toMatchObject({ nickname: 'Renamed', hasSecret: true });
    const audit = (await h.relay.store.listAudit()).find((a) => a.event === 'settings_changed');
    expect(audit?.detail?.changed).toEqual(['nickname']);

    const { tokenResponse } = await login(h, { sessionOverrides: { clientSecret: '' } });
    expect(tokenResponse.status).toBe(200);
  });

  it('does not reuse the stored secret for another client', async () => {
    const res = await h.client.json(
      'PUT',
      '/api/settings',
      settingsBody({ clientId: 'another-client', clientSecret: '' }),
    );
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe('missing_secret');
    const session = await h.client.json('POST', '/api/sessions', {
      nickname: 'x',
      authority: h.provider.issuer,
      clientId: 'another-client',
      clientSecret: '',
      redirectUri: h.relay.redirectUri,
    });
    expect(session.status).toBe(400);
    expect(session.json().error.code).toBe('invalid_settings');
  });

  it('refuses to change Required without an authenticated session for these settings', async () => {
    const none = await h.client.json('PUT', '/api/settings', settingsBody({ required: true }));
    expect(none.status).toBe(403);
    expect(none.json().error).toMatchObject({
      code: 'not_authenticated',
      message: 'Log in with these settings before changing Required.',
    });
    const pending = (
      await h.client.json('POST', '/api/sessions', {
        nickname: 'Demo',
        authority: h.provider.issuer,
        clientId: h.provider.clientId,
        clientSecret: SECRET,
        redirectUri: h.relay.redirectUri,
      })
    ).json();
    const notYet = await h.client.json(
      'PUT',
      '/api/settings',
      settingsBody({ required: true, sessionId: pending.sessionId }),
    );
    expect(notYet.status).toBe(403);
    expect((await h.client.get('/api/settings')).json().settings.required).toBe(false);
  });

  it('lets the authenticated user change Required, but not with a session of another browser', async () => {
    const { session, tokenResponse } = await login(h, { user: 'dba' });
    expect(tokenResponse.status).toBe(200);

    const other = await RelayClient.pair(h.relay);
    const foreign = await other.json(
      'PUT',
      '/api/settings',
      settingsBody({ required: true, sessionId: session.sessionId }),
    );
    expect(foreign.status).toBe(403);

    const ok = await h.client.json(
      'PUT',
      '/api/settings',
      settingsBody({ required: true, sessionId: session.sessionId, clientSecret: '' }),
    );
    expect(ok.status).toBe(200);
    expect(ok.json().settings.required).toBe(true);
    const stored = await h.relay.store.getSettings();
    expect(stored?.updatedBySub).toBe('dba');

    const changes = (await h.relay.store.listAudit()).filter((a) => a.event === 'settings_changed');
    expect(changes[0]?.detail?.changed).toEqual(['nickname', 'required']); // back from 'Renamed'
    expect(changes[0]?.sub).toBe('dba');
    const all = JSON.stringify(await h.relay.store.listAudit());
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('S3cr3t');
  });

  it("takes the secret of the caller's login when the settings change client", async () => {
    // A login with the form's values (secret typed), then OK with an empty secret field.
    const { session } = await login(h, { user: 'dba' });
    const stored = await h.relay.store.getSettings();
    // Pretend the repository held another client's settings before.
    await h.relay.store.saveSettings(
      { ...(stored as NonNullable<typeof stored>), clientId: 'old-client', required: true },
      {
        at: new Date().toISOString(),
        event: 'settings_changed',
        pairingId: null,
        sessionId: null,
        sub: null,
        detail: { changed: ['clientId'] },
      },
    );
    const res = await h.client.json(
      'PUT',
      '/api/settings',
      settingsBody({ clientSecret: '', required: true, sessionId: session.sessionId }),
    );
    expect(res.status).toBe(200);
    expect(res.json().settings).toMatchObject({ clientId: h.provider.clientId, hasSecret: true });
  });
});
