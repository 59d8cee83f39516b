/**
 * A real, certified OpenID Provider (oidc-provider 9) on a loopback port, for
 * the demo (`npm run demo`) and the relay/e2e tests. It is configured the way
 * the product's documentation asks DBAs to configure Okta and Entra ID: one
 * confidential client with a secret, Authorization Code + Refresh Token grants,
 * and the redirect URI http://localhost:5000/callback/.
 *
 * It records every token endpoint request (headers + grant type) and every
 * revocation request so tests can prove what the relay forwarded, and it can
 * mimic Entra's refusal of a client secret together with a browser Origin
 * (AADSTS9002326), Entra's missing revocation endpoint, and Okta's refresh
 * token rotation with reuse detection. For the token lifecycle tests it can
 * revoke every grant, slow down its token endpoint, and stop and start again
 * on the same port with its state intact ("provider unreachable, then back").
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type KoaLikeContext } from 'oidc-provider';

export type DemoTokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface DemoProviderOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
  /** Access and ID token lifetime in seconds (default 600). */
  accessTokenTtl?: number;
  tokenEndpointAuthMethod?: DemoTokenEndpointAuthMethod;
  /** Answer token requests that carry an Origin header like Entra ID does (400 invalid_request). */
  rejectOrigin?: boolean;
  /** Extra path after the origin, e.g. '/oauth2/default' like an Okta custom authorization server. */
  issuerPath?: string;
  /**
   * Rotate the refresh token on every use, and revoke the whole grant when a used
   * one is presented again, like Okta's rotation with reuse detection (default true;
   * oidc-provider revokes the grant on reuse: lib/actions/grants/refresh_token.js).
   */
  rotateRefreshTokens?: boolean;
  /** Offer RFC 7009 revocation in discovery (default true); false mimics Entra ID, which has none. */
  revocation?: boolean;
}

export interface RecordedTokenRequest {
  /** Request headers, lower-case names. */
  headers: Record<string, string | undefined>;
  grantType: string | undefined;
  /** SHA-256 (hex) of the refresh token presented, for refresh grants: tests spot reuse by it. */
  refreshTokenHash?: string;
  /** HTTP status of the provider's answer (undefined while in progress). */
  status?: number;
  /** The refresh token issued in the answer, if any (test provider only: tests present it again). */
  issuedRefreshToken?: string;
}

export interface RecordedRevocationRequest {
  headers: Record<string, string | undefined>;
  /** The token presented for revocation (test provider only, so tests can compare it). */
  token: string | undefined;
  tokenTypeHint: string | undefined;
  status?: number;
}

export interface DemoProvider {
  /** e.g. http://127.0.0.1:4000 (no trailing slash, as oidc-provider publishes it). */
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  tokenRequests: RecordedTokenRequest[];
  revocationRequests: RecordedRevocationRequest[];
  provider: Provider;
  /** Destroys every grant issued so far: their refresh tokens then get invalid_grant (revoked at the provider). */
  revokeGrants(): Promise<number>;
  /** Holds every token endpoint answer back this long (0: none), to catch a refresh in flight. */
  setTokenDelay(ms: number): void;
  /** Stops listening (connections dropped), keeping every grant and key: the provider is "down". */
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export const DEMO_CLIENT_ID = 'sqlsafe-demo';
export const DEMO_CLIENT_SECRET = 'demo-secret';

/** Entra ID's answer to a secret sent with a browser Origin. */
const ENTRA_ORIGIN_ERROR = {
  error: 'invalid_request',
  error_description:
    "AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
};

export async function startDemoProvider(opts: DemoProviderOptions): Promise<DemoProvider> {
  const clientId = opts.clientId ?? DEMO_CLIENT_ID;
  const clientSecret = opts.clientSecret ?? DEMO_CLIENT_SECRET;
  const ttl = opts.accessTokenTtl ?? 600;
  const authMethod = opts.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const tokenRequests: RecordedTokenRequest[] = [];
  const revocationRequests: RecordedRevocationRequest[] = [];
  const grantIds = new Set<string>();
  let tokenDelayMs = 0;

  // The issuer embeds the port, so bind first, then build the provider.
  const listen = (server: Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  let server = createServer();
  await listen(server, opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}${(opts.issuerPath ?? '').replace(/\/+$/, '')}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = {
    ...(await exportJWK(privateKey)),
    kid: 'demo-rs256',
    alg: 'RS256',
    use: 'sig',
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        // A 'web' client: oidc-provider 9 accepts http loopback redirect URIs for web
        // clients unless they use the implicit flow (lib/helpers/client_schema.js).
        // 'native' would also allow them but forces a consent prompt on every login
        // (check native_client_prompt) and ignores the loopback port, unlike Okta.
        application_type: 'web',
        redirect_uris: opts.redirectUris,
        post_logout_redirect_uris: opts.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: authMethod,
      },
    ],
    // Only advertise the method under test, so discovery's
    // token_endpoint_auth_methods_supported tells the relay which one to use.
    clientAuthMethods:
      authMethod === 'client_secret_post'
        ? ['client_secret_post']
        : ['client_secret_basic', 'client_secret_post'],
    // RFC 7636: PKCE for every client, S256 only (oidc-provider 9 supports no other method).
    pkce: { required: () => true },
    features: {
      // The built-in login form (any login name, any password) and consent screen.
      devInteractions: { enabled: true },
      revocation: { enabled: opts.revocation ?? true },
      rpInitiatedLogout: { enabled: true },
    },
    // Authorization Code flow only (no implicit/hybrid), like the registrations the docs describe.
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Okta and Entra issue a refresh token for offline_access without prompt=consent.
    // oidc-provider 9 keeps offline_access when no `prompt` parameter is sent (it drops it
    // only when a prompt without `consent` is present: lib/actions/authorization/scopes.js),
    // and issues a refresh token only when the scope survived. Issuing one whenever the
    // client may use the refresh_token grant matches those providers in all cases.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: opts.rotateRefreshTokens ?? true,
    ttl: {
      AccessToken: ttl,
      IdToken: ttl,
      AuthorizationCode: 60,
      RefreshToken: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
      Session: 24 * 60 * 60,
      Interaction: 60 * 60,
    },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        name: id,
        email: `${id}@example.com`,
        email_verified: true,
        preferred_username: id,
      }),
    }),
    // Fixed keys: a restarted demo provider still reads its own cookies.
    cookies: { keys: ['sqlsafe-demo-cookie-key-1'] },
    jwks: { keys: [signingKey] },
  });

  provider.on('grant.saved', (grant) => {
    const id = (grant as { jti?: unknown }).jti;
    if (typeof id === 'string') grantIds.add(id);
  });

  provider.use(async (ctx: KoaLikeContext, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token/revocation') {
      const record: RecordedRevocationRequest = {
        headers: headersOf(ctx),
        token: undefined,
        tokenTypeHint: undefined,
      };
      revocationRequests.push(record);
      try {
        await next();
      } finally {
        const body = ctx.oidc?.body ?? {};
        record.token = typeof body.token === 'string' ? body.token : undefined;
        record.tokenTypeHint =
          typeof body.token_type_hint === 'string' ? body.token_type_hint : undefined;
        record.status = ctx.status;
      }
      return;
    }
    if (ctx.method !== 'POST' || ctx.path !== '/token') return next();
    const record: RecordedTokenRequest = { headers: headersOf(ctx), grantType: undefined };
    tokenRequests.push(record);
    if (opts.rejectOrigin && record.headers.origin !== undefined) {
      // https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes (AADSTS9002326)
      ctx.status = 400;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = ENTRA_ORIGIN_ERROR;
      record.status = 400;
      return;
    }
    try {
      await next();
    } finally {
      const body = ctx.oidc?.body ?? {};
      record.grantType = typeof body.grant_type === 'string' ? body.grant_type : undefined;
      if (typeof body.refresh_token === 'string')
        record.refreshTokenHash = sha256Hex(body.refresh_token);
      const issued = (ctx.body as { refresh_token?: unknown } | null)?.refresh_token;
      if (typeof issued === 'string') record.issuedRefreshToken = issued;
    }
    // The answer is computed (and any rotation done) before the delay: a client
    // that gives up meanwhile has still used its refresh token, as with a real provider.
    if (tokenDelayMs > 0) await new Promise((r) => setTimeout(r, tokenDelayMs));
    record.status = ctx.status;
  });

  const handle = provider.callback();
  const mountPath = new URL(issuer).pathname.replace(/\/+$/, '');
  const onRequest = (
    req: IncomingMessage & { originalUrl?: string },
    res: Parameters<typeof handle>[1],
  ) => {
    if (mountPath !== '') {
      // Serve the provider under the issuer's path (like Okta's /oauth2/default):
      // oidc-provider derives its mount path from req.originalUrl (lib/helpers/oidc_context.js).
      const url = req.url ?? '/';
      if (
        url !== mountPath &&
        !url.startsWith(`${mountPath}/`) &&
        !url.startsWith(`${mountPath}?`)
      ) {
        res.writeHead(404).end();
        return;
      }
      req.originalUrl = url;
      req.url = url.slice(mountPath.length) || '/';
    }
    handle(req, res);
  };
  server.on('request', onRequest);

  let running = true;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!running) return resolve();
      running = false;
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return {
    issuer,
    port,
    clientId,
    clientSecret,
    tokenRequests,
    revocationRequests,
    provider,
    async revokeGrants() {
      let revoked = 0;
      for (const id of grantIds) {
        const grant = await provider.Grant.find(id);
        if (grant === undefined) continue;
        // A refresh token whose grant is gone is refused: invalid_grant "grant not found".
        await grant.destroy();
        revoked += 1;
      }
      grantIds.clear();
      return revoked;
    },
    setTokenDelay(ms: number) {
      tokenDelayMs = ms;
    },
    stop,
    async start() {
      if (running) return;
      server = createServer();
      server.on('request', onRequest);
      await listen(server, port);
      running = true;
    },
    close: stop,
  };
}

function headersOf(ctx: KoaLikeContext): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(ctx.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
