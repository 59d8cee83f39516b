/**
 * Logout is always possible and always clears everything local, even when
 * the relay cannot be reached ("Logout clears all stored tokens and session data").
 */
import browser from 'webextension-polyfill';
import * as storage from '../shared/storage.ts';
import { markSignedOut } from './authState.ts';
import { relay } from './relayClient.ts';

export async function logout(): Promise<{ cleared: true }> {
  const [auth, tokens, pending] = await Promise.all([
    storage.read('auth'),
    storage.read('tokens'),
    storage.read('pendingLogin'),
  ]);
  const sessionIds = new Set(
    [auth.sessionId, tokens?.sessionId, pending?.sessionId].filter((id): id is string => !!id),
  );
  for (const id of sessionIds) {
    // The relay forgets the session and its secret; a relay that is down must not keep us signed in.
    await relay.endSession(id).catch(() => undefined);
  }
  if (pending?.tabId != null) await browser.tabs.remove(pending.tabId).catch(() => undefined);
  await markSignedOut('not_authenticated', null);
  return { cleared: true };
}
