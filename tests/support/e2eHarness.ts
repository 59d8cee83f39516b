/**
 * One end-to-end environment: the real relay (SQLite in a temp dir) on a free
 * port, oidc-provider on loopback knowing that relay's redirect URI, and
 * Chromium with the built extension pointed at the relay. Shared by the
 * login and lifecycle suites.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { type DemoProviderOptions, startDemoProvider } from '../../scripts/demo-provider.ts';
import { type RunningRelay, startRelay } from '../../src/relay/server.ts';
import {
  type ExtensionBrowser,
  fillSettingsForm,
  launchWithExtension,
  screenshotAll,
} from './browser.ts';
import { freePort } from './ports.ts';

export type DemoProvider = Awaited<ReturnType<typeof startDemoProvider>>;

export interface E2EEnv {
  relayPort: number;
  relay: RunningRelay;
  provider: DemoProvider;
  ext: ExtensionBrowser;
  /** Every line the relay logged (method, path, status: never bodies). */
  relayLog: string[];
}

export async function startE2E(
  providerOptions: Omit<DemoProviderOptions, 'port' | 'redirectUris'> = {},
): Promise<E2EEnv> {
  const relayPort = await freePort();
  const relayLog: string[] = [];
  const relay = await startRelay({
    port: relayPort,
    dataDir: mkdtempSync(path.join(tmpdir(), 'sqlsafe-e2e-data-')),
    log: (line) => relayLog.push(line),
  });
  const provider = await startDemoProvider({
    ...providerOptions,
    port: 0,
    redirectUris: [`http://localhost:${relayPort}/callback/`],
  });
  const ext = await launchWithExtension({ relayPort });
  return { relayPort, relay, provider, ext, relayLog };
}

export async function stopE2E(env: Partial<E2EEnv>): Promise<void> {
  await env.ext?.close();
  await env.provider?.close();
  await env.relay?.close();
}

/** For afterEach: screenshots of every page when the test failed. */
export async function screenshotOnFailure(
  ext: ExtensionBrowser | undefined,
  task: { name: string; result?: { state?: string } },
): Promise<void> {
  if (task.result?.state === 'fail') await screenshotAll(ext, task.name);
}

/** The toolbar badge text and tooltip, read in the service worker. */
export async function badgeOf(ext: ExtensionBrowser): Promise<{ text: string; title: string }> {
  return ext.inWorker(async () => ({
    text: await chrome.action.getBadgeText({}),
    title: await chrome.action.getTitle({}),
  }));
}

/** Fills the popup with the demo provider's values, some overridden. */
export async function fillDemoForm(
  page: Page,
  provider: DemoProvider,
  overrides: Partial<Record<'nickname' | 'authority' | 'clientId' | 'clientSecret', string>> = {},
): Promise<void> {
  await fillSettingsForm(page, {
    nickname: 'Demo',
    authority: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    ...overrides,
  });
}
