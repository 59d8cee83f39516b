/**
 * POST /api/sessions/:id/token: the session's token endpoint as oidc-client-ts
 * sees it. It receives the form-encoded code or refresh grant (RFC 6749 4.1.3,
 * 6), forwards the allowed parameters to the provider with client
 * authentication and without anything of the browser's request, checks any
 * ID token itself, and answers in the provider's RFC 6749 5.1/5.2 shape.
 * Refresh grants pass through the RefreshGate: one at a time per session,
 * and a refresh token presented again gets the first answer, never a second
 * trip to the provider (rotation with reuse detection, see refreshGate.ts).
 */
import { toCompanionError } from '../../shared/errors.ts';
import { auditEntry } from '../audit.ts';
import type { RelayDeps, RequestContext, Route } from '../context.ts';
import { JSON_BODY_LIMIT, readForm, sendJson, sendOAuthError } from '../http.ts';
import { verifyIdToken } from '../idToken.ts';
import { parseJsonObject, providerFetch, readTextLimited } from '../providerFetch.ts';
import type { TokenAnswer } from '../refreshGate.ts';
import type { SessionRecord } from '../repository/types.ts';
import { SECRET_CONTEXT } from '../secretBox.ts';
import {
  buildTokenRequest,
  isSupportedGrant,
  oauthError,
  type SupportedGrant,
} from '../tokenForward.ts';
import { loadOwnSession, SESSION_PATH } from './sessions.ts';

/** RFC 6749 5.1: token responses must not be cached. */
const TOKEN_HEADERS = { Pragma: 'no-cache' };

function oauthAnswer(status: number, error: string, description: string): TokenAnswer {
  return { status, body: { error, error_description: description } };
}

interface Exchanged {
  answer: TokenAnswer;
  /** False when no HTTP answer came from the provider: the grant was not used there. */
  reachedProvider: boolean;
}

async function recordFailure(
  deps: RelayDeps,
  session: SessionRecord,
  grant: SupportedGrant,
  detail: { error: string; status?: number },
): Promise<void> {
  const who = { pairingId: session.pairingId, sessionId: session.id, sub: session.sub };
  const now = deps.now();
  if (grant === 'authorization_code') {
    await deps.store.updateSession(
      session.id,
      { status: 'failed', updatedAt: now.toISOString() },
      auditEntry('login_failed', who, detail, now),
    );
  } else if (detail.error === 'invalid_grant' || detail.error === 'invalid_id_token') {
    // The grant is dead (revoked, expired, reused): the user must log in again,
    // which starts a new session, so this one no longer needs the client secret.
    await deps.store.updateSession(
      session.id,
      { status: 'failed', updatedAt: now.toISOString(), clientSecretEnc: null },
      auditEntry('token_refresh_failed', who, detail, now),
    );
  } else {
    await deps.store.appendAudit(auditEntry('token_refresh_failed', who, detail, now));
  }
}

async function handleToken(ctx: RequestContext): Promise<void> {
  const { deps, res } = ctx;
  const session = await loadOwnSession(ctx);
  const { params, duplicate } = await readForm(ctx.req, JSON_BODY_LIMIT);
  if (duplicate !== null) {
    sendOAuthError(
      res,
      400,
      'invalid_request',
      `The parameter "${duplicate}" appears more than once.`,
    );
    return;
  }
  const grant = params.grant_type;
  if (!isSupportedGrant(grant)) {
    sendOAuthError(
      res,
      400,
      'unsupported_grant_type',
      'The relay forwards only the authorization_code and refresh_token grants.',
    );
    return;
  }
  if (params.client_id !== undefined && params.client_id !== session.clientId) {
    sendOAuthError(res, 400, 'invalid_request', 'client_id does not match this login.');
    return;
  }
  if (session.status === 'ended' || session.clientSecretEnc === null) {
    sendOAuthError(res, 400, 'invalid_grant', 'This login has ended (logged out). Log in again.');
    return;
  }

  const clientSecret = deps.secrets.open(
    session.clientSecretEnc,
    SECRET_CONTEXT.session(session.id),
  );
  const refreshToken = grant === 'refresh_token' ? params.refresh_token : undefined;
  const exchangeOnce = () => exchange(deps, session, clientSecret, grant, params);
  const { answer } =
    refreshToken !== undefined && refreshToken !== ''
      ? await deps.refreshGate.run(session.id, refreshToken, exchangeOnce)
      : { answer: (await exchangeOnce()).answer };
  sendJson(res, answer.status, answer.body, TOKEN_HEADERS);
}

/** Forwards one grant to the provider and turns its answer into ours (RFC 6749 5.1 / 5.2). */
async function exchange(
  deps: RelayDeps,
  session: SessionRecord,
  clientSecret: string,
  grant: SupportedGrant,
  params: Record<string, string>,
): Promise<Exchanged> {
  const request = buildTokenRequest(params, {
    tokenEndpoint: session.tokenEndpoint,
    clientId: session.clientId,
    clientSecret,
    method: session.tokenAuthMethod,
  });

  let status: number;
  let body: Record<string, unknown> | null;
  try {
    const response = await providerFetch(deps.fetch, request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    status = response.status;
    body = parseJsonObject(await readTextLimited(response));
  } catch (err) {
    const e = toCompanionError(err, 'provider_unreachable');
    await recordFailure(deps, session, grant, { error: e.code });
    return { answer: oauthAnswer(502, e.code, e.message), reachedProvider: false };
  }

  if (status !== 200) {
    const providerError = oauthError(body, [clientSecret]);
    if (providerError === null) {
      await recordFailure(deps, session, grant, { error: 'token_request_failed', status });
      return {
        answer: oauthAnswer(
          502,
          'token_request_failed',
          `The provider's token endpoint answered HTTP ${status} without an OAuth error.`,
        ),
        // A 5xx without an OAuth body is a gateway or outage page: the grant was
        // most likely not processed, and a retry must really be sent.
        reachedProvider: status < 500,
      };
    }
    await recordFailure(deps, session, grant, { error: providerError.error, status });
    // The provider's own answer, status and all (RFC 6749 5.2), for oidc-client-ts to report.
    return { answer: { status, body: providerError }, reachedProvider: status < 500 };
  }

  if (body === null || typeof body.access_token !== 'string') {
    await recordFailure(deps, session, grant, { error: 'token_request_failed', status });
    return {
      answer: oauthAnswer(
        502,
        'token_request_failed',
        "The provider's token response is not an RFC 6749 5.1 JSON object with an access_token.",
      ),
      reachedProvider: true,
    };
  }

  const idToken = body.id_token;
  let sub = session.sub;
  if (typeof idToken === 'string') {
    try {
      const payload = await verifyIdToken(
        idToken,
        {
          issuer: session.issuer,
          clientId: session.clientId,
          algorithms: session.idTokenAlgs,
          jwksUri: session.jwksUri,
          sub: grant === 'refresh_token' ? session.sub : null,
          // The nonce of the authorize request, which the extension sends along (never forwarded).
          nonce: grant === 'authorization_code' ? params.nonce : undefined,
        },
        deps.jwks,
      );
      sub = payload.sub;
    } catch (err) {
      const e = toCompanionError(err, 'invalid_id_token');
      await recordFailure(deps, session, grant, { error: e.code });
      return { answer: oauthAnswer(502, e.code, e.message), reachedProvider: true };
    }
  } else if (grant === 'authorization_code') {
    // OIDC Core 3.1.3.3: a code exchange for an openid request returns an ID token.
    await recordFailure(deps, session, grant, { error: 'invalid_id_token' });
    return {
      answer: oauthAnswer(
        502,
        'invalid_id_token',
        'The provider returned no ID token. Check that the openid scope is allowed for this client.',
      ),
      reachedProvider: true,
    };
  }

  const now = deps.now();
  await deps.store.updateSession(
    session.id,
    { status: 'authenticated', sub, updatedAt: now.toISOString() },
    auditEntry(
      grant === 'authorization_code' ? 'login_succeeded' : 'token_refreshed',
      { pairingId: session.pairingId, sessionId: session.id, sub },
      { issuer: session.issuer, clientId: session.clientId },
      now,
    ),
  );
  return { answer: { status: 200, body }, reachedProvider: true };
}

export const tokenRoutes: Route[] = [
  {
    method: 'POST',
    path: `${SESSION_PATH}/token`,
    pairing: true,
    errors: 'oauth',
    handle: handleToken,
  },
];
