/**
 * Real Chromium (Debian's) with the built extension loaded, driven by Puppeteer.
 * DESIGN.md "Testing with real parts": system browser, quiet flags for a closed network.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page, type Target, type WebWorker } from 'puppeteer';
import { CHROME_EXTENSION_ID } from '../../src/shared/config.ts';

// EXTENSION_DIR lets parallel work build elsewhere (vite build --outDir DIR) without racing on dist/.
export const EXTENSION_DIR = path.resolve(process.env.EXTENSION_DIR ?? 'dist/chrome');
export const EXTENSION_ORIGIN = `chrome-extension://${CHROME_EXTENSION_ID}`;
export const POPUP_URL = `${EXTENSION_ORIGIN}/src/popup/index.html`;

const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function chromePath(): string {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  // Fall back to Puppeteer's own browser where one was downloaded.
  return puppeteer.executablePath();
}

export interface ExtensionBrowser {
  browser: Browser;
  userDataDir: string;
  worker(): Promise<WebWorker>;
  /** Stops the service worker, as Chrome does after ~30 s idle. */
  stopWorker(): Promise<void>;
  openPopup(): Promise<Page>;
  /** Runs a function in the service worker (chrome.* available). */
  inWorker<T>(fn: () => T | Promise<T>): Promise<T>;
  storageLocal(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function launchWithExtension(
  options: { userDataDir?: string; relayPort?: number } = {},
): Promise<ExtensionBrowser> {
  if (!existsSync(path.join(EXTENSION_DIR, 'manifest.json'))) {
    throw new Error('dist/chrome is missing: run `npm run build` first (npm test does).');
  }
  const userDataDir =
    options.userDataDir ?? mkdtempSync(path.join(tmpdir(), 'sqlsafe-e2e-profile-'));
  const browser = await puppeteer.launch({
    executablePath: chromePath(),
    headless: true,
    enableExtensions: [EXTENSION_DIR],
    pipe: true,
    userDataDir,
    args: QUIET_FLAGS,
  });

  const isOurWorker = (t: Target) =>
    t.type() === 'service_worker' && t.url().startsWith(EXTENSION_ORIGIN);

  // A freshly started worker is visible before its extension bindings exist.
  async function ready(w: WebWorker): Promise<WebWorker> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const ok = await w
        .evaluate(() => typeof chrome === 'object' && chrome.storage !== undefined)
        .catch(() => false);
      if (ok) return w;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('service worker never got its extension APIs');
  }

  async function worker(): Promise<WebWorker> {
    return ready(await findWorker());
  }

  async function findWorker(): Promise<WebWorker> {
    const existing = browser.targets().find(isOurWorker);
    if (existing) {
      const w = await existing.worker();
      if (w) return w;
    }
    // A stopped worker starts again on any extension event; opening an extension page is one.
    const target = await browser.waitForTarget(isOurWorker, { timeout: 15_000 }).catch(async () => {
      const page = await browser.newPage();
      await page.goto(POPUP_URL);
      await page.close();
      return browser.waitForTarget(isOurWorker, { timeout: 15_000 });
    });
    const w = await target.worker();
    if (!w) throw new Error('service worker target has no worker');
    return w;
  }

  const ext: ExtensionBrowser = {
    browser,
    userDataDir,
    worker,
    async stopWorker() {
      const w = await worker();
      await w.close();
      // Wait until the target is really gone.
      const deadline = Date.now() + 10_000;
      while (browser.targets().some(isOurWorker) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async openPopup() {
      const page = await browser.newPage();
      await page.goto(POPUP_URL, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[role="status"]', { timeout: 10_000 });
      return page;
    },
    async inWorker<T>(fn: () => T | Promise<T>): Promise<T> {
      const w = await worker();
      return (await w.evaluate(fn)) as T;
    },
    async storageLocal() {
      return ext.inWorker(() => chrome.storage.local.get(null));
    },
    async close() {
      await browser.close();
    },
  };

  if (options.relayPort !== undefined) {
    const port = options.relayPort;
    const w = await worker();
    await w.evaluate((p: number) => chrome.storage.local.set({ relayPort: p }), port);
  }
  return ext;
}

// Polling is by interval, not requestAnimationFrame: a popup opened as a tab
// sits in the background while the provider tab is active, and background
// tabs get no animation frames.

/** Text of the single role=status element. */
export async function statusText(page: Page): Promise<string> {
  return page.$eval('[role="status"]', (el) => (el.textContent ?? '').trim());
}

export async function waitForStatus(page: Page, expected: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (want: string) => document.querySelector('[role="status"]')?.textContent?.trim() === want,
    { timeout, polling: 100 },
    expected,
  );
}

/** Fills a textbox found by its accessible name, replacing what was there. */
export async function fill(page: Page, name: string, value: string): Promise<void> {
  const el = await page.waitForSelector(`::-p-aria(${name})`, { timeout: 5_000 });
  if (!el) throw new Error(`no element named ${name}`);
  await el.click({ count: 3 });
  await page.evaluate((e) => {
    (e as HTMLInputElement).select();
  }, el);
  await page.keyboard.press('Backspace');
  if (value !== '') await el.type(value);
}

/** Fills the popup's four credential fields by their accessible names. */
export async function fillSettingsForm(
  page: Page,
  values: { nickname: string; authority: string; clientId: string; clientSecret: string },
): Promise<void> {
  await fill(page, 'Provider nickname', values.nickname);
  await fill(page, 'Authority URL', values.authority);
  await fill(page, 'Client ID', values.clientId);
  await fill(page, 'Client Secret', values.clientSecret);
}

export async function clickButton(page: Page, name: string): Promise<void> {
  const el = await page.waitForSelector(`::-p-aria(${name}[role="button"])`, { timeout: 5_000 });
  if (!el) throw new Error(`no button named ${name}`);
  await el.click();
}

/** Text of every role=alert region (messages other than the status label). */
export async function alertsText(page: Page): Promise<string> {
  return page.$$eval('[role="alert"]', (els) => els.map((e) => e.textContent ?? '').join('\n'));
}

export async function waitForAlert(page: Page, pattern: RegExp, timeout = 30_000): Promise<string> {
  await page.waitForFunction(
    (src: string, flags: string) => {
      const re = new RegExp(src, flags);
      return [...document.querySelectorAll('[role="alert"]')].some((e) =>
        re.test(e.textContent ?? ''),
      );
    },
    { timeout, polling: 100 },
    pattern.source,
    pattern.flags,
  );
  return alertsText(page);
}

/**
 * Signs in at oidc-provider's built-in (devInteractions) pages in the tab the
 * extension opened: the login form, then the consent screen, whichever appear.
 * Resolves when the tab has left the provider (closed, or on the relay/result page).
 */
export async function signInAtProvider(
  browser: Browser,
  issuer: string,
  login = 'alice',
): Promise<void> {
  const target = await browser
    .waitForTarget((t) => t.type() === 'page' && t.url().startsWith(issuer), { timeout: 15_000 })
    .catch(() => null);
  // With a provider session and a remembered consent, the tab passes straight through.
  if (target === null) return;
  const page = await target.page();
  if (!page) throw new Error('provider tab has no page');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (page.isClosed()) return;
    let url: string;
    try {
      url = page.url();
    } catch {
      return;
    }
    // The target can report the provider's URL before the page's own frame has
    // committed it (still about:blank): that is "not there yet", not "done".
    if (url === '' || url === 'about:blank') {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (!url.startsWith(issuer)) return;
    try {
      await page.waitForSelector('button[type=submit], input[name=login]', { timeout: 5_000 });
      const hasLogin = await page.$('input[name=login]');
      if (hasLogin) {
        await page.type('input[name=login]', login);
        await page.type('input[name=password]', 'any-password');
      }
      await Promise.all([
        page.waitForNavigation({ timeout: 15_000 }).catch(() => undefined),
        page.click('button[type=submit]'),
      ]);
    } catch (err) {
      if (page.isClosed()) return;
      if (!page.url().startsWith(issuer)) return;
      throw err;
    }
  }
  throw new Error('sign-in at the provider did not finish');
}

/** Saves a screenshot of every open page to tests/.artifacts (for failed tests). */
export async function screenshotAll(
  ext: ExtensionBrowser | undefined,
  name: string,
): Promise<void> {
  if (!ext) return;
  const dir = path.resolve('tests/.artifacts');
  mkdirSync(dir, { recursive: true });
  const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  const pages = await ext.browser.pages().catch(() => []);
  let i = 0;
  for (const page of pages) {
    i += 1;
    // Background tabs do not paint: bring each to the front, and never let a screenshot hang the run.
    const shot = page
      .bringToFront()
      .then(() => page.screenshot({ path: path.join(dir, `${slug}-${i}.png`) as `${string}.png` }));
    await Promise.race([shot, new Promise((r) => setTimeout(r, 5_000))]).catch(() => undefined);
  }
}

/** Ends the provider's own browser session (its cookies), so the next login shows its sign-in page. */
export async function forgetProviderSession(browser: Browser): Promise<void> {
  const cookies = await browser.cookies();
  const providerCookies = cookies.filter(
    (c) => c.domain === '127.0.0.1' || c.domain === 'localhost',
  );
  if (providerCookies.length > 0) await browser.deleteCookie(...providerCookies);
}
