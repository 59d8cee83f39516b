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
import type { PutResult } from '../authResponses.ts';
import { sendCallbackPage } from '../callbackPage.ts';
import type { Route } from '../context.ts';
import { CALLBACK_BODY_LIMIT, parseFormParams, readForm } from '../http.ts';

function acceptable(params: Record<string, string>, duplicate: string | null): boolean {
  return duplicate === null && typeof params.state === 'string' && params.state !== '';
}

/** The page for a response that was not kept ('unexpected' or 'replayed'). */
function refuse(res: ServerResponse, result: Exclude<PutResult, 'stored'>): void {
  sendCallbackPage(res, 400, result);
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
      const { params, duplicate } = parseFormParams(url.searchParams);
      if (!acceptable(params, duplicate)) {
        sendCallbackPage(res, 400, 'invalid');
        return;
      }
      const result = deps.authResponses.put(params);
      if (result !== 'stored') {
        refuse(res, result);
        return;
      }
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
      const { params, duplicate } = await readForm(req, CALLBACK_BODY_LIMIT);
      if (!acceptable(params, duplicate)) {
        sendCallbackPage(res, 400, 'invalid');
        return;
      }
      const result = deps.authResponses.put(params);
      if (result !== 'stored') {
        refuse(res, result);
        return;
      }
      sendCallbackPage(res, 200, 'received');
    },
  },
];
