/**
 * A small, configurable OpenID Provider on loopback that misbehaves on demand
 * (plain node:http + jose; no oidc-provider). It plays the OpenID Provider
 * side of the OpenID Foundation's relying-party conformance tests for the
 * code flow, so the real extension and relay can be run against a provider
 * that lies.
 *
 * One server hosts many independent "tenants", each with its own issuer
 * (http://127.0.0.1:PORT/t/<id>, a path like Okta's /oauth2/default), its own
 * configuration, keys, codes and request log. A test file starts one server
 * and takes a fresh tenant per case: nothing (JWKS caches included) leaks
 * from one case to the next.
 *
 * Endpoints per tenant: discovery, authorize (auto-approves: answers at once
 * with form_post or a redirect, no sign-in page), token (client auth Basic or
 * post, PKCE S256, single-use codes, refresh), JWKS (RS256 and ES256 keys),
 * revocation. Every request is recorded (path, query, headers, form).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export type SigningAlg = 'RS256' | 'ES256';
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** How to spoil an ID token. Claims set to `undefined` are removed. */
export interface IdTokenOverrides {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /**
   * valid: signed with the tenant's current key; corrupt: a valid signature with
   * bytes flipped; none: `alg: none`, no signature; hs256-secret: HMAC with the
   * client secret (the classic algorithm-confusion attack); unpublished: signed by a
   * key that is not in the JWKS, under the published kid.
   */
  signature?: 'valid' | 'corrupt' | 'none' | 'hs256-secret' | 'unpublished';
}

/** How to spoil the authorization response (RFC 6749 4.1.2, RFC 9207). */
export interface AuthorizationOverrides {
  /** A string replaces the state; null leaves it out. */
  state?: string | null;
  /** A string replaces the RFC 9207 iss; null leaves it out. */
  iss?: string | null;
  /** Answer with an error instead of a code (RFC 6749 4.1.2.1). */
  error?: { error: string; error_description?: string };
  /** Ignore the requested response_mode and answer this way. */
  responseMode?: 'query' | 'form_post';
}

export const HOSTILE_CLIENT_ID = 'sqlsafe-conformance';

/**
 * Named misbehaviours, after the OpenID Foundation's RP conformance tests for
 * the code flow (oidcc-client-test-*). A mode is a preset of the overrides
 * below; explicit overrides win over it.
 */
export const MODES = {
  /** The valid control: a well-behaved provider. */
  valid: {},
  'idtoken-invalid-iss': { idToken: { claims: { iss: 'https://attacker.example/' } } },
  'idtoken-invalid-aud': { idToken: { claims: { aud: 'some-other-client' } } },
  'idtoken-missing-aud': { idToken: { claims: { aud: undefined } } },
  'idtoken-aud-single-element-array': { idToken: { claims: { aud: [HOSTILE_CLIENT_ID] } } },
  'idtoken-missing-sub': { idToken: { claims: { sub: undefined } } },
  'idtoken-missing-iat': { idToken: { claims: { iat: undefined } } },
  'idtoken-missing-exp': { idToken: { claims: { exp: undefined } } },
  'idtoken-expired': {
    idToken: {
      claims: {
        iat: Math.floor(Date.now() / 1000) - 1200,
        exp: Math.floor(Date.now() / 1000) - 600,
      },
    },
  },
  'idtoken-invalid-nonce': { idToken: { claims: { nonce: 'not-the-nonce-we-sent' } } },
  'idtoken-invalid-sig-rs256': { alg: 'RS256', idToken: { signature: 'corrupt' } },
  'idtoken-invalid-sig-es256': { alg: 'ES256', idToken: { signature: 'corrupt' } },
  'idtoken-sig-none': {
    idToken: { signature: 'none' },
    discovery: { id_token_signing_alg_values_supported: ['RS256', 'none'] },
  },
  'idtoken-sig-hs256-client-secret': { idToken: { signature: 'hs256-secret' } },
  'idtoken-unknown-key': {
    idToken: { signature: 'unpublished', header: { kid: 'not-published' } },
  },
  'discovery-issuer-mismatch': { discovery: { issuer: 'https://attacker.example/' } },
  'authorization-invalid-state': { authorization: { state: 'a-state-we-never-sent' } },
  'authorization-missing-state': { authorization: { state: null } },
  'authorization-invalid-iss': { authorization: { iss: 'https://attacker.example/' } },
  'authorization-missing-iss': { authorization: { iss: null } },
  'authorization-access-denied': {
    authorization: {
      error: { error: 'access_denied', error_description: 'The user is not assigned to this app.' },
    },
  },
  'refresh-different-sub': { refreshIdToken: { claims: { sub: 'mallory' } } },
} satisfies Record<string, Partial<TenantOptions>>;
export type ModeName = keyof typeof MODES;

export interface TenantOptions {
  /** A named misbehaviour (MODES); the options below override it. */
  mode?: ModeName;
  /** The relay's redirect URIs (exact match, like Okta). */
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
  /** The one client authentication method the token endpoint accepts and discovery advertises. */
  authMethod?: ClientAuthMethod;
  /** The ID token signing algorithm (default RS256). */
  alg?: SigningAlg;
  user?: { sub: string; name?: string; email?: string };
  /** ID token lifetime in seconds (default 600). */
  idTokenTtl?: number;
  /** Access token lifetime in seconds (default 600). */
  accessTokenTtl?: number;
  /** Refuse token requests that carry an Origin header, like Entra ID (default true). */
  rejectOrigin?: boolean;
  /** Merged into the discovery document; a value of `undefined` removes the member. */
  discovery?: Record<string, unknown>;
  /** Applied to ID tokens from the authorization_code grant. */
  idToken?: IdTokenOverrides;
  /** Applied to ID tokens from the refresh_token grant. */
  refreshIdToken?: IdTokenOverrides;
  authorization?: AuthorizationOverrides;
  /** Authorize waits until `release()` (a login "in progress" at the provider). */
  hold?: boolean;
  /**
   * Answer every token request with this error; with `echoCredentials`, the
   * description repeats the client credentials it received (a careless provider).
   */
  tokenError?: {
    status?: number;
    error: string;
    error_description?: string;
    echoCredentials?: boolean;
  };
}

export interface RecordedRequest {
  at: number;
  method: string;
  /** Path inside the tenant, e.g. '/token'. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  form: Record<string, string>;
  /** Token and revocation requests: how the client authenticated, as decoded. */
  clientAuth?: {
    method: ClientAuthMethod | 'none';
    clientId?: string;
    clientSecret?: string;
    /** The base64-decoded Basic credentials, before form-decoding (RFC 6749 2.3.1). */
    rawBasic?: string;
  };
  /** What the provider answered (status and OAuth error, if any). */
  status?: number;
  error?: string;
}

interface CodeGrant {
  redirectUri: string;
  nonce: string | undefined;
  challenge: string;
  scope: string;
  used: boolean;
  expiresAt: number;
  /** Tokens issued from this code: revoked if the code is presented again (RFC 6749 4.1.2). */
  refreshTokens: string[];
}

interface RefreshGrant {
  sub: string;
  /** When the user authenticated: a refreshed ID token carries the original (OIDC Core 12.2). */
  authTime: number;
  scope: string;
  revoked: boolean;
}

interface KeyPair {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface Tenant {
  id: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  options: TenantOptions;
  requests: RecordedRequest[];
  /** Every token and code this tenant handed out (leak checks). */
  issued: { codes: string[]; accessTokens: string[]; refreshTokens: string[]; idTokens: string[] };
  /** Requests to one endpoint ('/token', '/authorize', '/jwks', ...). */
  requestsTo(path: string): RecordedRequest[];
  /** Change the configuration from here on (e.g. before a refresh). */
  update(changes: Partial<TenantOptions>): void;
  /** New signing keys (new kids); the JWKS publishes only those from now on. */
  rotateKeys(): Promise<void>;
  /** Lets held authorize requests answer. */
  release(): void;
  /** Resolves when an authorize request is waiting (hold: true). */
  waitForHeldAuthorize(timeoutMs?: number): Promise<void>;
}

export interface HostileProvider {
  origin: string;
  port: number;
  tenant(options: TenantOptions): Promise<Tenant>;
  close(): Promise<void>;
}

/** Characters RFC 6749 2.3.1 makes a client encode before Basic: ':', '%', '+', space. */
export const AWKWARD_SECRET = 'p@ss:w%rd+with spaces/and=more';

const b64u = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const token = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

/** application/x-www-form-urlencoded decoding of one value ('+' is a space). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

async function newKeys(suffix: string): Promise<KeyPair[]> {
  const out: KeyPair[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg.toLowerCase()}-${suffix}`;
    out.push({
      kid,
      alg,
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    });
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** OAuth 2.0 Form Post Response Mode: a page that POSTs the response to the redirect URI. */
function formPostPage(action: string, params: Record<string, string>): string {
  const inputs = Object.entries(params)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return `<!doctype html><html><head><title>Submit</title></head><body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
}

function applyOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
) {
  const out = { ...base };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export async function startHostileProvider(): Promise<HostileProvider> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const sharedKeys = await newKeys('1');
  const tenants = new Map<string, TenantState>();
  let counter = 0;

  interface TenantState {
    tenant: Tenant;
    keys: KeyPair[];
    codes: Map<string, CodeGrant>;
    refresh: Map<string, RefreshGrant>;
    held: Array<() => void>;
    released: boolean;
    heldWaiters: Array<() => void>;
  }

  function discovery(t: TenantState): Record<string, unknown> {
    const { issuer, options } = t.tenant;
    const alg = options.alg ?? 'RS256';
    return applyOverrides(
      {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        revocation_endpoint: `${issuer}/revoke`,
        response_types_supported: ['code'],
        response_modes_supported: ['query', 'form_post'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [alg],
        token_endpoint_auth_methods_supported: [options.authMethod ?? 'client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        // RFC 9207 section 3.
        authorization_response_iss_parameter_supported: true,
      },
      options.discovery,
    );
  }

  async function idToken(
    t: TenantState,
    extra: { nonce?: string | undefined; sub: string; authTime: number },
    overrides: IdTokenOverrides | undefined,
  ): Promise<string> {
    const { issuer, clientId, clientSecret, options } = t.tenant;
    const alg = options.alg ?? 'RS256';
    const iat = now();
    const user = options.user ?? { sub: 'alice', name: 'Alice Admin', email: 'alice@example.com' };
    const base: Record<string, unknown> = {
      iss: issuer,
      sub: extra.sub,
      aud: clientId,
      exp: iat + (options.idTokenTtl ?? 600),
      iat,
      auth_time: extra.authTime,
      ...(extra.nonce !== undefined ? { nonce: extra.nonce } : {}),
      ...(user.name !== undefined ? { name: user.name } : {}),
      ...(user.email !== undefined ? { email: user.email } : {}),
    };
    const claims = applyOverrides(base, overrides?.claims);
    const key = t.keys.find((k) => k.alg === alg);
    if (!key) throw new Error(`no ${alg} key`);
    const header = applyOverrides({ alg, kid: key.kid, typ: 'JWT' }, overrides?.header);
    const mode = overrides?.signature ?? 'valid';
    let jwt: string;
    if (mode === 'none') {
      // alg none (RFC 7518 3.6): no signature at all.
      const h = applyOverrides({ alg: 'none', typ: 'JWT' }, overrides?.header);
      jwt = `${b64u(JSON.stringify(h))}.${b64u(JSON.stringify(claims))}.`;
    } else if (mode === 'hs256-secret') {
      const h = applyOverrides({ alg: 'HS256', typ: 'JWT' }, overrides?.header);
      jwt = await new SignJWT(claims)
        .setProtectedHeader(h as { alg: string })
        .sign(new TextEncoder().encode(clientSecret));
    } else {
      const signer =
        mode === 'unpublished' ? (await newKeys('unpublished')).find((k) => k.alg === alg) : key;
      if (!signer) throw new Error('no signer');
      jwt = await new SignJWT(claims)
        .setProtectedHeader(header as { alg: string })
        .sign(signer.privateKey);
      if (mode === 'corrupt') {
        const [h, p, s] = jwt.split('.') as [string, string, string];
        const sig = Buffer.from(s, 'base64url');
        sig[Math.floor(sig.length / 2)] = (sig[Math.floor(sig.length / 2)] ?? 0) ^ 0xff;
        sig[0] = (sig[0] ?? 0) ^ 0x01;
        jwt = `${h}.${p}.${b64u(sig)}`;
      }
    }
    t.tenant.issued.idTokens.push(jwt);
    return jwt;
  }

  function record(
    t: TenantState,
    req: IncomingMessage,
    path: string,
    query: URLSearchParams,
    form: Record<string, string>,
  ): RecordedRequest {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const entry: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(query),
      headers,
      form,
    };
    t.tenant.requests.push(entry);
    return entry;
  }

  /** RFC 6749 2.3.1: Basic with both halves form-urlencoded first, or both in the body. */
  function authenticateClient(
    t: TenantState,
    req: IncomingMessage,
    form: Record<string, string>,
    entry: RecordedRequest,
  ): boolean {
    const { clientId, clientSecret, options } = t.tenant;
    const method = options.authMethod ?? 'client_secret_basic';
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const rawBasic = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const i = rawBasic.indexOf(':');
      let id = '';
      let secret = '';
      try {
        id = formDecode(rawBasic.slice(0, i));
        secret = formDecode(rawBasic.slice(i + 1));
      } catch {
        // malformed escapes: not authenticated
      }
      entry.clientAuth = {
        method: 'client_secret_basic',
        clientId: id,
        clientSecret: secret,
        rawBasic,
      };
      return (
        i > 0 && method === 'client_secret_basic' && id === clientId && secret === clientSecret
      );
    }
    if (form.client_secret !== undefined) {
      entry.clientAuth = {
        method: 'client_secret_post',
        clientId: form.client_id,
        clientSecret: form.client_secret,
      };
      return (
        method === 'client_secret_post' &&
        form.client_id === clientId &&
        form.client_secret === clientSecret
      );
    }
    entry.clientAuth = { method: 'none', clientId: form.client_id };
    return false;
  }

  function oauthError(
    res: ServerResponse,
    entry: RecordedRequest,
    status: number,
    error: string,
    description: string,
  ): void {
    entry.status = status;
    entry.error = error;
    json(res, status, { error, error_description: description });
  }

  async function handleAuthorize(t: TenantState, query: URLSearchParams, res: ServerResponse) {
    const { clientId, issuer, options } = t.tenant;
    const redirectUri = query.get('redirect_uri') ?? '';
    // Never redirect to an unregistered URI (RFC 6749 4.1.2.1): show an error page instead.
    if (query.get('client_id') !== clientId || !options.redirectUris.includes(redirectUri)) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('unknown client or redirect_uri');
      return;
    }
    if (options.hold && !t.released) {
      await new Promise<void>((resolve) => {
        t.held.push(resolve);
        for (const w of t.heldWaiters.splice(0)) w();
      });
    }
    const state = query.get('state');
    let params: Record<string, string>;
    const pkceOk =
      query.get('code_challenge_method') === 'S256' && (query.get('code_challenge') ?? '') !== '';
    if (options.authorization?.error) {
      params = { ...options.authorization.error };
    } else if (query.get('response_type') !== 'code') {
      params = { error: 'unsupported_response_type' };
    } else if (!pkceOk) {
      // RFC 7636 4.4.1: this provider requires PKCE with S256.
      params = { error: 'invalid_request', error_description: 'PKCE with S256 is required.' };
    } else {
      const code = token('code');
      t.codes.set(code, {
        redirectUri,
        nonce: query.get('nonce') ?? undefined,
        challenge: query.get('code_challenge') ?? '',
        scope: query.get('scope') ?? 'openid',
        used: false,
        expiresAt: Date.now() + 60_000,
        refreshTokens: [],
      });
      t.tenant.issued.codes.push(code);
      params = { code };
    }
    const stateOverride = options.authorization?.state;
    const sendState = stateOverride === undefined ? state : stateOverride;
    if (sendState !== null) params.state = sendState;
    const issOverride = options.authorization?.iss;
    const sendIss = issOverride === undefined ? issuer : issOverride;
    if (sendIss !== null) params.iss = sendIss;

    const mode = options.authorization?.responseMode ?? query.get('response_mode') ?? 'query';
    if (mode === 'form_post') {
      const html = formPostPage(redirectUri, params);
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Length': Buffer.byteLength(html),
      });
      res.end(html);
      return;
    }
    const target = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    res.writeHead(302, { Location: target.href, 'Cache-Control': 'no-store' }).end();
  }

  async function handleToken(
    t: TenantState,
    req: IncomingMessage,
    form: Record<string, string>,
    entry: RecordedRequest,
    res: ServerResponse,
  ) {
    const { options } = t.tenant;
    if ((options.rejectOrigin ?? true) && req.headers.origin !== undefined) {
      // Like Entra ID (AADSTS9002326): a secret together with a browser Origin is refused.
      oauthError(
        res,
        entry,
        400,
        'invalid_request',
        'AADSTS9002326: Cross-origin token redemption is not allowed.',
      );
      return;
    }
    const authenticated = authenticateClient(t, req, form, entry);
    if (options.tokenError) {
      const { status = 400, error, error_description = '', echoCredentials } = options.tokenError;
      const echo = echoCredentials
        ? ` (received ${entry.clientAuth?.rawBasic ?? `${form.client_id}:${form.client_secret}`} / ${entry.clientAuth?.clientSecret})`
        : '';
      oauthError(res, entry, status, error, `${error_description}${echo}`);
      return;
    }
    if (!authenticated) {
      oauthError(res, entry, 401, 'invalid_client', 'Client authentication failed.');
      return;
    }
    const user = options.user ?? { sub: 'alice' };
    const accessToken = token('at');
    const refreshToken = token('rt');
    const expiresIn = options.accessTokenTtl ?? 600;
    /** RFC 6749 5.1 success answer; the issued tokens are recorded for the leak checks. */
    const answerTokens = (scope: string, id_token: string) => {
      t.tenant.issued.accessTokens.push(accessToken);
      t.tenant.issued.refreshTokens.push(refreshToken);
      entry.status = 200;
      json(res, 200, {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: expiresIn,
        refresh_token: refreshToken,
        id_token,
        scope,
      });
    };
    if (form.grant_type === 'authorization_code') {
      const grant = t.codes.get(form.code ?? '');
      if (!grant || grant.expiresAt < Date.now()) {
        oauthError(
          res,
          entry,
          400,
          'invalid_grant',
          'The authorization code is unknown or expired.',
        );
        return;
      }
      if (grant.used) {
        // RFC 6749 4.1.2: a code used twice revokes what it issued.
        for (const rt of grant.refreshTokens) {
          const r = t.refresh.get(rt);
          if (r) r.revoked = true;
        }
        oauthError(res, entry, 400, 'invalid_grant', 'The authorization code was already used.');
        return;
      }
      grant.used = true;
      if (form.redirect_uri !== grant.redirectUri) {
        oauthError(res, entry, 400, 'invalid_grant', 'redirect_uri does not match.');
        return;
      }
      const verifier = form.code_verifier ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (verifier === '' || challenge !== grant.challenge) {
        oauthError(res, entry, 400, 'invalid_grant', 'PKCE verification failed.');
        return;
      }
      grant.refreshTokens.push(refreshToken);
      const authTime = now();
      t.refresh.set(refreshToken, { sub: user.sub, authTime, scope: grant.scope, revoked: false });
      const id_token = await idToken(
        t,
        { nonce: grant.nonce, sub: user.sub, authTime },
        options.idToken,
      );
      answerTokens(grant.scope, id_token);
      return;
    }
    if (form.grant_type === 'refresh_token') {
      const grant = t.refresh.get(form.refresh_token ?? '');
      if (!grant || grant.revoked) {
        oauthError(res, entry, 400, 'invalid_grant', 'The refresh token is invalid or revoked.');
        return;
      }
      // Rotation: the old refresh token is spent.
      grant.revoked = true;
      t.refresh.set(refreshToken, { ...grant, revoked: false });
      const id_token = await idToken(
        t,
        { sub: grant.sub, authTime: grant.authTime },
        options.refreshIdToken,
      );
      answerTokens(grant.scope, id_token);
      return;
    }
    oauthError(res, entry, 400, 'unsupported_grant_type', 'Only code and refresh grants.');
  }

  function handleRevoke(
    t: TenantState,
    req: IncomingMessage,
    form: Record<string, string>,
    entry: RecordedRequest,
    res: ServerResponse,
  ) {
    if (!authenticateClient(t, req, form, entry)) {
      oauthError(res, entry, 401, 'invalid_client', 'Client authentication failed.');
      return;
    }
    // RFC 7009 2.2: 200 whether or not the token was known.
    const grant = t.refresh.get(form.token ?? '');
    if (grant) grant.revoked = true;
    entry.status = 200;
    res.writeHead(200, { 'Content-Length': 0 }).end();
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      const m = /^\/t\/([^/]+)(\/.*)?$/.exec(url.pathname);
      const t = m ? tenants.get(m[1] ?? '') : undefined;
      if (!m || !t) {
        res.writeHead(404).end();
        return;
      }
      const path = m[2] ?? '/';
      const body = req.method === 'POST' ? await readBody(req) : '';
      const form = Object.fromEntries(new URLSearchParams(body));
      const entry = record(t, req, path, url.searchParams, form);
      if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
        entry.status = 200;
        json(res, 200, discovery(t));
      } else if (req.method === 'GET' && path === '/jwks') {
        entry.status = 200;
        json(res, 200, { keys: t.keys.map((k) => k.publicJwk) });
      } else if (req.method === 'GET' && path === '/authorize') {
        await handleAuthorize(t, url.searchParams, res);
      } else if (req.method === 'POST' && path === '/token') {
        await handleToken(t, req, form, entry, res);
      } else if (req.method === 'POST' && path === '/revoke') {
        handleRevoke(t, req, form, entry, res);
      } else {
        entry.status = 404;
        res.writeHead(404).end();
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    });
  });

  return {
    origin,
    port,
    async tenant(requested: TenantOptions): Promise<Tenant> {
      const options: TenantOptions = {
        ...(requested.mode ? (MODES[requested.mode] as Partial<TenantOptions>) : {}),
        ...requested,
      };
      counter += 1;
      const id = `c${counter}`;
      const state: TenantState = {
        tenant: undefined as unknown as Tenant,
        keys: sharedKeys,
        codes: new Map(),
        refresh: new Map(),
        held: [],
        released: false,
        heldWaiters: [],
      };
      const tenant: Tenant = {
        id,
        issuer: `${origin}/t/${id}`,
        clientId: options.clientId ?? HOSTILE_CLIENT_ID,
        clientSecret: options.clientSecret ?? `secret-${id}-${randomBytes(8).toString('hex')}`,
        options,
        requests: [],
        issued: { codes: [], accessTokens: [], refreshTokens: [], idTokens: [] },
        requestsTo: (path) => tenant.requests.filter((r) => r.path === path),
        update(changes) {
          tenant.options = { ...tenant.options, ...changes };
        },
        async rotateKeys() {
          state.keys = await newKeys(`${id}-${randomBytes(4).toString('hex')}`);
        },
        release() {
          state.released = true;
          for (const r of state.held.splice(0)) r();
        },
        waitForHeldAuthorize(timeoutMs = 15_000) {
          if (state.held.length > 0) return Promise.resolve();
          return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error('no authorize request held')),
              timeoutMs,
            );
            state.heldWaiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        },
      };
      state.tenant = tenant;
      tenants.set(id, state);
      return tenant;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of tenants.values()) t.tenant.release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
