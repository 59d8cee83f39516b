/**
 * The service worker. Listeners are registered at the top level so that the
 * events that wake a stopped worker (a message, the login tab reaching the
 * callback) always find them. No flow state lives in module variables.
 */
import browser from 'webextension-polyfill';
import { toCompanionError } from '../shared/errors.ts';
import { restrictToTrustedContexts, watch } from '../shared/storage.ts';
import { ALARMS, onAlarm } from './alarms.ts';
import { refreshBadgeFromStorage } from './authState.ts';
import { onTabUpdated, startLogin } from './login.ts';
import {
  onBrowserStart,
  onLoginDeadline,
  onLoginTabRemoved,
  onWorkerStart as settleLoginOnWorkerStart,
  syncLoginDeadline,
} from './loginCleanup.ts';
import { logout } from './logout.ts';
import { createMessageListener } from './messageRouter.ts';
import { saveSettings, syncSettings } from './repositorySettings.ts';
import { checkSession } from './sessionLifecycle.ts';

/** Code and message only: never the error object, which could hold a URL with a code or token. */
function logFailure(what: string) {
  return (err: unknown) => {
    const e = toCompanionError(err);
    console.error(`${what} failed: ${e.code}: ${e.message}`);
  };
}

// Tokens sit in extension storage: trusted contexts only (extension pages, this worker).
restrictToTrustedContexts().catch(() => undefined);

browser.runtime.onMessage.addListener(
  createMessageListener(
    {
      login: ({ form }) => startLogin(form),
      logout: (options) => logout(options),
      checkSession: async () => ({ status: await checkSession('popup') }),
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
  onTabUpdated(tabId, url).catch(logFailure('callback handling'));
});

// The token lifecycle's alarms: the next refresh (or retry, or expiry), and a login's deadline.
onAlarm((name) => {
  if (name === ALARMS.refresh) checkSession('alarm').catch(logFailure('scheduled refresh'));
  else if (name === ALARMS.loginTimeout) onLoginDeadline().catch(logFailure('login timeout'));
});

// Closing the provider tab abandons the login it was opened for.
browser.tabs.onRemoved.addListener((tabId) => {
  onLoginTabRemoved(tabId).catch(logFailure('login tab cleanup'));
});

// A login's 10-minute deadline follows pendingLogin (written by login.ts).
watch('pendingLogin', (pending) => {
  syncLoginDeadline(pending).catch(logFailure('login deadline'));
});

// Every start of this worker (an alarm, a message, a tab event woke it, or
// the browser started): alarms may have been lost, a refresh may be overdue
// (an expired access token with a valid refresh token is refreshed now,
// without user action), and a login may have been abandoned meanwhile.
settleLoginOnWorkerStart().catch(logFailure('login check at start'));
checkSession('wake').catch(logFailure('session check at start'));

async function onWorkerStart(): Promise<void> {
  await refreshBadgeFromStorage();
  // Pick up the repository's settings (saved elsewhere, or by another profile); the relay may be down.
  await syncSettings().catch(() => undefined);
}

browser.runtime.onStartup.addListener(() => {
  // Tab ids do not survive a restart: a login left open when the browser closed is over.
  onBrowserStart()
    .then(() => checkSession('startup'))
    .catch(logFailure('session check at browser start'));
  onWorkerStart().catch(() => undefined);
});
browser.runtime.onInstalled.addListener(() => {
  onWorkerStart().catch(() => undefined);
});
