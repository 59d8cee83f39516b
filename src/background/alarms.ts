/**
 * chrome.alarms, wrapped once. Timers die with the service worker (stopped
 * after ~30 s idle); alarms wake it. Packed extensions get alarms no more
 * often than every 30 s (earlier `when`s fire at 30 s); unpacked ones, as in
 * tests, fire on time (https://developer.chrome.com/docs/extensions/reference/api/alarms).
 * Alarms may not survive a browser restart, so every worker start re-arms
 * them from storage (sessionLifecycle.ts, loginCleanup.ts).
 */
import browser from 'webextension-polyfill';

export const ALARMS = {
  /** The next refresh, retry, or expiry check of the token lifecycle. */
  refresh: 'sqlsafe-oidc.refresh',
  /** An unfinished login's deadline (10 minutes after Login). */
  loginTimeout: 'sqlsafe-oidc.login-timeout',
} as const;

export type AlarmName = (typeof ALARMS)[keyof typeof ALARMS];

/** Replaces the alarm `name` with one at `when` (epoch ms; a past time fires at once). */
export async function scheduleAt(name: AlarmName, when: number): Promise<void> {
  await browser.alarms.create(name, { when: Math.max(when, Date.now() + 1) });
}

export async function cancel(name: AlarmName): Promise<void> {
  await browser.alarms.clear(name);
}

export function onAlarm(listener: (name: string) => void): void {
  browser.alarms.onAlarm.addListener((alarm) => listener(alarm.name));
}
