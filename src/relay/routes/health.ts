import type { HealthResponse } from '../../shared/relayApi.ts';
import { RELAY_PATHS } from '../../shared/relayApi.ts';
import type { Route } from '../context.ts';
import { sendJson } from '../http.ts';

/** GET /api/health: no pairing needed, so the extension can tell "relay not running" from "not paired". */
export const healthRoutes: Route[] = [
  {
    method: 'GET',
    path: RELAY_PATHS.health,
    pairing: false,
    errors: 'api',
    async handle({ res, deps }) {
      const body: HealthResponse = {
        ok: true,
        service: 'sqlsafe-oidc-relay',
        version: deps.version,
        port: deps.port,
      };
      sendJson(res, 200, body);
    },
  },
];
