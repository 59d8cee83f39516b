// @vitest-environment happy-dom
/**
 * The popup's part of the token lifecycle: it shows when the session renews
 * or why it cannot, asks the background to check only when a refresh is due
 * (never a request of its own), and reports what Logout did at the provider.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/popup/App.tsx';
import type { AuthState } from '../../src/shared/auth.ts';
import { fakeBrowser, ok } from './support/fakeBrowser.ts';

vi.mock('webextension-polyfill', async () => ({
  default: (await import('./support/fakeBrowser.ts')).fakeBrowser.browser,
}));

const NOW = Date.now();
const AUTHENTICATED: AuthState = {
  status: 'authenticated',
  user: { sub: 'u1', name: 'Ada Lovelace' },
  reason: null,
  sessionId: 'sess-1',
  expiresAt: NOW + 10 * 60_000,
  refreshAt: NOW + 9 * 60_000,
  updatedAt: NOW,
};
const clock = (ms: number) => new Date(ms).toLocaleTimeString();

const fetchSpy = vi.fn();

beforeEach(() => {
  fakeBrowser.reset();
  fetchSpy.mockReset();
  vi.stubGlobal('fetch', fetchSpy);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function open(local: Record<string, unknown> = {}) {
  fakeBrowser.local.seed(local);
  render(<App />);
  await screen.findByRole('status');
}

describe('session timing', () => {
  it('shows who is signed in and when the session renews', async () => {
    await open({ auth: AUTHENTICATED });
    expect(screen.getByRole('status').textContent).toBe('Authenticated');
    expect(screen.getByText('Signed in as Ada Lovelace')).toBeTruthy();
    expect(
      screen.getByText(
        `Renews automatically at ${clock(AUTHENTICATED.refreshAt ?? 0)} (access token valid until ${clock(AUTHENTICATED.expiresAt ?? 0)}).`,
      ),
    ).toBeTruthy();
  });

  it('says why a renewal failed and when it is tried again, still Authenticated', async () => {
    await open({
      auth: {
        ...AUTHENTICATED,
        reason: { code: 'provider_unreachable', message: 'Could not reach the provider.' },
        refreshAt: NOW + 4_000,
      },
    });
    expect(screen.getByRole('status').textContent).toBe('Authenticated');
    expect(
      screen.getByText(/Could not renew the session yet \(Could not reach the provider\)/),
    ).toBeTruthy();
  });

  it('shows Not Authenticated with "provider unreachable" and the next try', async () => {
    await open({
      auth: {
        ...AUTHENTICATED,
        status: 'not_authenticated',
        reason: {
          code: 'provider_unreachable',
          message:
            'Provider unreachable: the access token expired before the session could be renewed.',
        },
        refreshAt: NOW + 5_000,
      },
    });
    expect(screen.getByRole('status').textContent).toBe('Not Authenticated');
    expect(screen.getByText(/^Provider unreachable: .* Next try at /)).toBeTruthy();
  });
});

describe('asking the background to check', () => {
  it('sends nothing while the next refresh is not due', async () => {
    await open({ auth: AUTHENTICATED });
    await new Promise((r) => setTimeout(r, 20));
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('asks once when a refresh is overdue, and makes no request itself', async () => {
    fakeBrowser.onMessage('checkSession', () => ok({ status: 'authenticated' as const }));
    await open({ auth: { ...AUTHENTICATED, refreshAt: NOW - 1_000 } });
    await waitFor(() => expect(fakeBrowser.sent('checkSession')).toEqual([{}]));
    // Storage changes while open re-render, but do not ask again.
    await fakeBrowser.local.set({ auth: { ...AUTHENTICATED, refreshAt: NOW - 500 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(fakeBrowser.sent('checkSession')).toHaveLength(1);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('never asks after Authentication Failed', async () => {
    await open({
      auth: {
        ...AUTHENTICATED,
        status: 'failed',
        user: null,
        refreshAt: null,
        reason: { code: 'invalid_grant', message: 'The provider ended the session.' },
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
  });
});

describe('Logout', () => {
  it('can also end the provider session, and says the tokens were revoked', async () => {
    fakeBrowser.onMessage('logout', () =>
      ok({
        cleared: true as const,
        revocation: 'revoked' as const,
        providerLogout: 'opened' as const,
      }),
    );
    await open({ auth: AUTHENTICATED });
    const box = screen.getByRole('checkbox', { name: 'Also sign out at the provider' });
    expect((box as HTMLInputElement).checked).toBe(false);
    fireEvent.click(box);
    fireEvent.click(screen.getByRole('button', { name: 'Logout' }));
    const alert = await screen.findByRole('alert');
    expect(fakeBrowser.sent('logout')).toEqual([{ endProviderSession: true }]);
    expect(alert.textContent).toBe(
      'Logged out. All tokens and session data were cleared. The provider revoked the refresh and access tokens. Finish signing out at the provider in the tab that opened.',
    );
  });

  it('says so where the provider has no revocation endpoint (Entra ID)', async () => {
    fakeBrowser.onMessage('logout', () =>
      ok({ cleared: true as const, revocation: 'not_supported' as const }),
    );
    await open({ auth: AUTHENTICATED });
    fireEvent.click(screen.getByRole('button', { name: 'Logout' }));
    const alert = await screen.findByRole('alert');
    expect(fakeBrowser.sent('logout')).toEqual([{}]);
    expect(alert.textContent).toContain('All tokens and session data were cleared.');
    expect(alert.textContent).toContain('offers no token revocation (Entra ID has none)');
  });

  it('says when the provider could not revoke, with the code', async () => {
    fakeBrowser.onMessage('logout', () =>
      ok({
        cleared: true as const,
        revocation: 'failed' as const,
        revocationError: { code: 'provider_unreachable', message: 'Could not reach the provider.' },
      }),
    );
    await open({ auth: AUTHENTICATED });
    fireEvent.click(screen.getByRole('button', { name: 'Logout' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain(
      'The tokens could not be revoked at the provider (Could not reach the provider); they stay valid there until they expire.',
    );
    expect(alert.textContent).toContain('(code: provider_unreachable)');
  });
});
