/**
 * The tab operations the login flow needs, each wrapped once: a tab the user
 * already closed makes browser.tabs throw, which is never an error for us.
 */
import browser from 'webextension-polyfill';

export async function tabExists(tabId: number | null): Promise<boolean> {
  if (tabId === null) return false;
  try {
    await browser.tabs.get(tabId);
    return true;
  } catch {
    return false;
  }
}

/** Closes a tab if it is still open. */
export async function closeTab(tabId: number | null | undefined): Promise<void> {
  if (tabId === null || tabId === undefined) return;
  await browser.tabs.remove(tabId).catch(() => undefined);
}
