/**
 * Login: Authorization Code + PKCE (S256) with state and nonce, built by
 * oidc-client-ts; the provider page is a plain tab; the code comes back
 * through the relay's /callback/ and is redeemed through the relay.
 */
import browser from 'webextension-polyfill';
import { isCallbackUrl, responseUrl } from '../callback/callbackUrl.ts';
import type { PendingLogin, TokenSet } from '../shared/auth.ts';
import { redirectUri } from '../shared/config.ts';
import { CompanionError } from '../shared/errors.ts';
import type { SettingsForm } from '../shared/settings.ts';
import {
  cleanForm,
  hasErrors,
  normalizeAuthority,
  validateSettingsForm,
} from '../shared/settings.ts';
import * as storage from '../shared/storage.ts';
import { markAuthenticated, markSignedOut, userFromClaims } from './authState.ts';
import { verifyIdToken } from './idTokenCheck.ts';
import { revokeTokens } from './logout.ts';
import { createOidcClient } from './oidcClientFactory.ts';
import { fromSigninError } from './providerErrors.ts';
import { pairingToken, relay } from './relayClient.ts';
import { closeTab, tabExists } from './tabs.ts';

/** A login not finished within this time is abandoned (the authorize code lives minutes at most). */
export const LOGIN_TIMEOUT_MS = 10 * 60 * 1000;

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

async function secretStoredFor(form: SettingsForm): Promise<boolean> {
  const saved = await storage.read('settings');
  if (!saved?.hasSecret) return false;
  try {
    return (
      normalizeAuthority(saved.authority) === normalizeAuthority(form.authority) &&
      saved.clientId === form.clientId.trim()
    );
  } catch {
    return false;
  }
}

export async function startLogin(rawForm: SettingsForm): Promise<{ tabId: number | null }> {
  const form = cleanForm(rawForm);
  const errors = validateSettingsForm(form, { secretStored: await secretStoredFor(form) });
  if (hasErrors(errors)) {
    const first = Object.values(errors)[0] ?? 'The settings are not valid.';
    throw new CompanionError('invalid_settings', first, { detail: JSON.stringify(errors) });
  }

  // A new attempt: the previous attempt's message no longer applies.
  await storage.write('loginOutcome', null);

  const existing = await storage.read('pendingLogin');
  if (
    existing &&
    Date.now() - existing.createdAt < LOGIN_TIMEOUT_MS &&
    (await tabExists(existing.tabId))
  ) {
    // Discovery's issuer has no trailing slash where the normalized authority has one
    // (oidc-provider, Okta's org server): compare them without it.
    const bare = (url: string) => url.replace(/\/+$/, '');
    const sameClient =
      existing.clientId === form.clientId &&
      bare(existing.issuer) === bare(normalizeAuthority(form.authority));
    if (sameClient && existing.tabId !== null) {
      // One provider tab per login: a second click brings the first one back.
      const tab = await browser.tabs.update(existing.tabId, { active: true });
      if (tab.windowId !== undefined) await browser.windows.update(tab.windowId, { focused: true });
      return { tabId: existing.tabId };
    }
    await abandonLogin(existing);
  }

  const port = await storage.read('relayPort');
  const session = await relay.createSession({
    nickname: form.nickname,
    authority: form.authority,
    clientId: form.clientId,
    ...(form.clientSecret === '' ? {} : { clientSecret: form.clientSecret }),
    redirectUri: redirectUri(port),
  });

  const client = createOidcClient({
    clientId: form.clientId,
    metadata: session.metadata,
    relayTokenEndpoint: session.relayTokenEndpoint,
    relayPort: port,
    pairingToken: await pairingToken(),
  });
  const nonce = randomToken();
  // form_post keeps the code out of every URL, and so out of browser history
  // (OAuth 2.0 Form Post Response Mode). Okta and Entra ID both support it;
  // a provider that does not gets the default query mode, which the relay
  // answers with a 303 to the bare /callback/.
  const modes = session.metadata.response_modes_supported;
  const formPost = modes === undefined || modes.includes('form_post');
  const request = await client.createSigninRequest({
    nonce,
    // The relay checks the ID token's nonce too (OIDC Core 3.1.3.7 step 11), independently
    // of us; it never forwards this parameter to the provider.
    extraTokenParams: { nonce },
    ...(formPost ? { extraQueryParams: { response_mode: 'form_post' } } : {}),
  });
  try {
    // RFC 6749 10.12: the relay's /callback/ accepts a response for this state only, once.
    await relay.expectAuthorizationResponse(request.state.id, session.sessionId);
  } catch (err) {
    await storage.oidcStateStore.remove(request.state.id);
    await relay.endSession(session.sessionId).catch(() => undefined);
    throw err;
  }

  const pending: PendingLogin = {
    state: request.state.id,
    sessionId: session.sessionId,
    tabId: null,
    issuer: session.metadata.issuer,
    clientId: form.clientId,
    nonce,
    metadata: session.metadata,
    relayTokenEndpoint: session.relayTokenEndpoint,
    relayJwksEndpoint: session.relayJwksEndpoint,
    createdAt: Date.now(),
  };
  // Written before the tab exists, so a fast callback always finds it.
  await storage.writeMany({ pendingLogin: pending, loginOutcome: null });
  const tab = await browser.tabs.create({ url: request.url, active: true });
  const tabId = tab.id ?? null;
  const current = await storage.read('pendingLogin');
  if (current?.state === pending.state) await storage.write('pendingLogin', { ...current, tabId });
  return { tabId };
}

/** Forgets a login that will not complete: its state, its relay session, its tab. */
export async function abandonLogin(pending: PendingLogin): Promise<void> {
  await storage.oidcStateStore.remove(pending.state);
  await storage.write('pendingLogin', null);
  await relay.endSession(pending.sessionId).catch(() => undefined);
  await closeTab(pending.tabId);
}

// Dedupes the several tabs.onUpdated events of one navigation. Not flow state:
// losing it when the worker stops only means the relay's single-use answer decides.
const inFlight = new Set<string>();

/** tabs.onUpdated: when the login tab reaches the relay's /callback/, finish the login. */
export async function onTabUpdated(tabId: number, url: string | undefined): Promise<void> {
  const port = await storage.read('relayPort');
  if (!isCallbackUrl(url, port)) return;
  const pending = await storage.read('pendingLogin');
  if (!pending) return; // not our login (or already finished): the relay's page explains itself
  if (pending.tabId !== null && pending.tabId !== tabId) return;
  if (inFlight.has(pending.state)) return;
  inFlight.add(pending.state);
  try {
    await completeLogin(pending, tabId);
  } finally {
    inFlight.delete(pending.state);
  }
}

/** How long the login tab may sit on /callback/ before "no response for our state" is final. */
export const CALLBACK_GRACE_MS = 1_500;
const CALLBACK_POLL_MS = 250;

/**
 * The response for our state, or null when none arrives within the grace
 * period. The relay keeps it before it answers the navigation, so it is
 * normally there at the first try; the grace covers event ordering only.
 */
async function takeResponse(state: string) {
  const deadline = Date.now() + CALLBACK_GRACE_MS;
  for (;;) {
    const taken = await relay.takeAuthorizationResponse(state);
    if (taken !== null || Date.now() >= deadline) return taken;
    await new Promise((resolve) => setTimeout(resolve, CALLBACK_POLL_MS));
  }
}

async function completeLogin(pending: PendingLogin, tabId: number): Promise<void> {
  let taken: Awaited<ReturnType<typeof relay.takeAuthorizationResponse>>;
  try {
    taken = await takeResponse(pending.state);
  } catch (err) {
    await failLogin(pending, tabId, fromSigninError(err));
    return;
  }
  if (taken === null) {
    // Our login tab reached /callback/, but nothing arrived for the state we sent: the
    // provider answered with a wrong or missing state, which the relay refused
    // (RFC 6749 10.12). Re-read first: the tab id may have been recorded meanwhile,
    // and a callback in a tab that is not the login's (a hostile page) changes nothing.
    const current = await storage.read('pendingLogin');
    if (current === null || current.state !== pending.state || current.tabId !== tabId) return;
    await failLogin(
      current,
      tabId,
      new CompanionError(
        'state_mismatch',
        "The provider's answer did not carry this login's state (it was wrong or missing), so it was ignored.",
        { detail: 'no authorization response for this state' },
      ),
    );
    return;
  }

  // A new login supersedes the one before it, whatever its outcome: that
  // login's refresh token must not stay valid at the provider, unseen.
  const previous = await storage.read('tokens');
  try {
    const tokens = await redeem(pending, taken.params);
    const claims = tokens.claims;
    const user = userFromClaims(claims);
    const who = user.name ?? user.email ?? user.sub;
    await markAuthenticated(tokens.set, user, {
      outcome: 'success',
      message: `Login successful. Signed in as ${who}.`,
      error: null,
      at: Date.now(),
    });
    await closeTab(tabId);
  } catch (err) {
    await failLogin(pending, tabId, fromSigninError(err));
  }
  if (previous !== null && previous.sessionId !== pending.sessionId) {
    await revokeTokens(previous).catch(() => undefined);
  }
}

async function redeem(pending: PendingLogin, params: Record<string, string>) {
  // RFC 9207 section 2.4: the iss parameter, when present, must be the issuer
  // we started with; when the provider advertises it, it must be present.
  const iss = params.iss;
  if (iss !== undefined && iss !== pending.issuer) {
    throw new CompanionError(
      'iss_mismatch',
      'The sign-in response came from a different provider than the one the login started with.',
      {
        detail: `iss "${iss}" is not "${pending.issuer}"`,
      },
    );
  }
  if (
    iss === undefined &&
    pending.metadata.authorization_response_iss_parameter_supported === true
  ) {
    throw new CompanionError(
      'iss_mismatch',
      'The sign-in response lacks the issuer identification the provider promises (RFC 9207).',
      {
        detail: 'iss missing',
      },
    );
  }

  const port = await storage.read('relayPort');
  const client = createOidcClient({
    clientId: pending.clientId,
    metadata: pending.metadata,
    relayTokenEndpoint: pending.relayTokenEndpoint,
    relayPort: port,
    pairingToken: await pairingToken(),
  });
  // Checks state against the state store (single use), redeems the code with
  // the PKCE verifier through the relay, and checks sub and nonce.
  const response = await client.processSigninResponse(responseUrl(redirectUri(port), params));
  const idToken = response.id_token;
  if (!idToken) throw new CompanionError('invalid_id_token', 'The provider returned no ID token.');
  const claims = await verifyIdToken(pending.sessionId, idToken, {
    issuer: pending.issuer,
    clientId: pending.clientId,
    nonce: pending.nonce,
    algorithms: pending.metadata.id_token_signing_alg_values_supported,
  });
  const set: TokenSet = {
    sessionId: pending.sessionId,
    issuer: pending.issuer,
    clientId: pending.clientId,
    sub: claims.sub,
    idToken,
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? null,
    tokenType: response.token_type,
    scope: response.scope ?? null,
    expiresAt: response.expires_at !== undefined ? response.expires_at * 1000 : null,
    obtainedAt: Date.now(),
  };
  return { set, claims };
}

async function failLogin(
  pending: PendingLogin,
  tabId: number,
  error: CompanionError,
): Promise<void> {
  await relay.endSession(pending.sessionId).catch(() => undefined);
  await markSignedOut('not_authenticated', error, {
    outcome: 'failure',
    message: `Login unsuccessful: ${error.message}`,
    error: error.toJSON(),
    at: Date.now(),
  });
  // The tab shows why, from storage; no token or code is ever in its URL.
  await browser.tabs
    .update(tabId, { url: browser.runtime.getURL('src/callback/result.html') })
    .catch(() => undefined);
}
