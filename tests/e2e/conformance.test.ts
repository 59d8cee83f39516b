/**
 * The real extension (Chromium) and the real relay against a provider that
 * lies: the OpenID Foundation's relying-party conformance cases for the code
 * flow, plus RFC 9207, state, PKCE and client authentication cases.
 *
 * One browser, one relay and one hostile provider for the whole file; every
 * case gets a fresh provider tenant (its own issuer, keys and JWKS URL, so no
 * cache carries over). The provider auto-approves, so a case is one click on
 * Login. Each case asserts what the conformance test expects: accepted ->
 * Authenticated; rejected -> "Login unsuccessful" naming the problem with its
 * technical code, Not Authenticated, and nothing stored (no tokens, no
 * pendingLogin, no oidc-client-ts state).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'puppeteer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../../src/relay/server.ts';
import type { ErrorCode } from '../../src/shared/errors.ts';
import {
  alertsText,
  clickButton,
  type ExtensionBrowser,
  fill,
  launchWithExtension,
  screenshotAll,
  statusText,
} from '../support/browser.ts';
import {
  AWKWARD_SECRET,
  type HostileProvider,
  type ModeName,
  startHostileProvider,
  type Tenant,
  type TenantOptions,
} from '../support/hostileProvider.ts';
import { freePort } from '../support/ports.ts';

let relayPort: number;
let relay: Awaited<ReturnType<typeof startRelay>>;
let provider: HostileProvider;
let ext: ExtensionBrowser;
const relayLog: string[] = [];
const consoleLines: string[] = [];
const tenants: Tenant[] = [];
/** case -> expected -> observed, written to tests/.artifacts/conformance.md for review. */
const table: string[] = [];

function note(name: string, expected: string, o: Outcome): void {
  const message = o.alerts.replace(/\s+/g, ' ').replace(/×/g, '').trim();
  table.push(`| ${name} | ${expected} | ${o.status} | ${message} |`);
}

beforeAll(async () => {
  relayPort = await freePort();
  relay = await startRelay({
    port: relayPort,
    dataDir: mkdtempSync(path.join(tmpdir(), 'sqlsafe-conformance-data-')),
    log: (line) => relayLog.push(line),
  });
  provider = await startHostileProvider();
  ext = await launchWithExtension({ relayPort });
  // Everything the extension prints, to prove no token or secret is ever logged.
  ext.browser.on('targetcreated', async (target) => {
    const page = await target.page().catch(() => null);
    page?.on('console', (m) => consoleLines.push(m.text()));
    if (target.type() === 'service_worker') {
      const worker = await target.worker().catch(() => null);
      worker?.on('console', (m) => consoleLines.push(m.text()));
    }
  });
  (await ext.worker()).on('console', (m) => consoleLines.push(m.text()));
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshotAll(ext, ctx.task.name);
});

afterAll(async () => {
  const dir = path.resolve('tests/.artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'conformance.md'),
    ['| case | expected | status | message |', '|---|---|---|---|', ...table, ''].join('\n'),
  );
  await ext?.close();
  await provider?.close();
  await relay?.close();
});

async function tenant(options: Omit<TenantOptions, 'redirectUris'> = {}): Promise<Tenant> {
  const t = await provider.tenant({
    redirectUris: [`http://localhost:${relayPort}/callback/`],
    ...options,
  });
  tenants.push(t);
  return t;
}

/** Back to a clean, signed-out extension with only a blank tab open. */
async function reset(): Promise<void> {
  const pages = await ext.browser.pages();
  const keep = pages[0] ?? (await ext.browser.newPage());
  for (const p of pages) if (p !== keep) await p.close().catch(() => undefined);
  const popup = await ext.openPopup();
  await popup.evaluate(() =>
    chrome.runtime.sendMessage({ channel: 'sqlsafe-oidc', type: 'logout', payload: {} }),
  );
  await popup.evaluate(() => chrome.storage.local.remove('loginOutcome'));
  await popup.close();
}

interface Outcome {
  page: Page;
  status: string;
  alerts: string;
  local: Record<string, unknown>;
  session: Record<string, unknown>;
}

/** Fills the popup with the tenant's credentials, clicks Login, waits for the verdict. */
async function attempt(
  t: Tenant,
  opts: { clientSecret?: string; afterClick?: () => Promise<void> } = {},
): Promise<Outcome> {
  await reset();
  const page = await ext.openPopup();
  await fill(page, 'Provider nickname', `Hostile ${t.id}`);
  await fill(page, 'Authority URL', t.issuer);
  await fill(page, 'Client ID', t.clientId);
  await fill(page, 'Client Secret', opts.clientSecret ?? t.clientSecret);
  await clickButton(page, 'Login');
  await opts.afterClick?.();
  await page.waitForFunction(
    () =>
      document.querySelector('[role="status"]')?.textContent?.trim() === 'Authenticated' ||
      [...document.querySelectorAll('[role="alert"]')].some((e) =>
        /Login unsuccessful/.test(e.textContent ?? ''),
      ),
    { timeout: 20_000, polling: 100 },
  );
  // Let the background finish its writes (it updates storage in one go, then closes tabs).
  await new Promise((r) => setTimeout(r, 150));
  return {
    page,
    status: await statusText(page),
    alerts: await alertsText(page),
    local: await ext.storageLocal(),
    session: await ext.inWorker(() => chrome.storage.session.get(null)),
  };
}

function issuedSecrets(t: Tenant): string[] {
  return [
    t.clientSecret,
    ...t.issued.codes,
    ...t.issued.accessTokens,
    ...t.issued.refreshTokens,
    ...t.issued.idTokens,
  ];
}

function expectAccepted(o: Outcome, t: Tenant, step = ''): void {
  note(`${expect.getState().currentTestName?.split(' > ').pop() ?? t.id}${step}`, 'accept', o);
  expect(o.status).toBe('Authenticated');
  expect(o.alerts).toMatch(/Login successful/);
  const tokens = o.local.tokens as { sub: string; idToken: string; issuer: string };
  expect(tokens.sub).toBe('alice');
  expect(tokens.issuer).toBe(t.issuer);
  expect(t.issued.idTokens).toContain(tokens.idToken);
  expect(o.local.pendingLogin ?? null).toBeNull();
  expect(Object.keys(o.local).filter((k) => k.startsWith('oidc.'))).toEqual([]);
  // The client secret never sits in the browser.
  expect(JSON.stringify([o.local, o.session])).not.toContain(t.clientSecret);
}

/** The relay's record of every login this tenant saw: status, and whether it still holds the secret. */
function relaySessions(t: Tenant): { status: string; holdsSecret: number }[] {
  const db = new Database(relay.repositoryPath, { readonly: true });
  try {
    return db
      .prepare(
        'SELECT status, client_secret_enc IS NOT NULL AS holdsSecret FROM sessions WHERE issuer = ?',
      )
      .all(t.issuer) as { status: string; holdsSecret: number }[];
  } finally {
    db.close();
  }
}

function expectRejected(o: Outcome, t: Tenant, code: ErrorCode, words: RegExp): void {
  note(expect.getState().currentTestName?.split(' > ').pop() ?? t.id, `reject (${code})`, o);
  expect(o.alerts).toMatch(/Login unsuccessful/);
  expect(o.alerts).toMatch(words);
  expect(o.alerts).toContain(`(code: ${code})`);
  expect(o.status).toBe('Not Authenticated');
  // Nothing left behind.
  expect(o.local.tokens ?? null).toBeNull();
  expect(o.local.pendingLogin ?? null).toBeNull();
  expect(Object.keys(o.local).filter((k) => k.startsWith('oidc.'))).toEqual([]);
  expect((o.local.auth as { status: string }).status).toBe('not_authenticated');
  const stored = JSON.stringify([o.local, o.session]);
  for (const s of issuedSecrets(t)) {
    expect(stored).not.toContain(s);
    expect(o.alerts).not.toContain(s);
  }
  // Nor at the relay: no authenticated session (the Required flag relies on one), no kept secret.
  for (const session of relaySessions(t)) {
    expect(session.status).not.toBe('authenticated');
    expect(session.holdsSecret).toBe(0);
  }
}

describe('OpenID Connect RP conformance (code flow) against a hostile provider', () => {
  it('valid control: accepted, with PKCE S256, RFC 9207 iss and form_post', async () => {
    const t = await tenant({ mode: 'valid' });
    const o = await attempt(t);
    expectAccepted(o, t);
    const [authorize] = t.requestsTo('/authorize');
    expect(authorize?.query.code_challenge_method).toBe('S256');
    expect(authorize?.query.response_mode).toBe('form_post');
    expect(authorize?.query.nonce).toBeTruthy();
    // The token request reached the provider from the relay, not the browser.
    const [token] = t.requestsTo('/token');
    expect(token?.headers.origin).toBeUndefined();
    expect(token?.clientAuth?.method).toBe('client_secret_basic');
    // The login tab was closed.
    const urls = (await ext.browser.pages()).map((p) => p.url());
    expect(urls.some((u) => u.startsWith(t.issuer) || u.includes('/callback/'))).toBe(false);
  });

  it('aud as a one-element array: accepted', async () => {
    const t = await tenant({ mode: 'idtoken-aud-single-element-array' });
    expectAccepted(await attempt(t), t);
  });

  it('ES256-signed ID token: accepted', async () => {
    const t = await tenant({ alg: 'ES256' });
    expectAccepted(await attempt(t), t);
  });

  const rejected: [ModeName, ErrorCode, RegExp][] = [
    ['idtoken-invalid-iss', 'invalid_id_token', /issued by another provider/],
    ['idtoken-invalid-aud', 'invalid_id_token', /issued for another application/],
    ['idtoken-missing-aud', 'invalid_id_token', /lacks the required "aud" claim/],
    ['idtoken-missing-sub', 'invalid_id_token', /"sub"/],
    ['idtoken-missing-iat', 'invalid_id_token', /lacks the required "iat" claim/],
    ['idtoken-missing-exp', 'invalid_id_token', /lacks the required "exp" claim/],
    ['idtoken-expired', 'invalid_id_token', /has expired/],
    ['idtoken-invalid-nonce', 'invalid_id_token', /nonce does not match this login/],
    ['idtoken-invalid-sig-rs256', 'invalid_id_token', /signature does not match/],
    ['idtoken-invalid-sig-es256', 'invalid_id_token', /signature does not match/],
    ['idtoken-sig-none', 'invalid_id_token', /unsigned or signed with an algorithm/],
    ['idtoken-sig-hs256-client-secret', 'invalid_id_token', /unsigned or signed with an algorithm/],
    ['discovery-issuer-mismatch', 'issuer_mismatch', /says its issuer is https:\/\/attacker/],
    ['authorization-invalid-state', 'state_mismatch', /did not carry this login's state/],
    ['authorization-missing-state', 'state_mismatch', /did not carry this login's state/],
    ['authorization-invalid-iss', 'iss_mismatch', /came from a different provider/],
    ['authorization-missing-iss', 'iss_mismatch', /lacks the issuer identification/],
    [
      'authorization-access-denied',
      'access_denied',
      /denied at the provider.*The user is not assigned to this app\./,
    ],
  ];

  it.each(rejected)('%s: rejected (%s), nothing stored', async (mode, code, words) => {
    const t = await tenant({ mode });
    const o = await attempt(t);
    expectRejected(o, t, code, words);
    if (mode === 'discovery-issuer-mismatch') {
      // Refused before anything was sent to the provider's authorize endpoint.
      expect(t.requestsTo('/authorize')).toEqual([]);
    }
    if (mode.startsWith('authorization-')) {
      // Refused before the code (if any) was redeemed.
      expect(t.requestsTo('/token')).toEqual([]);
    }
  });

  it('RFC 9207 iss absent where discovery does not promise it: accepted', async () => {
    const t = await tenant({
      authorization: { iss: null },
      discovery: { authorization_response_iss_parameter_supported: undefined },
    });
    expectAccepted(await attempt(t), t);
  });

  it('PKCE S256 even when discovery advertises no PKCE method (like Entra ID)', async () => {
    const t = await tenant({ discovery: { code_challenge_methods_supported: undefined } });
    expectAccepted(await attempt(t), t);
    expect(t.requestsTo('/authorize')[0]?.query.code_challenge_method).toBe('S256');
    expect(t.requestsTo('/token')[0]?.form.code_verifier).toBeTruthy();
  });

  it('query response mode when the provider offers no form_post: accepted, code kept out of the final URL', async () => {
    const t = await tenant({
      discovery: { response_modes_supported: ['query'] },
      authorization: { responseMode: 'query' },
    });
    expectAccepted(await attempt(t), t);
    // Not form_post: the provider redirected with a query, which the relay answered with a 303.
    expect(t.requestsTo('/authorize')[0]?.query.response_mode).not.toBe('form_post');
  });

  it('client_secret_basic with ":", "%", "+" and spaces in the secret: form-urlencoded before base64 (RFC 6749 2.3.1)', async () => {
    const t = await tenant({ clientSecret: AWKWARD_SECRET, authMethod: 'client_secret_basic' });
    expectAccepted(await attempt(t), t);
    const [token] = t.requestsTo('/token');
    expect(token?.clientAuth?.rawBasic).toBe(
      `${t.clientId}:p%40ss%3Aw%25rd%2Bwith+spaces%2Fand%3Dmore`,
    );
    expect(token?.clientAuth?.clientSecret).toBe(AWKWARD_SECRET);
  });

  it('key rotation between two logins: the new kid is fetched once and accepted', async () => {
    const t = await tenant();
    expectAccepted(await attempt(t), t);
    await t.rotateKeys();
    expectAccepted(await attempt(t), t);
    expect(t.requestsTo('/jwks')).toHaveLength(2);
  });
});

describe('refresh', () => {
  /**
   * Signs in with a 2 s access token (a refresh is due after 1 s), then has
   * the background check the session, as the popup does when it sees a
   * refresh due (the lifecycle's alarm may get there first; either way one
   * refresh reaches the provider). Later tokens live 10 minutes: no refresh loop.
   */
  async function signInThenRefresh(t: Tenant): Promise<Page> {
    const o = await attempt(t);
    expectAccepted(o, t, ' (the login before the refresh)');
    t.update({ accessTokenTtl: 600 });
    await o.page.close();
    await new Promise((r) => setTimeout(r, 1_200));
    const page = await ext.openPopup();
    await page.evaluate(() =>
      chrome.runtime.sendMessage({ channel: 'sqlsafe-oidc', type: 'checkSession', payload: {} }),
    );
    const deadline = Date.now() + 10_000;
    while (t.requestsTo('/token').length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    return page;
  }

  it('the refreshed ID token names the same user: still Authenticated (control)', async () => {
    const t = await tenant({ accessTokenTtl: 2 });
    const page = await signInThenRefresh(t);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const stored = (await ext.storageLocal()).tokens as { accessToken: string } | null;
      if (stored?.accessToken === t.issued.accessTokens[1]) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(t.requestsTo('/token').map((r) => r.form.grant_type)).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    expect(((await ext.storageLocal()).auth as { status: string }).status).toBe('authenticated');
    expect(await statusText(page)).toBe('Authenticated');
    const tokens = (await ext.storageLocal()).tokens as { accessToken: string };
    expect(tokens.accessToken).toBe(t.issued.accessTokens[1]);
  });

  it('the refreshed ID token names a different sub: Authentication Failed, everything wiped (OIDC Core 12.2)', async () => {
    const t = await tenant({ mode: 'refresh-different-sub', accessTokenTtl: 2 });
    const page = await signInThenRefresh(t);
    await page.waitForFunction(
      () =>
        document.querySelector('[role="status"]')?.textContent?.trim() === 'Authentication Failed',
      { timeout: 15_000, polling: 100 },
    );
    expect(t.requestsTo('/token').map((r) => r.form.grant_type)).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    const local = await ext.storageLocal();
    expect(local.tokens ?? null).toBeNull();
    expect(Object.keys(local).filter((k) => k.startsWith('oidc.'))).toEqual([]);
    const auth = local.auth as { status: string; reason: { code: string; message: string } };
    expect(auth.status).toBe('failed');
    expect(auth.reason.code).toBe('invalid_id_token');
    expect(auth.reason.message).toMatch(/different user/);
    const stored = JSON.stringify(local);
    for (const s of issuedSecrets(t)) expect(stored).not.toContain(s);
    table.push(
      `| refresh-different-sub | Authentication Failed (invalid_id_token) | ${await statusText(page)} | ${auth.reason.message} |`,
    );
  });
});

describe('forged callbacks', () => {
  it('a hostile page sending the browser to /callback/ with forged parameters: a clear page, the extension does nothing', async () => {
    await reset();
    const before = await ext.storageLocal();
    const page = await ext.browser.newPage();
    await page.goto(
      `http://localhost:${relayPort}/callback/?code=forged-code&state=forged-state&iss=https%3A%2F%2Fevil.example`,
    );
    expect(await page.evaluate(() => document.body.textContent)).toContain(
      'was not requested by the SQL Safe OIDC Companion',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(page.isClosed()).toBe(false);
    expect(page.url()).toContain('/callback/');
    const after = await ext.storageLocal();
    expect(after).toEqual(before);
    await page.close();
  });

  it('a forged callback in another tab during a login is ignored; the real login then succeeds', async () => {
    const t = await tenant({ hold: true });
    let forgedStatus = '';
    const o = await attempt(t, {
      afterClick: async () => {
        await t.waitForHeldAuthorize();
        const forged = await ext.browser.newPage();
        await forged.goto(`http://localhost:${relayPort}/callback/?code=forged&state=forged`);
        forgedStatus = (await forged.evaluate(() => document.body.textContent)) ?? '';
        await new Promise((r) => setTimeout(r, 300));
        // The login is still waiting for the provider: nothing was decided by the forgery.
        const mid = await ext.storageLocal();
        expect(mid.pendingLogin).toBeTruthy();
        expect(mid.loginOutcome ?? null).toBeNull();
        await forged.close();
        t.release();
      },
    });
    expect(forgedStatus).toContain('was not requested by the SQL Safe OIDC Companion');
    expectAccepted(o, t);
  });
});

describe('nothing sensitive leaks', () => {
  it('the loaded extension has no content script and nothing web-accessible', async () => {
    const manifest = await ext.inWorker(() => chrome.runtime.getManifest());
    expect(manifest.content_scripts).toBeUndefined();
    expect(manifest.web_accessible_resources).toBeUndefined();
    expect(manifest.externally_connectable).toBeUndefined();
  });

  it('no token, code or client secret in the extension console, the relay log or the audit log', async () => {
    const everything = tenants.flatMap(issuedSecrets);
    expect(everything.length).toBeGreaterThan(20);
    const consoleText = consoleLines.join('\n');
    const logs = relayLog.join('\n');
    const audit = JSON.stringify(await relay.store.listAudit(5000));
    for (const s of everything) {
      expect(consoleText).not.toContain(s);
      expect(logs).not.toContain(s);
      expect(audit).not.toContain(s);
    }
  });

  it('no token or client secret in browser history; no code from any form_post login', async () => {
    await ext.close();
    const history = new Database(path.join(ext.userDataDir, 'Default', 'History'), {
      readonly: true,
    });
    const urls = (history.prepare('SELECT url FROM urls').all() as { url: string }[]).map(
      (r) => r.url,
    );
    history.close();
    expect(urls.length).toBeGreaterThan(0);
    const all = urls.join('\n');
    for (const t of tenants) {
      for (const s of [
        t.clientSecret,
        ...t.issued.accessTokens,
        ...t.issued.refreshTokens,
        ...t.issued.idTokens,
      ]) {
        expect(all).not.toContain(s);
      }
      const formPost = t.options.authorization?.responseMode !== 'query';
      if (formPost) for (const code of t.issued.codes) expect(all).not.toContain(code);
    }
    ext = await launchWithExtension({ userDataDir: ext.userDataDir, relayPort });
  });
});
