/** Defaults shared by the extension and the relay. */

/** The product documents http://localhost:5000/callback/ as the redirect URI. */
export const DEFAULT_RELAY_PORT = 5000;

/** Path of the OIDC callback on the relay; providers match it exactly (Okta: trailing slash included). */
export const CALLBACK_PATH = '/callback/';

/**
 * openid+profile+email for who is signed in; offline_access for a refresh token
 * (Entra ID and Okta both require it on the authorize request).
 */
export const SCOPES = 'openid profile email offline_access';

export function redirectUri(port: number = DEFAULT_RELAY_PORT): string {
  return `http://localhost:${port}${CALLBACK_PATH}`;
}

export function relayBaseUrl(port: number = DEFAULT_RELAY_PORT): string {
  return `http://localhost:${port}`;
}

export function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * The Chrome build pins its ID with the manifest `key`
 * (https://developer.chrome.com/docs/extensions/reference/manifest/key).
 * This is the ID that key yields; the relay admits this origin.
 */
export const CHROME_EXTENSION_ID = 'iejcfdmdmcbahbgjmkapchfjdjngnbnc';
export const CHROME_EXTENSION_ORIGIN = `chrome-extension://${CHROME_EXTENSION_ID}`;
