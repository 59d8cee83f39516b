import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../../src/relay/server.ts';
import { type HostileProvider, startHostileProvider } from '../support/hostileProvider.ts';
import { expectState, RelayClient, raw, tempDir } from './helpers.ts';

const dir = tempDir();
let relay: Awaited<ReturnType<typeof startRelay>>;
let client: RelayClient;
let provider: HostileProvider;
let sessionId: string;
const logLines: string[] = [];

beforeAll(async () => {
  relay = await startRelay({ port: 0, dataDir: dir.path, log: (l) => logLines.push(l) });
  client = await RelayClient.pair(relay);
  provider = await startHostileProvider();
  const tenant = await provider.tenant({ redirectUris: [relay.redirectUri] });
  const session = await client.json('POST', '/api/sessions', {
    nickname: 'Callback',
    authority: tenant.issuer,
    clientId: tenant.clientId,
    clientSecret: tenant.clientSecret,
    redirectUri: relay.redirectUri,
  });
  sessionId = session.json().sessionId;
});

afterAll(async () => {
  await relay.close();
  await provider.close();
  dir.remove();
});

/** The extension announces each state before it opens the provider's page. */
const announce = (state: string) => expectState(client, state, sessionId);

function postCallback(body: string, headers: Record<string, string> = {}) {
  return raw(relay.port, {
    method: 'POST',
    path: '/callback/',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: 'https://login.provider.example',
      ...headers,
    },
    body,
  });
}

function expectPageHeaders(headers: Record<string, string | string[] | undefined>) {
  expect(headers['content-type']).toBe('text/html; charset=utf-8');
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['content-security-policy']).toBe(
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
}

describe('callback', () => {
  it('stores a form_post response by state; take returns it once', async () => {
    const params = {
      code: 'the-code-123',
      state: 'state-abc',
      iss: 'https://login.provider.example',
    };
    await announce('state-abc');
    const res = await postCallback(new URLSearchParams(params).toString());
    expect(res.status).toBe(200);
    expectPageHeaders(res.headers);
    expect(res.text).toContain('Finishing sign-in… This tab closes by itself.');
    expect(res.text).toContain('If it stays open, return to the SQL Safe OIDC Companion popup.');
    expect(res.text).not.toContain('the-code-123');
    expect(res.text).not.toContain('state-abc');
    expect(res.text).not.toMatch(/<script|src=|href=/i);

    const first = await client.json('POST', '/api/authorization-responses/take', {
      state: 'state-abc',
    });
    expect(first.status).toBe(200);
    expect(first.json().params).toEqual(params);
    expect(Date.parse(first.json().receivedAt)).not.toBeNaN();

    const second = await client.json('POST', '/api/authorization-responses/take', {
      state: 'state-abc',
    });
    expect(second.status).toBe(404);
    expect(second.json().error.code).toBe('not_found');
  });

  it('stores error responses too (RFC 6749 4.1.2.1)', async () => {
    await announce('s-err');
    await postCallback('error=access_denied&error_description=User+said+no&state=s-err');
    const taken = await client.json('POST', '/api/authorization-responses/take', {
      state: 's-err',
    });
    expect(taken.json().params).toEqual({
      error: 'access_denied',
      error_description: 'User said no',
      state: 's-err',
    });
  });

  it('needs pairing to take a response', async () => {
    await announce('s-pair');
    await postCallback('code=c&state=s-pair');
    const res = await raw(relay.port, {
      method: 'POST',
      path: '/api/authorization-responses/take',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 's-pair' }),
    });
    expect(res.status).toBe(401);
  });

  it('answers a GET with parameters with 303 to /callback/, keeping the response', async () => {
    await announce('s-get');
    const res = await raw(relay.port, { path: '/callback/?code=query-code&state=s-get&iss=x' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/callback/');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const taken = await client.json('POST', '/api/authorization-responses/take', {
      state: 's-get',
    });
    expect(taken.json().params).toEqual({ code: 'query-code', state: 's-get', iss: 'x' });
  });

  it('shows "no sign-in response" for a bare GET', async () => {
    const res = await raw(relay.port, { path: '/callback/' });
    expect(res.status).toBe(200);
    expectPageHeaders(res.headers);
    expect(res.text).toContain('There is no sign-in response here.');
  });

  it('refuses responses without state, with duplicates, too large, or not form-encoded', async () => {
    const noState = await postCallback('code=abc');
    expect(noState.status).toBe(400);
    expectPageHeaders(noState.headers);
    expect(noState.text).toContain('This is not a valid sign-in response');

    const getNoState = await raw(relay.port, { path: '/callback/?code=abc' });
    expect(getNoState.status).toBe(400);

    await announce('s-dup');
    await announce('s-big');
    const dup = await postCallback('code=a&code=b&state=s-dup');
    expect(dup.status).toBe(400);

    const big = await postCallback(`state=s-big&code=${'x'.repeat(17 * 1024)}`);
    expect(big.status).toBe(413);
    expectPageHeaders(big.headers);
    const none = await client.json('POST', '/api/authorization-responses/take', { state: 's-big' });
    expect(none.status).toBe(404);

    const json = await postCallback('{"state":"s"}', { 'Content-Type': 'application/json' });
    expect(json.status).toBe(415);
    expectPageHeaders(json.headers);
  });

  it('never logs codes, state or queries', () => {
    const all = logLines.join('\n');
    expect(all).toContain('POST /callback/ 200');
    expect(all).toContain('GET /callback/ 303');
    for (const secret of ['the-code-123', 'state-abc', 'query-code', 's-get', '?']) {
      expect(all).not.toContain(secret);
    }
  });
});
