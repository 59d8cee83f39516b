/**
 * http://localhost:PORT/callback/, the redirect URI registered at the
 * provider. The extension asks for response_mode=form_post (OAuth 2.0 Form
 * Post Response Mode), so the provider's page POSTs code, state and iss here;
 * a provider that ignores it redirects with a query (GET). Either way the
 * parameters are kept by state for the extension to take, and the browser is
 * left with a static page and a URL without the code (303 for GET, RFC 9110
 * 15.4.4). No pairing and any Origin: this is a top-level navigation coming
 * from the provider's page. Nothing here is logged.
 *
 * Only a state the extension announced is accepted, once (authResponses.ts):
 * a hostile page that navigates the browser here with forged parameters, or
 * replays a response, gets a page saying so and changes nothing.
 */
import type { ServerResponse } from 'node:http';
import { CALLBACK_PATH } from '../../shared/config.ts';
import { sendCallbackPage } from '../callbackPage.ts';
import type { RelayDeps, Route } from '../context.ts';
import { CALLBACK_BODY_LIMIT, parseFormParams, readForm } from '../http.ts';

/**
 * Keeps an authorization response by its state, or answers the page saying
 * why not (no state, a repeated parameter, a state never announced, a
 * replay). True when kept and the caller still owes the browser its answer.
 */
function keep(
  res: ServerResponse,
  deps: RelayDeps,
  { params, duplicate }: { params: Record<string, string>; duplicate: string | null },
): boolean {
  if (duplicate !== null || typeof params.state !== 'string' || params.state === '') {
    sendCallbackPage(res, 400, 'invalid');
    return false;
  }
  const result = deps.authResponses.put(params);
  if (result !== 'stored') {
    sendCallbackPage(res, 400, result);
    return false;
  }
  return true;
}

export const callbackRoutes: Route[] = [
  {
    method: 'GET',
    path: CALLBACK_PATH,
    pairing: false,
    errors: 'html',
    async handle({ res, url, deps }) {
      if (url.search === '' || url.search === '?') {
        sendCallbackPage(res, 200, 'empty');
        return;
      }
      if (!keep(res, deps, parseFormParams(url.searchParams))) return;
      res.writeHead(303, {
        Location: CALLBACK_PATH,
        'Referrer-Policy': 'no-referrer',
        'Content-Length': 0,
      });
      res.end();
    },
  },
  {
    method: 'POST',
    path: CALLBACK_PATH,
    pairing: false,
    errors: 'html',
    async handle({ req, res, deps }) {
      if (!keep(res, deps, await readForm(req, CALLBACK_BODY_LIMIT))) return;
      sendCallbackPage(res, 200, 'received');
    },
  },
];
