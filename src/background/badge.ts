/**
 * The toolbar badge and tooltip show the status at a glance. Badge state is
 * not persisted across browser restarts, so it is re-applied from storage
 * whenever the worker starts.
 */
import browser from 'webextension-polyfill';
import { type AuthState, displayName, STATUS_LABELS } from '../shared/auth.ts';

interface BadgeLook {
  text: string;
  color: string;
}

/** Pure: what the badge shows for a status. */
export function badgeFor(auth: AuthState): BadgeLook & { title: string } {
  const label = STATUS_LABELS[auth.status];
  const who = displayName(auth.user);
  const looks: Record<AuthState['status'], BadgeLook> = {
    authenticated: { text: 'ON', color: '#1f7a3a' },
    not_authenticated: { text: '', color: '#6b7280' },
    failed: { text: '!', color: '#b42318' },
  };
  const reason = auth.status !== 'authenticated' && auth.reason ? ` (${auth.reason.message})` : '';
  const title =
    auth.status === 'authenticated' && who
      ? `SQL Safe OIDC: ${label} as ${who}`
      : `SQL Safe OIDC: ${label}${reason}`;
  return { ...looks[auth.status], title };
}

export async function applyBadge(auth: AuthState): Promise<void> {
  const look = badgeFor(auth);
  await browser.action.setBadgeText({ text: look.text });
  await browser.action.setBadgeBackgroundColor({ color: look.color });
  await browser.action.setTitle({ title: look.title });
}
