/**
 * Issue 3 end to end: the token lifecycle in real Chromium with the built
 * extension, the real relay and oidc-provider issuing access tokens that live
 * a few seconds, rotating refresh tokens and revoking the whole grant when a
 * used one comes back (like Okta). The tests run in order on one browser and
 * one login, each leaving the session as the next one expects.
 */
import type { Page } from 'puppeteer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../scripts/demo-provider.ts';
import type { AuthState, TokenSet } from '../../src/shared/auth.ts';
import {
  alertsText,
  clickButton,
  type ExtensionBrowser,
  forgetProviderSession,
  launchWithExtension,
  signInAtProvider,
  statusText,
  waitForAlert,
  waitForStatus,
} from '../support/browser.ts';
import {
  badgeOf,
  type E2EEnv,
  fillDemoForm,
  screenshotOnFailure,
  startE2E,
  stopE2E,
} from '../support/e2eHarness.ts';

/** Access and ID token lifetime: refreshes come every ~3 s (half the lifetime for such short tokens). */
const TTL_SECONDS = 6;

let relayPort: number;
let relay: E2EEnv['relay'];
let provider: E2EEnv['provider'];
let ext: ExtensionBrowser;

beforeAll(async () => {
  ({ relayPort, relay, provider, ext } = await startE2E({
    accessTokenTtl: TTL_SECONDS,
    rejectOrigin: true,
  }));
});

afterEach(async (ctx) => screenshotOnFailure(ext, ctx.task));

afterAll(async () => stopE2E({ ext, provider, relay }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeout = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function stored(): Promise<{
  auth: AuthState;
  tokens: TokenSet | null;
  all: Record<string, unknown>;
}> {
  const all = await ext.storageLocal();
  return {
    auth: all.auth as AuthState,
    tokens: (all.tokens as TokenSet | undefined) ?? null,
    all,
  };
}

const refreshRequests = () => provider.tokenRequests.filter((r) => r.grantType === 'refresh_token');

/** Every refresh token reached the provider at most once: no reuse, ever. */
function expectNoRefreshTokenReuse() {
  const hashes = refreshRequests().map((r) => r.refreshTokenHash);
  expect(new Set(hashes).size).toBe(hashes.length);
}

const badge = () => badgeOf(ext);

const fillForm = (page: Page) => fillDemoForm(page, provider);

const providerPages = async () =>
  (await ext.browser.pages()).filter((p) => p.url().startsWith(provider.issuer));

/** Collects every status label shown while `during` runs. */
async function watchStatus<T>(
  page: Page,
  during: () => Promise<T>,
): Promise<{ seen: Set<string>; value: T }> {
  const seen = new Set<string>();
  let running = true;
  const sampler = (async () => {
    while (running) {
      seen.add(await statusText(page).catch(() => '?'));
      await sleep(100);
    }
  })();
  try {
    return { seen, value: await during() };
  } finally {
    running = false;
    await sampler;
  }
}

describe('token lifecycle in a real browser against a real provider', () => {
  it('a login survives the worker being stopped between Login and the callback', async () => {
    const page = await ext.openPopup();
    await fillForm(page);
    await clickButton(page, 'Login');
    // The provider's sign-in page is up (fresh profile: it waits for the user), and
    // the worker is idle again, as when Chrome stops it (after ~30 s without events).
    const providerTab = await ext.browser.waitForTarget(
      (t) => t.url().startsWith(provider.issuer),
      { timeout: 15_000 },
    );
    await (await providerTab.page())?.waitForSelector('input[name=login]', { timeout: 10_000 });
    await until('the login tab recorded', async () => {
      const pending = (await stored()).all.pendingLogin as { tabId: number | null } | undefined;
      return pending?.tabId ?? null;
    });
    await ext.stopWorker();
    expect(ext.browser.targets().some((t) => t.type() === 'service_worker')).toBe(false);
    await signInAtProvider(ext.browser, provider.issuer, 'alice');
    await waitForStatus(page, 'Authenticated');
    const { tokens, all } = await stored();
    expect(tokens?.refreshToken).toBeTruthy();
    expect(all.authContext).toMatchObject({
      sessionId: tokens?.sessionId,
      issuer: provider.issuer,
    });
    await page.close();
  });

  it('refreshes before expiry with no user action, stays Authenticated, and says when it renews', async () => {
    const page = await ext.openPopup();
    const first = (await stored()).tokens as TokenSet;
    const before = refreshRequests().length;
    const { seen } = await watchStatus(page, () =>
      until(
        'two refreshes',
        async () => refreshRequests().length >= before + 2,
        4 * TTL_SECONDS * 1000,
      ),
    );
    expect([...seen]).toEqual(['Authenticated']);

    const { tokens, auth } = await stored();
    expect(tokens?.accessToken).not.toBe(first.accessToken);
    // Rotated, and the rotated token is what is stored.
    expect(tokens?.refreshToken).not.toBe(first.refreshToken);
    expect(tokens?.sub).toBe('alice');
    expect(auth.status).toBe('authenticated');
    expect(auth.refreshAt).toBeGreaterThan(Date.now() - 1_000);
    expect(auth.refreshAt).toBeLessThan(tokens?.expiresAt ?? 0);
    for (const r of refreshRequests()) {
      expect(r.status).toBe(200);
      expect(r.headers.origin).toBeUndefined();
    }
    expectNoRefreshTokenReuse();
    const body = await page.evaluate(() => document.body.textContent ?? '');
    expect(body).toContain('Signed in as alice');
    expect(body).toMatch(/Renews automatically at .+ \(access token valid until .+\)/);
    await page.close();
  });

  it('several popups opened while a refresh is due send exactly one refresh to the provider', async () => {
    // Right after a refresh, stop the schedule: the next refresh falls due with nothing to run it.
    const count = refreshRequests().length;
    await until('a refresh', async () => refreshRequests().length > count, 3 * TTL_SECONDS * 1000);
    await until(
      'the refresh stored',
      async () => (await stored()).auth.updatedAt > Date.now() - 2_000,
    );
    await ext.inWorker(() => chrome.alarms.clearAll());
    const dueAt = (await stored()).auth.refreshAt ?? 0;
    await sleep(Math.max(0, dueAt - Date.now()) + 300);
    const before = refreshRequests().length;

    const pages = await Promise.all([1, 2, 3, 4].map(() => ext.openPopup()));
    await until('the refresh the popups asked for', async () => refreshRequests().length > before);
    await sleep(1_500);
    expect(refreshRequests().length).toBe(before + 1);
    for (const p of pages) await waitForStatus(p, 'Authenticated');
    expectNoRefreshTokenReuse();
    // The schedule is back.
    expect(await ext.inWorker(() => chrome.alarms.getAll().then((a) => a.length))).toBeGreaterThan(
      0,
    );
    for (const p of pages) await p.close();
  });

  it('a refresh interrupted by the worker being stopped completes, and its token reaches the provider once', async () => {
    provider.setTokenDelay(3_000);
    const before = refreshRequests().length;
    const inFlight = await until(
      'a refresh in flight',
      async () =>
        refreshRequests()
          .slice(before)
          .find((r) => r.status === undefined),
      3 * TTL_SECONDS * 1000,
    );
    await ext.stopWorker();
    provider.setTokenDelay(0);
    const rotated = await until('the rotated token', async () => inFlight.issuedRefreshToken);
    // The worker comes back on its retry alarm and stores what the provider answered the first time.
    await until('the interrupted refresh stored', async () => {
      const { tokens } = await stored();
      return (
        tokens?.refreshToken === rotated ||
        refreshRequests().some((r) => r.refreshTokenHash === sha256Hex(rotated))
      );
    });
    const page = await ext.openPopup();
    await waitForStatus(page, 'Authenticated');
    expect(
      refreshRequests().filter((r) => r.refreshTokenHash === inFlight.refreshTokenHash),
    ).toHaveLength(1);
    expectNoRefreshTokenReuse();
    // The grant is intact: later refreshes keep succeeding.
    const after = refreshRequests().length;
    await until(
      'another refresh',
      async () => refreshRequests().length > after,
      3 * TTL_SECONDS * 1000,
    );
    expect(refreshRequests().at(-1)?.status).toBe(200);
    await page.close();
  });

  it('a provider that is down is not a revocation: Not Authenticated (provider unreachable), then back by itself', async () => {
    const page = await ext.openPopup();
    await provider.stop();
    const { seen } = await watchStatus(page, async () => {
      await waitForStatus(page, 'Not Authenticated', (TTL_SECONDS + 8) * 1000);
      await page.waitForFunction(
        () => /Provider unreachable/.test(document.body.textContent ?? ''),
        {
          polling: 200,
          timeout: 5_000,
        },
      );
      const { tokens, all } = await stored();
      // The refresh token is kept for the recovery; the status says why.
      expect(tokens?.refreshToken).toBeTruthy();
      expect((all.auth as AuthState).reason?.code).toBe('provider_unreachable');
      expect((await badge()).title).toMatch(/Not Authenticated \(Provider unreachable/);
      await provider.start();
      await waitForStatus(page, 'Authenticated', 20_000);
    });
    expect(seen.has('Authentication Failed')).toBe(false);
    expect((await stored()).auth.reason).toBeNull();
    expectNoRefreshTokenReuse();
    await page.close();
  });

  it('after a browser restart on the same profile, Authenticated is restored by a refresh without user action', async () => {
    const userDataDir = ext.userDataDir;
    await ext.close();
    // Long enough for the access token to expire while the browser is closed.
    await sleep(TTL_SECONDS * 1000);
    const before = refreshRequests().length;
    const relaunched = Date.now();
    ext = await launchWithExtension({ userDataDir, relayPort });
    await until('a refresh after the restart', async () => refreshRequests().length > before);
    const page = await ext.openPopup();
    await waitForStatus(page, 'Authenticated');
    await until(
      'fresh tokens',
      async () => ((await stored()).tokens?.obtainedAt ?? 0) > relaunched,
    );
    expect((await stored()).tokens?.expiresAt).toBeGreaterThan(Date.now());
    expectNoRefreshTokenReuse();
    await page.close();
  });

  it('grants revoked at the provider: Authentication Failed within one refresh period, tokens wiped, no retry, no tab', async () => {
    const page = await ext.openPopup();
    const sessionId = (await stored()).tokens?.sessionId ?? '';
    const pagesBefore = (await ext.browser.pages()).length;
    expect(await provider.revokeGrants()).toBeGreaterThan(0);
    const revokedAt = Date.now();
    await waitForStatus(page, 'Authentication Failed', TTL_SECONDS * 1000 + 3_000);
    expect(Date.now() - revokedAt).toBeLessThan(TTL_SECONDS * 1000 + 3_000);
    const text = await page.evaluate(() => document.body.textContent ?? '');
    expect(text).toMatch(/The provider ended the session/);
    expect(text).toMatch(/Log in again/);
    expect(text).toContain('invalid_grant');

    const { all } = await stored();
    expect(all.tokens ?? null).toBeNull();
    expect(all.authContext ?? null).toBeNull();
    expect(all.refreshRetry ?? null).toBeNull();
    expect(Object.keys(all).filter((k) => k.startsWith('oidc.'))).toEqual([]);
    expect(await badge()).toMatchObject({ text: '!' });
    expect((await badge()).title).toMatch(/Authentication Failed \(The provider ended the session/);
    expect((await relay.store.getSession(sessionId))?.status).toBe('failed');

    // No retry loop, no tab opened by itself.
    const count = refreshRequests().length;
    await sleep(TTL_SECONDS * 1000);
    expect(refreshRequests().length).toBe(count);
    expect((await ext.browser.pages()).length).toBe(pagesBefore);
    expect(await ext.inWorker(() => chrome.alarms.get('sqlsafe-oidc.refresh'))).toBeFalsy();
    await page.close();
  });

  it('a second Login focuses the one provider tab; closing it abandons the login', async () => {
    await forgetProviderSession(ext.browser);
    const page = await ext.openPopup();
    await fillForm(page);
    await clickButton(page, 'Login');
    await until('the provider tab', async () => (await providerPages()).length === 1);
    const first = (await stored()).all.pendingLogin as {
      state: string;
      tabId: number;
      sessionId: string;
    };
    // The user comes back to the popup (the provider tab is in front) and clicks again.
    await page.bringToFront();
    await clickButton(page, 'Login');
    const [providerTab] = await providerPages();
    await until('the provider tab in front', async () =>
      (await providerTab?.evaluate(() => document.visibilityState)) === 'visible' ? true : null,
    );
    expect(await providerPages()).toHaveLength(1);
    const again = (await stored()).all.pendingLogin as { state: string; tabId: number };
    expect(again).toMatchObject({ state: first.state, tabId: first.tabId });

    const [tab] = await providerPages();
    await tab?.close();
    await until('the login cleaned up', async () => (await stored()).all.pendingLogin == null);
    await waitForAlert(page, /sign-in tab was closed/);
    const { all } = await stored();
    expect(Object.keys(all).filter((k) => k.startsWith('oidc.'))).toEqual([]);
    expect((await relay.store.getSession(first.sessionId))?.status).toBe('ended');
    await page.close();
  });

  it('a login left unfinished for 10 minutes is abandoned by its deadline alarm', async () => {
    const page = await ext.openPopup();
    await fillForm(page);
    await clickButton(page, 'Login');
    await until('the provider tab', async () => (await providerPages()).length === 1);
    const pending = await until(
      'the pending login',
      async () => (await stored()).all.pendingLogin as { tabId: number | null } | null,
    );
    await until(
      'its tab recorded',
      async () =>
        ((await stored()).all.pendingLogin as { tabId: number | null } | null)?.tabId ?? null,
    );
    // Ten minutes pass: the deadline alarm follows the pending login's creation time.
    await ext.inWorker(async () => {
      const { pendingLogin } = (await chrome.storage.local.get('pendingLogin')) as {
        pendingLogin: Record<string, unknown>;
      };
      await chrome.storage.local.set({
        pendingLogin: { ...pendingLogin, createdAt: Date.now() - 11 * 60_000 },
      });
    });
    await until('the login abandoned', async () => (await stored()).all.pendingLogin == null);
    await waitForAlert(page, /not finished within 10 minutes/);
    await until('its tab closed', async () => (await providerPages()).length === 0);
    expect(pending).toBeTruthy();
    await page.close();
  });

  it('after an abandoned login, Login starts a new one that completes', async () => {
    const page = await ext.openPopup();
    await fillForm(page);
    await clickButton(page, 'Login');
    await signInAtProvider(ext.browser, provider.issuer, 'alice');
    await waitForStatus(page, 'Authenticated');
    await waitForAlert(page, /Login successful/);
    await page.close();
  });

  it('Logout revokes the refresh token at the provider, which then refuses it; the provider sign-out opens on request', async () => {
    const { tokens } = await stored();
    const refreshToken = tokens?.refreshToken ?? '';
    const sessionId = tokens?.sessionId ?? '';
    expect(refreshToken).not.toBe('');
    const page = await ext.openPopup();
    const box = await page.waitForSelector(
      '::-p-aria(Also sign out at the provider[role="checkbox"])',
    );
    await box?.click();
    // Logout waits for a refresh in flight, then revokes whatever token is current.
    await clickButton(page, 'Logout');
    await waitForStatus(page, 'Not Authenticated');
    const alert = await waitForAlert(page, /Logged out/);
    expect(alert).toContain('All tokens and session data were cleared.');
    expect(alert).toContain('The provider revoked the refresh and access tokens.');

    const revokedTokens = provider.revocationRequests.filter(
      (r) => r.tokenTypeHint === 'refresh_token',
    );
    expect(revokedTokens.length).toBeGreaterThanOrEqual(1);
    const revoked = revokedTokens.at(-1);
    expect(revoked?.status).toBe(200);
    expect(revoked?.headers.authorization).toMatch(/^Basic /);
    expect(revoked?.headers.origin).toBeUndefined();
    // The revoked token is the one that was stored (or its rotation, if a refresh ran first).
    const current = revoked?.token ?? '';
    expect(
      current === refreshToken || refreshRequests().some((r) => r.issuedRefreshToken === current),
    ).toBe(true);
    const again = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current }),
    });
    expect(((await again.json()) as { error?: string }).error).toBe('invalid_grant');

    const { all } = await stored();
    for (const key of ['tokens', 'authContext', 'refreshRetry', 'pendingLogin']) {
      expect(all[key] ?? null).toBeNull();
    }
    expect(Object.keys(all).filter((k) => k.startsWith('oidc.'))).toEqual([]);
    expect((await relay.store.getSession(sessionId))?.status).toBe('ended');
    // RP-initiated logout: the provider's end_session_endpoint, with the ID token as hint.
    const endSession = await until('the provider sign-out tab', async () =>
      (await ext.browser.pages()).find((p) => p.url().startsWith(`${provider.issuer}/session/end`)),
    );
    expect(endSession.url()).toContain('id_token_hint=');
    expect(await alertsText(page)).toContain('Finish signing out at the provider');
    expect(await statusText(page)).toBe('Not Authenticated');
    await endSession.close();
    await page.close();
  });
});
