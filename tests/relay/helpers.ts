/**
 * Shared parts of the relay integration tests: a raw HTTP client (node:http,
 * so Host and Origin are exactly what the test says), pairing, and a full
 * authorization code login against the real demo provider driven over HTTP
 * (devInteractions login + consent forms, cookies, form_post page).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoProviderOptions, startDemoProvider } from '../../scripts/demo-provider.ts';
import { type RelayOptions, type RunningRelay, startRelay } from '../../src/relay/server.ts';
import { CHROME_EXTENSION_ORIGIN } from '../../src/shared/config.ts';
import type { CreateSessionResponse } from '../../src/shared/relayApi.ts';
import { PAIRING_HEADER } from '../../src/shared/relayApi.ts';

export const EXT_ORIGIN = CHROME_EXTENSION_ORIGIN;

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'sqlsafe-relay-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read many response shapes; each asserts what it reads.
  json(): any;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Connect here (default 127.0.0.1). */
  address?: string;
}

/** One HTTP request with exactly the given headers (Host defaults to localhost:PORT). */
export function raw(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Host: `localhost:${port}`, ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);
    const r = request(
      {
        host: req.address ?? '127.0.0.1',
        port,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text),
          });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** A paired client of the relay, sending what the extension's background sends. */
export class RelayClient {
  constructor(
    readonly port: number,
    readonly token: string,
  ) {}

  static async pair(relay: { port: number }): Promise<RelayClient> {
    const res = await raw(relay.port, {
      method: 'POST',
      path: '/api/pair',
      headers: { Origin: EXT_ORIGIN },
    });
    if (res.status !== 200) throw new Error(`pairing failed: ${res.status} ${res.text}`);
    return new RelayClient(relay.port, res.json().token);
  }

  get(path: string, headers: Record<string, string> = {}) {
    return raw(this.port, { path, headers: { [PAIRING_HEADER]: this.token, ...headers } });
  }

  delete(path: string) {
    return raw(this.port, { method: 'DELETE', path, headers: { [PAIRING_HEADER]: this.token } });
  }

  json(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    return raw(this.port, {
      method,
      path,
      headers: {
        [PAIRING_HEADER]: this.token,
        'Content-Type': 'application/json',
        Origin: EXT_ORIGIN,
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  /** As oidc-client-ts posts to the relay token endpoint (Origin included, as Chromium adds it). */
  form(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
    return raw(this.port, {
      method: 'POST',
      path: new URL(url).pathname,
      headers: {
        [PAIRING_HEADER]: this.token,
        'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
        Origin: EXT_ORIGIN,
        Cookie: 'should=not-be-forwarded',
        Referer: `${EXT_ORIGIN}/background.js`,
        ...headers,
      },
      body: new URLSearchParams(params).toString(),
    });
  }
}

export type DemoProvider = Awaited<ReturnType<typeof startDemoProvider>>;

export interface Harness {
  relay: RunningRelay;
  provider: DemoProvider;
  client: RelayClient;
  dir: { path: string; remove(): void };
  close(): Promise<void>;
}

/** A relay on a free port with its own data dir, and a demo provider that knows its redirect URIs. */
export async function startHarness(
  providerOpts: Omit<DemoProviderOptions, 'redirectUris'> = {},
  relayOpts: Partial<RelayOptions> = {},
): Promise<Harness> {
  const dir = tempDir();
  const relay = await startRelay({ port: 0, dataDir: dir.path, log: () => {}, ...relayOpts });
  const provider = await startDemoProvider({
    ...providerOpts,
    redirectUris: [relay.redirectUri, `http://127.0.0.1:${relay.port}/callback/`],
  });
  const client = await RelayClient.pair(relay);
  return {
    relay,
    provider,
    client,
    dir,
    async close() {
      await Promise.all([relay.close(), provider.close()]);
      dir.remove();
    },
  };
}

export function sessionRequest(h: Harness, overrides: Record<string, unknown> = {}) {
  return {
    nickname: 'Demo',
    authority: h.provider.issuer,
    clientId: h.provider.clientId,
    clientSecret: h.provider.clientSecret,
    redirectUri: h.relay.redirectUri,
    ...overrides,
  };
}

export async function createSession(
  h: Harness,
  overrides: Record<string, unknown> = {},
): Promise<CreateSessionResponse> {
  const res = await h.client.json('POST', '/api/sessions', sessionRequest(h, overrides));
  if (res.status !== 200) throw new Error(`session creation failed: ${res.status} ${res.text}`);
  return res.json();
}

/** Announces a state to the relay (POST /api/authorization-responses/expect), as the extension does. */
export async function expectState(
  client: RelayClient,
  state: string,
  sessionId: string,
): Promise<void> {
  const res = await client.json('POST', '/api/authorization-responses/expect', {
    state,
    sessionId,
  });
  if (res.status !== 200) throw new Error(`expect answered ${res.status} ${res.text}`);
}

/** Minimal cookie jar: oidc-provider's cookies are path-scoped but uniquely named. */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair === undefined || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** The hidden inputs of an HTML form (oidc-provider's pages, a provider's form_post page). */
export function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  const decode = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  for (const m of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>/g)) {
    out[decode(m[1] ?? '')] = decode(m[2] ?? '');
  }
  return out;
}

export interface LoginResult {
  session: CreateSessionResponse;
  state: string;
  codeVerifier: string;
  callbackParams: Record<string, string>;
  tokenResponse: RawResponse;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * The whole browser part of a login, over HTTP: authorize with form_post,
 * sign in and consent on the devInteractions pages, deliver the form_post to
 * the relay's /callback/, take the response, and exchange the code through
 * the relay. Returns the relay's answer to the token request.
 */
export async function login(
  h: Harness,
  opts: { user?: string; sessionOverrides?: Record<string, unknown>; scope?: string } = {},
): Promise<LoginResult> {
  const session = await createSession(h, opts.sessionOverrides);
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  // As the extension does before opening the provider's page: /callback/ accepts only this state.
  await expectState(h.client, state, session.sessionId);
  const authorize = new URL(session.metadata.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: h.provider.clientId,
    response_type: 'code',
    response_mode: 'form_post',
    scope: opts.scope ?? 'openid profile email offline_access',
    redirect_uri: h.relay.redirectUri,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(k, v);
  }

  const jar = new CookieJar();
  const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(res);
    return res;
  };

  let res = await go(authorize.href);
  let formPost: string | null = null;
  for (let step = 0; step < 10 && formPost === null; step++) {
    if (res.status >= 300 && res.status < 400) {
      res = await go(new URL(res.headers.get('location') ?? '', res.url || authorize.href).href);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(
        `provider answered ${res.status}: ${html.replace(/<style[\s\S]*<\/style>/, '').slice(0, 1500)}`,
      );
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    if (action === undefined) throw new Error(`no form on provider page: ${html.slice(0, 300)}`);
    if (action.startsWith(h.relay.redirectUri) || action.includes('/callback/')) {
      formPost = html;
      break;
    }
    const inputs = hiddenInputs(html);
    const body =
      inputs.prompt === 'login'
        ? { prompt: 'login', login: opts.user ?? 'alice', password: 'any' }
        : { ...inputs };
    res = await go(new URL(action, res.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
  }
  if (formPost === null) throw new Error('never reached the form_post page');

  const callbackParams = hiddenInputs(formPost);
  // The browser's form_post navigation: cross-site, top-level, Origin of the provider.
  const cb = await raw(h.relay.port, {
    method: 'POST',
    path: '/callback/',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: new URL(h.provider.issuer).origin,
    },
    body: new URLSearchParams(callbackParams).toString(),
  });
  if (cb.status !== 200) throw new Error(`callback answered ${cb.status}`);
  const taken = await h.client.json('POST', '/api/authorization-responses/take', { state });
  if (taken.status !== 200) throw new Error(`take answered ${taken.status} ${taken.text}`);
  const params = taken.json().params as Record<string, string>;

  const tokenResponse = await h.client.form(session.relayTokenEndpoint, {
    grant_type: 'authorization_code',
    code: params.code ?? '',
    redirect_uri: h.relay.redirectUri,
    code_verifier: verifier,
    client_id: h.provider.clientId,
    // As the extension sends it: the relay checks the ID token's nonce, never forwards it.
    nonce,
  });
  return { session, state, codeVerifier: verifier, callbackParams: params, tokenResponse };
}

/** A completed login through the relay: its session and the token response's JSON. */
export async function signedIn(harness: Harness) {
  const { tokenResponse, session } = await login(harness);
  if (tokenResponse.status !== 200)
    throw new Error(`login failed: ${tokenResponse.status} ${tokenResponse.text}`);
  return { session, tokens: tokenResponse.json() as Record<string, string> };
}
