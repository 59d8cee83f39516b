/**
 * The page a browser shows at http://localhost:PORT/callback/. It is fully
 * static (no parameter is ever echoed, so there is nothing to escape), loads
 * nothing, runs no script, and tells the browser not to keep it, not to leak
 * the URL through Referer, and not to frame it.
 */
import type { ServerResponse } from 'node:http';

export type CallbackPageKind =
  | 'received'
  | 'empty'
  | 'invalid'
  | 'too_large'
  | 'unexpected'
  | 'replayed';

export const CALLBACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
};

const TEXT: Record<CallbackPageKind, { title: string; lines: string[] }> = {
  received: {
    title: 'Finishing sign-in…',
    lines: [
      'Finishing sign-in… This tab closes by itself.',
      'If it stays open, return to the SQL Safe OIDC Companion popup.',
    ],
  },
  empty: {
    title: 'No sign-in response',
    lines: [
      'There is no sign-in response here.',
      'If you have just signed in, return to the SQL Safe OIDC Companion popup; otherwise start the login there.',
    ],
  },
  invalid: {
    title: 'Not a sign-in response',
    lines: [
      'This is not a valid sign-in response.',
      'Start the login again from the SQL Safe OIDC Companion popup.',
    ],
  },
  unexpected: {
    title: 'Sign-in response not recognised',
    lines: [
      'This sign-in response was not requested by the SQL Safe OIDC Companion on this computer, so it was ignored. Nothing was changed.',
      'If you were signing in, start the login again from the SQL Safe OIDC Companion popup.',
    ],
  },
  replayed: {
    title: 'Sign-in response already used',
    lines: [
      'This sign-in response has already been received once, so it was ignored. Nothing was changed.',
      'If you were signing in, return to the SQL Safe OIDC Companion popup.',
    ],
  },
  too_large: {
    title: 'Not a sign-in response',
    lines: [
      'This is not a valid sign-in response: it is too large.',
      'Start the login again from the SQL Safe OIDC Companion popup.',
    ],
  },
};

function render(kind: CallbackPageKind): string {
  const { title, lines } = TEXT[kind];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} - SQL Safe OIDC Companion</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; color: #1f2937; background: #f8fafc; }
main { max-width: 32rem; padding: 2rem; }
h1 { font-size: 1.25rem; margin: 0 0 .5rem; }
p { margin: .25rem 0; }
</style>
</head>
<body data-callback="${kind}">
<main>
<h1>SQL Safe OIDC Companion</h1>
${lines.map((line) => `<p>${line}</p>`).join('\n')}
</main>
</body>
</html>
`;
}

// Rendered once: the pages contain only the constants above.
const PAGES = Object.fromEntries(
  (Object.keys(TEXT) as CallbackPageKind[]).map((kind) => [
    kind,
    Buffer.from(render(kind), 'utf8'),
  ]),
) as Record<CallbackPageKind, Buffer>;

export function sendCallbackPage(
  res: ServerResponse,
  status: number,
  kind: CallbackPageKind,
  extraHeaders: Record<string, string> = {},
): void {
  const body = PAGES[kind];
  res.writeHead(status, {
    ...extraHeaders,
    ...CALLBACK_PAGE_HEADERS,
    'Content-Length': body.length,
  });
  res.end(body);
}
