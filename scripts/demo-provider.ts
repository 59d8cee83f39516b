/**
 * A real, certified OpenID Provider (oidc-provider 9) on a loopback port, for
 * the demo (`npm run demo`) and the relay/e2e tests. It is configured the way
 * the product's documentation asks DBAs to configure Okta and Entra ID: one
 * confidential client with a secret, Authorization Code + Refresh Token grants,
 * and the redirect URI http://localhost:5000/callback/.
 *
 * It records every token endpoint request (headers + grant type) so tests can
 * prove what the relay forwarded, and it can mimic Entra's refusal of a client
 * secret together with a browser Origin (AADSTS9002326).
 */
import { createServer, type IncomingMessage } from 'node:http';
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
}

export interface RecordedTokenRequest {
  /** Request headers, lower-case names. */
  headers: Record<string, string | undefined>;
  grantType: string | undefined;
}

export interface DemoProvider {
  /** e.g. http://127.0.0.1:4000 (no trailing slash, as oidc-provider publishes it). */
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  tokenRequests: RecordedTokenRequest[];
  provider: Provider;
  close(): Promise<void>;
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

  // The issuer embeds the port, so bind first, then build the provider.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: opts.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
      revocation: { enabled: true },
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

  provider.use(async (ctx: KoaLikeContext, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/token') return next();
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(ctx.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: RecordedTokenRequest = { headers, grantType: undefined };
    tokenRequests.push(record);
    if (opts.rejectOrigin && headers.origin !== undefined) {
      // https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes (AADSTS9002326)
      ctx.status = 400;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = ENTRA_ORIGIN_ERROR;
      return;
    }
    try {
      await next();
    } finally {
      const grantType = ctx.oidc?.body?.grant_type;
      record.grantType = typeof grantType === 'string' ? grantType : undefined;
    }
  });

  const handle = provider.callback();
  const mountPath = new URL(issuer).pathname.replace(/\/+$/, '');
  server.on('request', (req: IncomingMessage & { originalUrl?: string }, res) => {
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
  });

  return {
    issuer,
    port,
    clientId,
    clientSecret,
    tokenRequests,
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
