/**
 * Issue 2 end to end: real Chromium with dist/chrome loaded, the real relay
 * (SQLite in a temp dir), oidc-provider on loopback with its own login and
 * consent pages. The popup is driven by accessible names only.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  alertsText,
  clickButton,
  type ExtensionBrowser,
  fill,
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
import { freePort } from '../support/ports.ts';

let relayPort: number;
let relay: E2EEnv['relay'];
let provider: E2EEnv['provider'];
let ext: ExtensionBrowser;
let relayLog: string[] = [];

beforeAll(async () => {
  // Like Entra ID (AADSTS9002326): the provider refuses a token request with a browser Origin.
  ({ relayPort, relay, provider, ext, relayLog } = await startE2E({ rejectOrigin: true }));
});

afterEach(async (ctx) => screenshotOnFailure(ext, ctx.task));

afterAll(async () => stopE2E({ ext, provider, relay }));

const badge = () => badgeOf(ext);

const fillForm = (
  page: Awaited<ReturnType<ExtensionBrowser['openPopup']>>,
  overrides: Parameters<typeof fillDemoForm>[2] = {},
) => fillDemoForm(page, provider, overrides);

describe('login, status, logout in a real browser against a real provider', () => {
  it('starts Not Authenticated with Required disabled', async () => {
    const page = await ext.openPopup();
    expect(await statusText(page)).toBe('Not Authenticated');
    const required = await page.waitForSelector('::-p-aria(Required[role="checkbox"])');
    expect(await required?.evaluate((el) => (el as HTMLInputElement).disabled)).toBe(true);
    await page.close();
  });

  it('logs in through the provider and shows Authenticated', async () => {
    const page = await ext.openPopup();
    await fillForm(page);
    await clickButton(page, 'Login');
    await signInAtProvider(ext.browser, provider.issuer, 'alice');
    await waitForStatus(page, 'Authenticated');
    expect(await page.evaluate(() => document.body.textContent)).toContain('alice');
    await waitForAlert(page, /Login successful/);

    const stored = await ext.storageLocal();
    const tokens = stored.tokens as { idToken: string; refreshToken: string | null; sub: string };
    expect(tokens.sub).toBe('alice');
    expect(tokens.idToken.split('.')).toHaveLength(3);
    expect(stored.pendingLogin ?? null).toBeNull();
    // The client secret never sits in the browser.
    expect(JSON.stringify(stored)).not.toContain(provider.clientSecret);
    const required = await page.waitForSelector('::-p-aria(Required[role="checkbox"])');
    expect(await required?.evaluate((el) => (el as HTMLInputElement).disabled)).toBe(false);
    expect(await badge()).toEqual({ text: 'ON', title: 'SQL Safe OIDC: Authenticated as alice' });
    await page.close();
  });

  it('OK saves the settings and Required to the repository; Cancel discards edits', async () => {
    const page = await ext.openPopup();
    const required = await page.waitForSelector('::-p-aria(Required[role="checkbox"])');
    await required?.click();
    await clickButton(page, 'OK');
    await waitForAlert(page, /saved/i);
    const stored = await relay.store.getSettings();
    expect(stored?.required).toBe(true);
    expect(stored?.clientId).toBe(provider.clientId);
    // The secret is in the repository, encrypted, and never came back to the browser.
    const local = await ext.storageLocal();
    expect((local.settings as { hasSecret: boolean }).hasSecret).toBe(true);
    expect(JSON.stringify(local)).not.toContain(provider.clientSecret);

    await fill(page, 'Client ID', 'edited-but-cancelled');
    await clickButton(page, 'Cancel');
    const clientId = await page.$eval(
      '::-p-aria(Client ID)',
      (el) => (el as HTMLInputElement).value,
    );
    expect(clientId).toBe(provider.clientId);
    await page.close();

    const reopened = await ext.openPopup();
    const checked = await reopened.$eval(
      '::-p-aria(Required[role="checkbox"])',
      (el) => (el as HTMLInputElement).checked,
    );
    expect(checked).toBe(true);
    // Back to the default so later tests start from a plain repository.
    await reopened.click('::-p-aria(Required[role="checkbox"])');
    await clickButton(reopened, 'OK');
    await waitForAlert(reopened, /saved/i);
    expect((await relay.store.getSettings())?.required).toBe(false);
    await reopened.close();
  });

  it('logging in again while signed in revokes the previous login at the provider', async () => {
    const first = (await ext.storageLocal()).tokens as { refreshToken: string; sessionId: string };
    expect(first.refreshToken).toBeTruthy();
    const page = await ext.openPopup();
    await fillForm(page);
    await clickButton(page, 'Login');
    await signInAtProvider(ext.browser, provider.issuer, 'alice');
    // The new login's tokens (another relay session) replace the first one's.
    await expect
      .poll(async () => ((await ext.storageLocal()).tokens as { sessionId: string }).sessionId, {
        timeout: 10_000,
      })
      .not.toBe(first.sessionId);
    await expect
      .poll(() => provider.revocationRequests.map((r) => r.token), { timeout: 10_000 })
      .toContain(first.refreshToken);
    expect(await statusText(page)).toBe('Authenticated');
    await page.close();
  });

  it('opening the popup makes no network request', async () => {
    // The relay's request log is live (the login above is in it), so silence below means something.
    expect(relayLog.some((line) => line.startsWith('POST /api/sessions'))).toBe(true);
    const before = relayLog.length;
    const requestsBefore = provider.tokenRequests.length;
    const page = await ext.openPopup();
    expect(await statusText(page)).toBe('Authenticated');
    await new Promise((r) => setTimeout(r, 500));
    expect(relayLog.slice(before)).toEqual([]);
    expect(provider.tokenRequests.length).toBe(requestsBefore);
    await page.close();
  });

  it('sent the token request to the provider without a browser Origin', () => {
    const codeGrants = provider.tokenRequests.filter((r) => r.grantType === 'authorization_code');
    expect(codeGrants.length).toBeGreaterThanOrEqual(1);
    for (const r of provider.tokenRequests) expect(r.headers.origin).toBeUndefined();
  });

  it('closed the provider tab after the successful login', async () => {
    const pages = await ext.browser.pages();
    const urls = pages.map((p) => p.url());
    expect(urls.some((u) => u.includes('/callback/'))).toBe(false);
    expect(urls.some((u) => u.startsWith(provider.issuer))).toBe(false);
  });

  it('is still Authenticated after the service worker is stopped and the popup reopened', async () => {
    await ext.stopWorker();
    const page = await ext.openPopup();
    expect(await statusText(page)).toBe('Authenticated');
    await page.close();
  });

  it('Logout brings back Not Authenticated and clears every token', async () => {
    const page = await ext.openPopup();
    await clickButton(page, 'Logout');
    await waitForStatus(page, 'Not Authenticated');
    const stored = await ext.storageLocal();
    expect(stored.tokens ?? null).toBeNull();
    expect(Object.keys(stored).filter((k) => k.startsWith('oidc.'))).toEqual([]);
    expect((await badge()).text).toBe('');
    await page.close();
  });

  it('completes a login when the worker is stopped between Login and the callback', async () => {
    await forgetProviderSession(ext.browser);
    const page = await ext.openPopup();
    await fillForm(page);
    await clickButton(page, 'Login');
    // The provider's sign-in page is showing: the login waits on the user.
    const providerTab = await ext.browser.waitForTarget((t) => t.url().startsWith(provider.issuer));
    const providerPage = await providerTab.page();
    await providerPage?.waitForSelector('input[name=login]', { timeout: 10_000 });
    await ext.stopWorker();
    expect(ext.browser.targets().some((t) => t.type() === 'service_worker')).toBe(false);
    await signInAtProvider(ext.browser, provider.issuer, 'alice');
    await waitForStatus(page, 'Authenticated');
    await clickButton(page, 'Logout');
    await waitForStatus(page, 'Not Authenticated');
    await page.close();
  });

  it('a wrong client secret ends in an unsuccessful message naming the cause, Not Authenticated', async () => {
    const page = await ext.openPopup();
    await fillForm(page, { clientSecret: 'not-the-secret' });
    await clickButton(page, 'Login');
    await signInAtProvider(ext.browser, provider.issuer, 'alice');
    const alerts = await waitForAlert(page, /Login unsuccessful/);
    expect(alerts).toMatch(/Client ID and Client Secret/);
    expect(alerts).toMatch(/invalid_client/);
    expect(await statusText(page)).toBe('Not Authenticated');
    // The login tab now explains the failure (and holds no code in its URL).
    const resultPage = (await ext.browser.pages()).find((p) =>
      p.url().endsWith('/src/callback/result.html'),
    );
    expect(resultPage).toBeTruthy();
    await resultPage?.waitForFunction(
      () => document.body.textContent?.includes('Login unsuccessful'),
      { polling: 100 },
    );
    expect(await resultPage?.evaluate(() => document.body.textContent)).toMatch(
      /Client ID and Client Secret/,
    );
    await resultPage?.close();
    expect((await badge()).title).toMatch(
      /Not Authenticated \(The provider rejected the client credentials/,
    );
    const stored = await ext.storageLocal();
    expect(stored.tokens ?? null).toBeNull();
    await page.close();
  });

  it('an unreachable authority gives a clear message and stores nothing', async () => {
    const deadPort = await freePort();
    const before = await ext.storageLocal();
    const pagesBefore = (await ext.browser.pages()).length;
    const page = await ext.openPopup();
    await fillForm(page, { authority: `http://127.0.0.1:${deadPort}/oidc` });
    await clickButton(page, 'Login');
    const alerts = await waitForAlert(page, /Could not reach the provider/);
    expect(alerts).toMatch(/provider_unreachable/);
    expect(await statusText(page)).toBe('Not Authenticated');
    const after = await ext.storageLocal();
    expect(after.tokens ?? null).toBeNull();
    expect(after.pendingLogin ?? null).toBeNull();
    expect(after.settings ?? null).toEqual(before.settings ?? null);
    // No provider tab was opened.
    expect((await ext.browser.pages()).length).toBe(pagesBefore + 1);
    await page.close();
  });

  it('keeps no authorization code in browser history (form_post)', async () => {
    await ext.close();
    const history = new Database(path.join(ext.userDataDir, 'Default', 'History'), {
      readonly: true,
    });
    const urls = (history.prepare('SELECT url FROM urls').all() as { url: string }[]).map(
      (r) => r.url,
    );
    history.close();
    expect(urls.some((u) => u.includes('/callback/'))).toBe(true);
    expect(urls.filter((u) => /[?&#]code=/.test(u))).toEqual([]);
    ext = await launchWithExtension({ userDataDir: ext.userDataDir, relayPort });
  });

  it('an invalid Authority URL is refused in the form: nothing sent', async () => {
    const page = await ext.openPopup();
    await fillForm(page, { authority: 'http://login.example.com' });
    await clickButton(page, 'Login');
    await page.waitForFunction(() => document.body.textContent?.includes('must use https://'), {
      polling: 100,
      timeout: 5_000,
    });
    expect(await alertsText(page)).not.toMatch(/Login unsuccessful/);
    const invalid = await page.$eval('::-p-aria(Authority URL)', (el) =>
      el.getAttribute('aria-invalid'),
    );
    expect(invalid).toBe('true');
    await page.close();
  });
});
