/**
 * POST /api/sessions/:id/logout: Logout as the relay sees it. The extension
 * sends the session's tokens once; the relay revokes them at the provider's
 * revocation_endpoint with client authentication (RFC 7009), then ends the
 * session (secret wiped, audit row). Where discovery offers no revocation
 * endpoint (Entra ID) the answer says so, and the session ends all the same:
 * Logout always clears, whatever the provider does.
 */
import { toCompanionError } from '../../shared/errors.ts';
import type { LogoutSessionResponse } from '../../shared/relayApi.ts';
import type { RequestContext, Route } from '../context.ts';
import { readJsonObject, sendJson, stringField } from '../http.ts';
import { type RevocationResult, revokeTokens } from '../revocation.ts';
import { SECRET_CONTEXT } from '../secretBox.ts';
import { endSession, loadOwnSession, SESSION_PATH } from './sessions.ts';

async function logoutSession(ctx: RequestContext): Promise<void> {
  const { deps } = ctx;
  const session = await loadOwnSession(ctx);
  const body = await readJsonObject(ctx.req);
  const tokens = {
    refresh_token: stringField(body, 'refreshToken', true),
    access_token: stringField(body, 'accessToken', true),
  };
  const hasTokens = Object.values(tokens).some((t) => t !== undefined && t !== '');

  let answer: LogoutSessionResponse;
  if (session.revocationEndpoint === null) {
    answer = { ended: true, revocation: 'not_supported', revoked: [] };
  } else if (!hasTokens) {
    answer = { ended: true, revocation: 'nothing_to_revoke', revoked: [] };
  } else if (session.clientSecretEnc === null) {
    // Already ended or failed: without the secret there is no client authentication to revoke with.
    answer = {
      ended: true,
      revocation: 'failed',
      revoked: [],
      error: {
        code: 'revocation_failed',
        message: 'This login had already ended at the relay, so its tokens could not be revoked.',
      },
    };
  } else {
    let result: RevocationResult;
    try {
      result = await revokeTokens(
        deps.fetch,
        {
          revocationEndpoint: session.revocationEndpoint,
          clientId: session.clientId,
          clientSecret: deps.secrets.open(
            session.clientSecretEnc,
            SECRET_CONTEXT.session(session.id),
          ),
          method: session.tokenAuthMethod,
        },
        tokens,
      );
    } catch (err) {
      result = { revoked: [], error: toCompanionError(err, 'revocation_failed').toJSON() };
    }
    answer =
      result.error === null
        ? { ended: true, revocation: 'revoked', revoked: result.revoked }
        : { ended: true, revocation: 'failed', revoked: result.revoked, error: result.error };
  }

  await endSession(deps, session, {
    revocation: answer.revocation,
    revoked: answer.revoked,
    ...(answer.error ? { error: answer.error.code } : {}),
  });
  sendJson(ctx.res, 200, answer);
}

export const logoutRoutes: Route[] = [
  {
    method: 'POST',
    path: `${SESSION_PATH}/logout`,
    pairing: true,
    errors: 'api',
    handle: logoutSession,
  },
];
