/**
 * Login sessions. POST /api/sessions starts one with the form's current
 * values (DESIGN.md: Login uses the values in the form, saved or not): the
 * relay checks the provider's discovery and keeps the client secret,
 * encrypted, for the token requests of this login. A session belongs to the
 * pairing (browser profile) that created it; others get 404.
 */
import { randomUUID } from 'node:crypto';
import { CALLBACK_PATH } from '../../shared/config.ts';
import { toCompanionError } from '../../shared/errors.ts';
import type { CreateSessionResponse, SessionInfo } from '../../shared/relayApi.ts';
import { RELAY_PATHS } from '../../shared/relayApi.ts';
import {
  cleanForm,
  type FieldErrors,
  hasErrors,
  normalizeAuthority,
  validateSettingsForm,
} from '../../shared/settings.ts';
import { auditEntry } from '../audit.ts';
import { settingsSecretFor } from '../clientSecret.ts';
import type { RelayDeps, RequestContext, Route } from '../context.ts';
import { discover } from '../discovery.ts';
import { HttpError, readJsonObject, sendJson, stringField } from '../http.ts';
import type { SessionRecord } from '../repository/types.ts';
import { SECRET_CONTEXT } from '../secretBox.ts';

/** Route pattern of RELAY_PATHS.session(id). */
export const SESSION_PATH = `${RELAY_PATHS.sessions}/:id`;

export function invalidSettings(errors: FieldErrors): HttpError {
  return new HttpError(400, 'invalid_settings', Object.values(errors).join(' '), {
    // Machine-readable for the popup: field name -> message.
    detail: JSON.stringify(errors),
  });
}

/** The caller's own session, or 404 (also for another pairing's session: no existence oracle). */
export async function loadOwnSession(ctx: RequestContext): Promise<SessionRecord> {
  const id = ctx.params.id ?? '';
  const session = await ctx.deps.store.getSession(id);
  if (session === null || ctx.pairing === null || session.pairingId !== ctx.pairing.id) {
    throw new HttpError(404, 'not_found', 'There is no such login session for this browser.');
  }
  return session;
}

export function sessionInfo(s: SessionRecord): SessionInfo {
  return {
    sessionId: s.id,
    status: s.status,
    issuer: s.issuer,
    clientId: s.clientId,
    sub: s.sub,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export function allowedRedirectUris(port: number): string[] {
  return [`http://localhost:${port}${CALLBACK_PATH}`, `http://127.0.0.1:${port}${CALLBACK_PATH}`];
}

/**
 * Ends a session: status ended, its copy of the client secret wiped, and any
 * refresh answer the relay kept for it dropped. Revoking its tokens at the
 * provider (RFC 7009) happens before, in routes/logout.ts, while the secret
 * that revocation needs is still here.
 */
export async function endSession(
  deps: RelayDeps,
  session: SessionRecord,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await deps.refreshGate.forget(session.id);
  if (session.status === 'ended' && session.clientSecretEnc === null) return;
  await deps.store.updateSession(
    session.id,
    { status: 'ended', updatedAt: deps.now().toISOString(), clientSecretEnc: null },
    auditEntry(
      'logout',
      { pairingId: session.pairingId, sessionId: session.id, sub: session.sub },
      { issuer: session.issuer, clientId: session.clientId, ...detail },
      deps.now(),
    ),
  );
}

async function createSession(ctx: RequestContext): Promise<void> {
  const { deps, pairing } = ctx;
  if (pairing === null) throw new Error('pairing required');
  const body = await readJsonObject(ctx.req);
  const form = cleanForm({
    nickname: stringField(body, 'nickname'),
    authority: stringField(body, 'authority'),
    clientId: stringField(body, 'clientId'),
    clientSecret: stringField(body, 'clientSecret', true) ?? '',
  });
  const redirectUri = stringField(body, 'redirectUri');

  const settings = await deps.store.getSettings();
  const storedSecret = settingsSecretFor(deps, settings, form);
  const errors = validateSettingsForm(form, { secretStored: storedSecret !== null });
  if (hasErrors(errors)) throw invalidSettings(errors);
  if (!allowedRedirectUris(deps.port).includes(redirectUri)) {
    throw new HttpError(
      400,
      'relay_bad_request',
      `The redirect URI must be ${allowedRedirectUris(deps.port)[0]} (this relay's port), not ${redirectUri}.`,
    );
  }
  const authority = normalizeAuthority(form.authority);
  const secret = form.clientSecret !== '' ? form.clientSecret : storedSecret;
  if (secret === null) throw new HttpError(400, 'missing_secret', 'Enter the Client Secret.');

  let discovered: Awaited<ReturnType<typeof discover>>;
  try {
    discovered = await discover(authority, deps.fetch);
  } catch (err) {
    const e = toCompanionError(err, 'discovery_invalid');
    await deps.store.appendAudit(
      auditEntry(
        'login_failed',
        { pairingId: pairing.id },
        { stage: 'discovery', error: e.code, authority, clientId: form.clientId },
        deps.now(),
      ),
    );
    throw e;
  }

  const id = randomUUID();
  const now = deps.now().toISOString();
  const { metadata } = discovered;
  await deps.store.createSession(
    {
      id,
      pairingId: pairing.id,
      nickname: form.nickname,
      authority,
      issuer: metadata.issuer,
      clientId: form.clientId,
      clientSecretEnc: deps.secrets.seal(secret, SECRET_CONTEXT.session(id)),
      tokenEndpoint: metadata.token_endpoint,
      jwksUri: metadata.jwks_uri,
      revocationEndpoint: metadata.revocation_endpoint ?? null,
      endSessionEndpoint: metadata.end_session_endpoint ?? null,
      tokenAuthMethod: discovered.tokenAuthMethod,
      idTokenAlgs: discovered.idTokenAlgs,
      status: 'pending',
      sub: null,
      createdAt: now,
      updatedAt: now,
    },
    auditEntry(
      'login_started',
      { pairingId: pairing.id, sessionId: id },
      {
        authority,
        issuer: metadata.issuer,
        clientId: form.clientId,
        clientAuth: discovered.tokenAuthMethod,
      },
      deps.now(),
    ),
  );
  const base = `http://localhost:${deps.port}`;
  const response: CreateSessionResponse = {
    sessionId: id,
    metadata,
    relayTokenEndpoint: base + RELAY_PATHS.sessionToken(id),
    relayJwksEndpoint: base + RELAY_PATHS.sessionJwks(id),
  };
  sendJson(ctx.res, 200, response);
}

export const sessionRoutes: Route[] = [
  {
    method: 'POST',
    path: RELAY_PATHS.sessions,
    pairing: true,
    errors: 'api',
    handle: createSession,
  },
  {
    method: 'GET',
    path: SESSION_PATH,
    pairing: true,
    errors: 'api',
    async handle(ctx) {
      sendJson(ctx.res, 200, sessionInfo(await loadOwnSession(ctx)));
    },
  },
  {
    method: 'DELETE',
    path: SESSION_PATH,
    pairing: true,
    errors: 'api',
    async handle(ctx) {
      await endSession(ctx.deps, await loadOwnSession(ctx));
      sendJson(ctx.res, 200, { ended: true });
    },
  },
  {
    method: 'GET',
    path: `${SESSION_PATH}/jwks`,
    pairing: true,
    errors: 'api',
    async handle(ctx) {
      const session = await loadOwnSession(ctx);
      const refresh = ctx.url.searchParams.get('refresh') === '1';
      sendJson(ctx.res, 200, await ctx.deps.jwks.get(session.jwksUri, { refresh }));
    },
  },
];
