/**
 * POST /api/authorization-responses/take {state}: the extension collects the
 * authorization response the provider delivered to /callback/. Single use:
 * a second take of the same state finds nothing.
 */
import type { TakeAuthorizationResponseResponse } from '../../shared/relayApi.ts';
import { RELAY_PATHS } from '../../shared/relayApi.ts';
import type { Route } from '../context.ts';
import { HttpError, readJsonObject, sendJson, stringField } from '../http.ts';

export const authorizationResponseRoutes: Route[] = [
  {
    method: 'POST',
    path: RELAY_PATHS.takeAuthorizationResponse,
    pairing: true,
    errors: 'api',
    async handle({ req, res, deps }) {
      const state = stringField(await readJsonObject(req), 'state');
      const taken = deps.authResponses.take(state);
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
