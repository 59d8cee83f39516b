/**
 * Recognises the relay's callback page. The provider redirects (form_post) to
 * http://localhost:PORT/callback/; the relay keeps the parameters and the tab
 * lands on the bare /callback/ page, which is what the background watches for.
 * Pure: unit-tested.
 */
import { CALLBACK_PATH } from '../shared/config.ts';

export function isCallbackUrl(raw: string | undefined, port: number): boolean {
  if (!raw) return false;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return (
    url.protocol === 'http:' &&
    (url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]') &&
    url.port === String(port) &&
    url.pathname === CALLBACK_PATH
  );
}

/** Rebuilds the authorization response as the query of the redirect URI, the form oidc-client-ts reads. */
export function responseUrl(redirectUri: string, params: Record<string, string>): string {
  const url = new URL(redirectUri);
  url.search = new URLSearchParams(params).toString();
  return url.href;
}
