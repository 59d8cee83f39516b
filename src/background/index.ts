/**
 * The service worker. Listeners are registered at the top level so that the
 * events that wake a stopped worker (a message, the login tab reaching the
 * callback) always find them. No flow state lives in module variables.
 */
import browser from 'webextension-polyfill';
import { toCompanionError } from '../shared/errors.ts';
import { refreshBadgeFromStorage } from './authState.ts';
import { onTabUpdated, startLogin } from './login.ts';
import { logout } from './logout.ts';
import { createMessageListener } from './messageRouter.ts';
import { saveSettings, syncSettings } from './repositorySettings.ts';

browser.runtime.onMessage.addListener(
  createMessageListener(
    {
      login: ({ form }) => startLogin(form),
      logout: () => logout(),
      saveSettings: async ({ form, required }) => ({
        settings: await saveSettings(form, required),
      }),
      syncSettings: async () => ({ settings: await syncSettings() }),
    },
    browser.runtime.id,
  ),
);

browser.tabs.onUpdated.addListener((tabId, changeInfo, tab) => {
  const url = changeInfo.url ?? (changeInfo.status === 'complete' ? tab.url : undefined);
  if (url === undefined) return;
  onTabUpdated(tabId, url).catch((err: unknown) => {
    // Code and message only: never the URL or the error object (no codes or tokens in logs).
    const e = toCompanionError(err);
    console.error(`callback handling failed: ${e.code}: ${e.message}`);
  });
});

async function onWorkerStart(): Promise<void> {
  await refreshBadgeFromStorage();
  // Pick up the repository's settings (saved elsewhere, or by another profile); the relay may be down.
  await syncSettings().catch(() => undefined);
}

browser.runtime.onStartup.addListener(() => {
  onWorkerStart().catch(() => undefined);
});
browser.runtime.onInstalled.addListener(() => {
  onWorkerStart().catch(() => undefined);
});
