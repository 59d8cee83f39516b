import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { auditEntry, sanitizeDetail } from '../../src/relay/audit.ts';
import { AuthorizationResponseStore } from '../../src/relay/authResponses.ts';
import { JwksCache } from '../../src/relay/jwksCache.ts';
import { openRepository } from '../../src/relay/repository/index.ts';
import { MIGRATIONS } from '../../src/relay/repository/migrations.ts';
import { SECRET_CONTEXT, SecretBox } from '../../src/relay/secretBox.ts';
import { startRelay } from '../../src/relay/server.ts';
import { basicAuthorization, buildTokenRequest } from '../../src/relay/tokenForward.ts';
import { RelayClient, tempDir } from './helpers.ts';

describe('repository', () => {
  it('applies migrations once; restarts keep data and pairings', async () => {
    const dir = tempDir();
    try {
      const first = await startRelay({
        port: 0,
        dataDir: join(dir.path, 'nested', 'data'),
        log: () => {},
      });
      const client = await RelayClient.pair(first);
      const file = first.repositoryPath;
      await first.close();

      const second = await startRelay({
        port: 0,
        dataDir: join(dir.path, 'nested', 'data'),
        log: () => {},
      });
      const again = new RelayClient(second.port, client.token);
      expect((await again.get('/api/settings')).status).toBe(200);
      await second.close();

      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();

      if (process.platform !== 'win32') {
        expect(statSync(join(dir.path, 'nested', 'data', 'secret.key')).mode & 0o777).toBe(0o600);
      }
    } finally {
      dir.remove();
    }
  });

  it('refuses a repository from a newer relay', async () => {
    const dir = tempDir();
    try {
      const store = openRepository(dir.path);
      await store.close();
      const db = new Database(join(dir.path, 'repository.sqlite'));
      db.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'now')").run();
      db.close();
      expect(() => openRepository(dir.path)).toThrow(/newer than this relay knows/);
    } finally {
      dir.remove();
    }
  });

  it('resets pairings (and their sessions) and audits it', async () => {
    const dir = tempDir();
    try {
      const relay = await startRelay({ port: 0, dataDir: dir.path, log: () => {} });
      const a = await RelayClient.pair(relay);
      await RelayClient.pair(relay);
      expect(
        await relay.store.deleteAllPairings(auditEntry('pairings_reset', {}, { by: 'test' })),
      ).toBe(2);
      expect((await a.get('/api/settings')).status).toBe(401);
      const [last] = await relay.store.listAudit(1);
      expect(last).toMatchObject({ event: 'pairings_reset', detail: { by: 'test', count: 2 } });
      await relay.close();
    } finally {
      dir.remove();
    }
  });
});

describe('secret box', () => {
  it('round-trips, binds ciphertexts to their place, and detects tampering', () => {
    const dir = tempDir();
    try {
      const box = SecretBox.forDataDir(dir.path);
      const sealed = box.seal('s3cret', SECRET_CONTEXT.settings);
      expect(sealed).not.toContain('s3cret');
      expect(box.open(sealed, SECRET_CONTEXT.settings)).toBe('s3cret');
      expect(() => box.open(sealed, SECRET_CONTEXT.session('x'))).toThrow();
      const flipped = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}${sealed.slice(-1)}`;
      expect(() => box.open(flipped, SECRET_CONTEXT.settings)).toThrow();
      // Same key file, same results.
      expect(SecretBox.forDataDir(dir.path).open(sealed, SECRET_CONTEXT.settings)).toBe('s3cret');
    } finally {
      dir.remove();
    }
  });
});

describe('pure parts', () => {
  it('form-urlencodes Basic credentials before base64 (RFC 6749 2.3.1)', () => {
    const header = basicAuthorization('my client', 'a:b%c+d e');
    expect(Buffer.from(header.slice(6), 'base64').toString()).toBe('my+client:a%3Ab%25c%2Bd+e');
  });

  it('forwards only the allowed token parameters', () => {
    const req = buildTokenRequest(
      {
        grant_type: 'authorization_code',
        code: 'c',
        redirect_uri: 'r',
        code_verifier: 'v',
        client_id: 'browser',
        client_secret: 'browser-secret',
        extra: 'x',
      },
      {
        tokenEndpoint: 'https://p/token',
        clientId: 'id',
        clientSecret: 's',
        method: 'client_secret_post',
      },
    );
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'c',
      redirect_uri: 'r',
      code_verifier: 'v',
      client_id: 'id',
      client_secret: 's',
    });
    expect(req.headers.Authorization).toBeUndefined();
  });

  it('drops credential-like keys from audit details', () => {
    expect(
      sanitizeDetail({
        error: 'invalid_grant',
        client_secret: 'x',
        refresh_token: 'y',
        code: 'z',
        n: 1,
      }),
    ).toEqual({ error: 'invalid_grant', n: 1 });
  });

  it('keeps authorization responses single-use, 10 minutes, 100 at most', () => {
    let now = 0;
    const store = new AuthorizationResponseStore(() => now);
    for (let i = 0; i < 105; i++) {
      store.expect(`s${i}`, 'pairing-1');
      expect(store.put({ state: `s${i}`, code: `c${i}` })).toBe('stored');
    }
    expect(store.size).toBe(100);
    expect(store.take('s0', 'pairing-1')).toBeNull();
    expect(store.take('s104', 'pairing-1')?.params.code).toBe('c104');
    expect(store.take('s104', 'pairing-1')).toBeNull();
    now = 10 * 60_000 + 1;
    expect(store.take('s50', 'pairing-1')).toBeNull();
    expect(store.size).toBe(0);
  });

  it('accepts a response only for an announced state, once, for the pairing that announced it', () => {
    const store = new AuthorizationResponseStore();
    // Forged: nobody announced this state (RFC 6749 10.12).
    expect(store.put({ state: 'forged', code: 'evil' })).toBe('unexpected');
    expect(store.put({ code: 'no-state' })).toBe('unexpected');
    expect(store.take('forged', 'pairing-1')).toBeNull();

    store.expect('s1', 'pairing-1');
    expect(store.take('s1', 'pairing-1')).toBeNull(); // nothing arrived yet
    expect(store.put({ state: 's1', code: 'real' })).toBe('stored');
    // A second response for the same state (replay, or an injected code racing the real one).
    expect(store.put({ state: 's1', code: 'injected' })).toBe('replayed');
    // Announcing again does not reopen it.
    store.expect('s1', 'pairing-2');
    expect(store.put({ state: 's1', code: 'again' })).toBe('replayed');
    // Another browser profile cannot take it.
    expect(store.take('s1', 'pairing-2')).toBeNull();
    expect(store.take('s1', 'pairing-1')?.params.code).toBe('real');
    expect(store.put({ state: 's1', code: 'after-take' })).toBe('replayed');
    expect(store.take('s1', 'pairing-1')).toBeNull();
  });
});

describe('JWKS cache', () => {
  it('keeps keys 5 minutes and refetches on demand at most every 30 s', async () => {
    let now = 0;
    let calls = 0;
    const fakeFetch = (async () => {
      calls++;
      return new Response(
        JSON.stringify({
          keys: [{ kty: 'RSA', kid: `k${calls}`, n: 'x', e: 'AQAB', d: 'secret' }],
        }),
      );
    }) as unknown as typeof fetch;
    const cache = new JwksCache(fakeFetch, () => now);
    const uri = 'https://p.example/jwks';
    const first = await cache.get(uri);
    expect(first.keys[0]).toEqual({ kty: 'RSA', kid: 'k1', n: 'x', e: 'AQAB' }); // private member dropped
    // A key rotation right after a regular fetch is still seen: one forced refetch...
    now = 1_000;
    expect(cache.canForceRefresh(uri)).toBe(true);
    expect((await cache.get(uri, { refresh: true })).keys[0]?.kid).toBe('k2');
    // ...and no other one within 30 s of it (a made-up kid cannot hammer the provider).
    expect(cache.canForceRefresh(uri)).toBe(false);
    await cache.get(uri, { refresh: true });
    expect(calls).toBe(2);
    now = 31_000;
    expect(cache.canForceRefresh(uri)).toBe(true);
    expect((await cache.get(uri, { refresh: true })).keys[0]?.kid).toBe('k3');
    now = 31_000 + 4 * 60_000;
    await cache.get(uri);
    expect(calls).toBe(3);
    now = 31_000 + 5 * 60_000;
    await cache.get(uri);
    expect(calls).toBe(4);
  });
});
