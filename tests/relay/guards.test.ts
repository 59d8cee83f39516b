import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../../src/relay/server.ts';
import { CompanionError } from '../../src/shared/errors.ts';
import { PAIRING_HEADER } from '../../src/shared/relayApi.ts';
import { EXT_ORIGIN, type RawResponse, RelayClient, raw, tempDir } from './helpers.ts';

const dir = tempDir();
let relay: Awaited<ReturnType<typeof startRelay>>;
let client: RelayClient;
const responses: RawResponse[] = [];

async function req(...args: Parameters<typeof raw>): Promise<RawResponse> {
  const res = await raw(...args);
  responses.push(res);
  return res;
}

beforeAll(async () => {
  relay = await startRelay({ port: 0, dataDir: dir.path, log: () => {} });
  client = await RelayClient.pair(relay);
});

afterAll(async () => {
  await relay.close();
  dir.remove();
});

describe('relay guards', () => {
  it('listens on 127.0.0.1 and ::1 and answers health without pairing', async () => {
    expect(relay.addresses).toEqual([`127.0.0.1:${relay.port}`, `[::1]:${relay.port}`]);
    for (const address of ['127.0.0.1', '::1']) {
      const res = await req(relay.port, { path: '/api/health', address });
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({
        ok: true,
        service: 'sqlsafe-oidc-relay',
        port: relay.port,
      });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('answers 421 to a Host other than localhost/127.0.0.1/[::1] with our port (DNS rebinding)', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${relay.port}`,
      `localhost:${relay.port + 1}`,
    ]) {
      const res = await req(relay.port, { path: '/api/health', headers: { Host: host } });
      expect(res.status).toBe(421);
      expect(res.json().error.code).toBe('relay_forbidden');
    }
    for (const host of [
      `127.0.0.1:${relay.port}`,
      `[::1]:${relay.port}`,
      `LOCALHOST:${relay.port}`,
    ]) {
      const res = await req(relay.port, { path: '/api/health', headers: { Host: host } });
      expect(res.status).toBe(200);
    }
    const cb = await req(relay.port, { path: '/callback/', headers: { Host: 'evil.example' } });
    expect(cb.status).toBe(421);
  });

  it('refuses a foreign Origin on /api/ with 403, even with a valid pairing token', async () => {
    const res = await req(relay.port, {
      path: '/api/settings',
      headers: { Origin: 'https://evil.example', [PAIRING_HEADER]: client.token },
    });
    expect(res.status).toBe(403);
    expect(res.json().error.code).toBe('relay_forbidden');
    const preflight = await req(relay.port, {
      method: 'OPTIONS',
      path: '/api/sessions',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Private-Network': 'true',
      },
    });
    expect(preflight.status).toBe(403);
  });

  it('requires a valid pairing token on /api/ (401 relay_unpaired)', async () => {
    const none = await req(relay.port, { path: '/api/settings' });
    expect(none.status).toBe(401);
    expect(none.json().error.code).toBe('relay_unpaired');
    const wrong = await req(relay.port, {
      path: '/api/settings',
      headers: { [PAIRING_HEADER]: 'A'.repeat(43) },
    });
    expect(wrong.status).toBe(401);
    const ok = await req(relay.port, {
      path: '/api/settings',
      headers: { [PAIRING_HEADER]: client.token },
    });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ settings: null });
  });

  it('pairs only with an allowed Origin, and each pairing gets its own token', async () => {
    const noOrigin = await req(relay.port, { method: 'POST', path: '/api/pair' });
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.json().error.code).toBe('relay_forbidden');
    const foreign = await req(relay.port, {
      method: 'POST',
      path: '/api/pair',
      headers: { Origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const second = await req(relay.port, {
      method: 'POST',
      path: '/api/pair',
      headers: { Origin: EXT_ORIGIN },
    });
    expect(second.status).toBe(200);
    const { token } = second.json();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token).not.toBe(client.token);
    const audit = await relay.store.listAudit();
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('limits bodies to 64 KiB (413), and rejects malformed JSON (400) and wrong types (415)', async () => {
    const big = await req(relay.port, {
      method: 'PUT',
      path: '/api/settings',
      headers: { [PAIRING_HEADER]: client.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ nickname: 'x'.repeat(70 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(big.json().error).toMatchObject({ code: 'relay_bad_request' });
    expect(big.json().error.message).toContain('64 KiB');

    const malformed = await req(relay.port, {
      method: 'POST',
      path: '/api/sessions',
      headers: { [PAIRING_HEADER]: client.token, 'Content-Type': 'application/json' },
      body: '{"nickname": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json().error.code).toBe('relay_bad_request');
    expect(malformed.json().error.message).toMatch(/not valid JSON/);

    const notObject = await client.json('POST', '/api/sessions', ['a']);
    expect(notObject.status).toBe(400);

    const missing = await client.json('POST', '/api/sessions', { nickname: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.json().error.message).toContain('"authority"');

    const wrongType = await req(relay.port, {
      method: 'POST',
      path: '/api/sessions',
      headers: { [PAIRING_HEADER]: client.token, 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(wrongType.status).toBe(415);
  });

  it('answers 404 for unknown routes and 405 with Allow for wrong methods', async () => {
    const unknown = await req(relay.port, {
      path: '/api/nope',
      headers: { [PAIRING_HEADER]: client.token },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
    const root = await req(relay.port, { path: '/' });
    expect(root.status).toBe(404);
    const wrong = await req(relay.port, { method: 'DELETE', path: '/api/settings' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, PUT');
  });

  it('never sends an Access-Control-* header', () => {
    expect(responses.length).toBeGreaterThan(10);
    for (const res of responses) {
      const cors = Object.keys(res.headers).filter((h) =>
        h.toLowerCase().startsWith('access-control-'),
      );
      expect(cors).toEqual([]);
    }
  });
});

describe('busy port', () => {
  function occupy(host: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      // A non-HTTP program: it hangs up on every connection (so close() does not wait).
      const server = createServer((socket) => socket.destroy());
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => resolve(server));
    });
  }

  for (const host of ['127.0.0.1', '::1']) {
    it(`refuses to start when ${host} holds the port (port_in_use)`, async () => {
      const other = await occupy(host, 0);
      const port = (other.address() as { port: number }).port;
      const d = tempDir();
      try {
        const err = await startRelay({ port, dataDir: d.path, log: () => {} }).catch((e) => e);
        expect(err).toBeInstanceOf(CompanionError);
        expect(err.code).toBe('port_in_use');
        expect(err.message).toContain(`Port ${port} is already in use`);
        expect(err.message).toContain('--port');
        // The other address was released again: the port is usable once the owner leaves.
        await new Promise<void>((r) => other.close(() => r()));
        const relay2 = await startRelay({ port, dataDir: d.path, log: () => {} });
        await relay2.close();
      } finally {
        if (other.listening) other.close();
        d.remove();
      }
    });
  }

  it('names another relay as the likely owner', async () => {
    const d = tempDir();
    try {
      const err = await startRelay({ port: relay.port, dataDir: d.path, log: () => {} }).catch(
        (e) => e,
      );
      expect(err.code).toBe('port_in_use');
      expect(err.message).toContain('another SQL Safe OIDC relay');
    } finally {
      d.remove();
    }
  });
});
