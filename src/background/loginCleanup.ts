/**
 * Abandoned logins: the provider tab was closed, ten minutes passed, or the
 * browser restarted (tab ids do not survive it) before the callback came.
 * The login's state, relay session and tab are cleaned up and the popup says
 * why, so the next Login starts afresh. The deadline is a chrome.alarm
 * (timers die with the worker), re-armed from storage at every worker start.
 */
import type { LoginOutcome, PendingLogin } from '../shared/auth.ts';
import { CompanionError } from '../shared/errors.ts';
import * as storage from '../shared/storage.ts';
import { ALARMS, cancel, scheduleAt } from './alarms.ts';
import { abandonLogin, LOGIN_TIMEOUT_MS } from './login.ts';
import { tabExists } from './tabs.ts';

export type LoginEvent =
  | { kind: 'tabRemoved'; tabId: number }
  | { kind: 'deadline' }
  | { kind: 'browserStart' }
  | { kind: 'workerStart'; tabExists: boolean };

export type AbandonReason = 'tab_closed' | 'timed_out' | 'browser_restarted';

/** Pure: should this event end the pending login, and why. */
export function abandonReason(
  pending: PendingLogin | null,
  event: LoginEvent,
  now: number,
  timeoutMs: number = LOGIN_TIMEOUT_MS,
): AbandonReason | null {
  if (pending === null) return null;
  const timedOut = now - pending.createdAt >= timeoutMs;
  switch (event.kind) {
    case 'tabRemoved':
      return pending.tabId === event.tabId ? 'tab_closed' : null;
    case 'deadline':
      return timedOut ? 'timed_out' : null;
    case 'browserStart':
      return 'browser_restarted';
    case 'workerStart':
      if (timedOut) return 'timed_out';
      // tabId null: the tab is being opened right now.
      return pending.tabId !== null && !event.tabExists ? 'tab_closed' : null;
  }
}

const MESSAGES: Record<AbandonReason, string> = {
  tab_closed: 'The sign-in tab was closed before the login finished. Click Login to try again.',
  timed_out: 'The login was not finished within 10 minutes. Click Login to try again.',
  browser_restarted: 'The browser was closed before the login finished. Click Login to try again.',
};

async function handle(event: LoginEvent): Promise<void> {
  const pending = await storage.read('pendingLogin');
  const reason = abandonReason(pending, event, Date.now());
  if (pending === null || reason === null) return;
  // Re-read: a callback may have finished the login meanwhile.
  const current = await storage.read('pendingLogin');
  if (current?.state !== pending.state) return;
  await abandonLogin(pending);
  const error = new CompanionError('login_abandoned', MESSAGES[reason], { detail: reason });
  const outcome: LoginOutcome = {
    outcome: 'failure',
    message: error.message,
    error: error.toJSON(),
    at: Date.now(),
  };
  await storage.write('loginOutcome', outcome);
  await cancel(ALARMS.loginTimeout);
}

export const onLoginTabRemoved = (tabId: number) => handle({ kind: 'tabRemoved', tabId });
export const onLoginDeadline = () => handle({ kind: 'deadline' });
export const onBrowserStart = () => handle({ kind: 'browserStart' });

/** At every worker start: settle a login that ended while the worker was stopped, re-arm the deadline. */
export async function onWorkerStart(): Promise<void> {
  const pending = await storage.read('pendingLogin');
  if (pending === null) return;
  await handle({ kind: 'workerStart', tabExists: await tabExists(pending.tabId) });
  await syncLoginDeadline(await storage.read('pendingLogin'));
}

/** The deadline alarm follows pendingLogin: set with it, cleared without it. */
export async function syncLoginDeadline(pending: PendingLogin | null): Promise<void> {
  if (pending === null) await cancel(ALARMS.loginTimeout);
  else await scheduleAt(ALARMS.loginTimeout, pending.createdAt + LOGIN_TIMEOUT_MS);
}
