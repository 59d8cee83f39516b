/**
 * The extension's side of /callback/:
 * - POST /api/authorization-responses/expect {state, sessionId}: before it
 *   opens the provider's page, the extension announces the state of its
 *   authorization request, so /callback/ accepts a response for that state
 *   only, and only once (see authResponses.ts).
 * - POST /api/authorization-responses/take {state}: it collects the response
 *   the provider delivered. Single use, and only by the pairing that
 *   announced the state.
 */
import type { TakeAuthorizationResponseResponse } from '../../shared/relayApi.ts';
import { RELAY_PATHS } from '../../shared/relayApi.ts';
import type { Route } from '../context.ts';
import { HttpError, readJsonObject, sendJson, stringField } from '../http.ts';

/** Long enough for any state oidc-client-ts makes (32 hex), short enough to bound memory. */
const MAX_STATE_LENGTH = 512;

export const authorizationResponseRoutes: Route[] = [
  {
    method: 'POST',
    path: RELAY_PATHS.expectAuthorizationResponse,
    pairing: true,
    errors: 'api',
    async handle({ req, res, deps, pairing }) {
      if (pairing === null) throw new Error('pairing required');
      const body = await readJsonObject(req);
      const state = stringField(body, 'state');
      const sessionId = stringField(body, 'sessionId');
      if (state === '' || state.length > MAX_STATE_LENGTH) {
        throw new HttpError(400, 'relay_bad_request', 'The state is empty or too long.');
      }
      const session = await deps.store.getSession(sessionId);
      if (session === null || session.pairingId !== pairing.id) {
        throw new HttpError(404, 'not_found', 'There is no such login session for this browser.');
      }
      if (session.status !== 'pending') {
        throw new HttpError(
          409,
          'login_abandoned',
          'This login session is over (finished, failed or logged out). Start the login again.',
        );
      }
      deps.authResponses.expect(state, pairing.id);
      sendJson(res, 200, { expected: true });
    },
  },
  {
    method: 'POST',
    path: RELAY_PATHS.takeAuthorizationResponse,
    pairing: true,
    errors: 'api',
    async handle({ req, res, deps, pairing }) {
      if (pairing === null) throw new Error('pairing required');
      const state = stringField(await readJsonObject(req), 'state');
      const taken = deps.authResponses.take(state, pairing.id);
      if (taken === null) {
        throw new HttpError(
          404,
          'not_found',
          'No sign-in response is waiting for this login (already taken, expired, or it never arrived).',
        );
      }
      const body: TakeAuthorizationResponseResponse = taken;
      sendJson(res, 200, body);
    },
  },
];
