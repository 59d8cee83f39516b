/**
 * POST /api/pair: hands a new pairing token to the extension. What proves
 * the caller is our extension is its Origin: Chromium attaches
 * `Origin: chrome-extension://<id>` to a POST from the service worker, and a
 * web page cannot forge it. Each browser profile pairs on its own; the
 * command line (--reset-pairings) revokes them all.
 */
import type { PairResponse } from '../../shared/relayApi.ts';
import { RELAY_PATHS } from '../../shared/relayApi.ts';
import { auditEntry } from '../audit.ts';
import type { Route } from '../context.ts';
import { newPairingToken } from '../guards.ts';
import { HttpError, JSON_BODY_LIMIT, readBody, sendJson } from '../http.ts';

export const pairRoutes: Route[] = [
  {
    method: 'POST',
    path: RELAY_PATHS.pair,
    pairing: false,
    errors: 'api',
    async handle({ req, res, deps }) {
      const origin = req.headers.origin;
      // The server already refused a foreign Origin; here a missing one is refused too.
      if (origin === undefined || !deps.allowedOrigins.includes(origin)) {
        throw new HttpError(
          403,
          'relay_forbidden',
          'Pairing is only possible from the SQL Safe OIDC Companion extension.',
        );
      }
      await readBody(req, JSON_BODY_LIMIT); // no parameters; read so the connection stays usable
      const { id, token, tokenHash } = newPairingToken();
      const now = deps.now().toISOString();
      await deps.store.createPairing(
        { id, tokenHash, origin, createdAt: now, lastSeenAt: now },
        auditEntry('paired', { pairingId: id }, { origin }, deps.now()),
      );
      deps.log(`Paired a browser (${origin}).`);
      const body: PairResponse = { token };
      sendJson(res, 200, body);
    },
  },
];
