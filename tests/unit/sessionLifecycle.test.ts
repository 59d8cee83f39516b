/**
 * The worker's token lifecycle (sessionLifecycle.checkSession) against
 * in-memory extension storage and alarms, with a fixed clock and the network
 * part (tokenRefresh.refreshTokens) replaced: what it stores, which alarm it
 * sets, and that concurrent callers share one refresh.
 */
import { ErrorResponse } from 'oidc-client-ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext, AuthState, TokenSet } from '../../src/shared/auth.ts';
import { CompanionError } from '../../src/shared/errors.ts';

const fakes = vi.hoisted(() => ({
  alarms: new Map<string, number>(),
  refreshTokens: vi.fn(),
  endSession: vi.fn(async () => ({ ended: true })),
}));

vi.mock('webextension-polyfill', async () => {
  const { fakeBrowser } = await import('./support/fakeBrowser.ts');
  return {
    default: {
      ...fakeBrowser.browser,
      alarms: {
        create: async (name: string, info: { when: number }) =>
          void fakes.alarms.set(name, info.when),
        clear: async (name: string) => fakes.alarms.delete(name),
        onAlarm: { addListener: () => undefined },
      },
      action: {
        setBadgeText: async () => undefined,
        setBadgeBackgroundColor: async () => undefined,
        setTitle: async () => undefined,
      },
    },
  };
});
vi.mock('../../src/background/tokenRefresh.ts', async (importActual) => ({
  ...(await importActual<typeof import('../../src/background/tokenRefresh.ts')>()),
  refreshTokens: fakes.refreshTokens,
}));
vi.mock('../../src/background/relayClient.ts', () => ({
  relay: { endSession: fakes.endSession },
  pairingToken: async () => 'pairing',
}));

import { checkSession } from '../../src/background/sessionLifecycle.ts';
import { RefreshSuperseded } from '../../src/background/tokenRefresh.ts';
import { fakeBrowser } from './support/fakeBrowser.ts';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MIN = 60_000;
const REFRESH_ALARM = 'sqlsafe-oidc.refresh';

const CONTEXT: AuthContext = {
  sessionId: 's1',
  issuer: 'https://idp.example',
  clientId: 'c',
  metadata: {
    issuer: 'https://idp.example',
    authorization_endpoint: 'https://idp.example/auth',
    token_endpoint: 'https://idp.example/token',
    jwks_uri: 'https://idp.example/jwks',
  },
  relayTokenEndpoint: 'http://localhost:5000/api/sessions/s1/token',
  relayJwksEndpoint: 'http://localhost:5000/api/sessions/s1/jwks',
};

function tokens(n: number, obtainedAt: number): TokenSet {
  return {
    sessionId: 's1',
    issuer: 'https://idp.example',
    clientId: 'c',
    sub: 'alice',
    idToken: `id-${n}`,
    accessToken: `at-${n}`,
    refreshToken: `rt-${n}`,
    tokenType: 'Bearer',
    scope: 'openid offline_access',
    expiresAt: obtainedAt + 10 * MIN,
    obtainedAt,
  };
}

const AUTH: AuthState = {
  status: 'authenticated',
  user: { sub: 'alice', name: 'Alice' },
  reason: null,
  sessionId: 's1',
  expiresAt: T0 + 10 * MIN,
  refreshAt: T0 + 9 * MIN,
  updatedAt: T0,
};

const local = () => fakeBrowser.local.snapshot() as Record<string, unknown>;

/** What the real refreshTokens does first: store the rotated refresh token. Then its answer. */
async function rotated(n: number, obtainedAt: number, claims: unknown = null) {
  const next = tokens(n, obtainedAt);
  const current = local().tokens as TokenSet;
  await fakeBrowser.local.set({ tokens: { ...current, refreshToken: next.refreshToken } });
  return { tokens: next, claims };
}
const auth = () => local().auth as AuthState;

beforeEach(() => {
  fakeBrowser.reset();
  fakes.alarms.clear();
  fakes.refreshTokens.mockReset();
  fakes.endSession.mockClear();
  vi.useFakeTimers({ now: T0, toFake: ['Date'] });
  fakeBrowser.local.seed({ auth: AUTH, tokens: tokens(1, T0), authContext: CONTEXT });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('checkSession', () => {
  it('only sets the alarm while nothing is due', async () => {
    expect(await checkSession('wake')).toBe('authenticated');
    expect(fakes.refreshTokens).not.toHaveBeenCalled();
    expect(fakes.alarms.get(REFRESH_ALARM)).toBe(T0 + 9 * MIN);
  });

  it('refreshes when due, stores the new tokens, and schedules the next refresh', async () => {
    vi.setSystemTime(T0 + 9 * MIN);
    fakes.refreshTokens.mockImplementation(() =>
      rotated(2, T0 + 9 * MIN, { sub: 'alice', iss: 'https://idp.example', name: 'Alice A.' }),
    );
    expect(await checkSession('alarm')).toBe('authenticated');
    expect(fakes.refreshTokens).toHaveBeenCalledWith(tokens(1, T0), CONTEXT);
    expect(local().tokens).toEqual(tokens(2, T0 + 9 * MIN));
    expect(auth()).toMatchObject({
      status: 'authenticated',
      reason: null,
      user: { sub: 'alice', name: 'Alice A.' },
      expiresAt: T0 + 19 * MIN,
      refreshAt: T0 + 18 * MIN,
    });
    expect(fakes.alarms.get(REFRESH_ALARM)).toBe(T0 + 18 * MIN);
  });

  it('several callers at once (alarm, worker start, popups) share one refresh', async () => {
    vi.setSystemTime(T0 + 9 * MIN);
    let finish: () => void = () => undefined;
    fakes.refreshTokens.mockImplementation(
      () =>
        new Promise((resolve) => {
          finish = () => resolve(rotated(2, T0 + 9 * MIN));
        }),
    );
    const all = Promise.all([
      checkSession('alarm'),
      checkSession('wake'),
      checkSession('popup'),
      checkSession('popup'),
    ]);
    await vi.waitFor(() => expect(fakes.refreshTokens).toHaveBeenCalledTimes(1));
    finish();
    expect(await all).toEqual(['authenticated', 'authenticated', 'authenticated', 'authenticated']);
    expect(fakes.refreshTokens).toHaveBeenCalledTimes(1);
    expect((local().tokens as TokenSet).refreshToken).toBe('rt-2');
  });

  it('arms a recovery alarm before the request, in case the worker is stopped mid-refresh', async () => {
    vi.setSystemTime(T0 + 9 * MIN);
    let seen: number | undefined;
    fakes.refreshTokens.mockImplementation(async () => {
      seen = fakes.alarms.get(REFRESH_ALARM);
      return rotated(2, T0 + 9 * MIN);
    });
    await checkSession('alarm');
    expect(seen).toBe(T0 + 9 * MIN + 2_000);
  });

  it('transient failures: keeps Authenticated until expiry, then Not Authenticated (provider unreachable), then recovers', async () => {
    vi.setSystemTime(T0 + 9 * MIN);
    fakes.refreshTokens.mockRejectedValue(
      new ErrorResponse({
        error: 'provider_unreachable',
        error_description:
          'Could not reach the provider at https://idp.example: connection refused',
      }),
    );
    expect(await checkSession('alarm')).toBe('authenticated');
    expect(local().refreshRetry).toMatchObject({ attempt: 1, nextAttemptAt: T0 + 9 * MIN + 2_000 });
    expect(auth()).toMatchObject({
      status: 'authenticated',
      reason: { code: 'provider_unreachable' },
      refreshAt: T0 + 9 * MIN + 2_000,
    });
    expect(fakes.alarms.get(REFRESH_ALARM)).toBe(T0 + 9 * MIN + 2_000);

    // Retries fail until the access token really expires.
    vi.setSystemTime(T0 + 10 * MIN);
    expect(await checkSession('alarm')).toBe('not_authenticated');
    expect(auth().reason?.code).toBe('provider_unreachable');
    expect(auth().reason?.message).toMatch(/^Provider unreachable: .*Retrying automatically/);
    expect((local().tokens as TokenSet).refreshToken).toBe('rt-1');
    expect((local().refreshRetry as { attempt: number }).attempt).toBe(2);
    expect(fakes.alarms.get(REFRESH_ALARM)).toBe(T0 + 10 * MIN + 4_000);

    // The provider is back: the next retry restores the session by itself.
    vi.setSystemTime(T0 + 10 * MIN + 4_000);
    fakes.refreshTokens.mockImplementation(() => rotated(2, T0 + 10 * MIN + 4_000));
    expect(await checkSession('alarm')).toBe('authenticated');
    expect(auth()).toMatchObject({ status: 'authenticated', reason: null, user: AUTH.user });
    expect(local().refreshRetry).toBeNull();
  });

  it('invalid_grant: Authentication Failed, tokens wiped, no retry alarm', async () => {
    vi.setSystemTime(T0 + 9 * MIN);
    fakes.refreshTokens.mockRejectedValue(
      new ErrorResponse({ error: 'invalid_grant', error_description: 'grant request is invalid' }),
    );
    expect(await checkSession('alarm')).toBe('failed');
    expect(auth()).toMatchObject({
      status: 'failed',
      user: null,
      reason: { code: 'invalid_grant' },
    });
    expect(auth().reason?.message).toMatch(/The provider ended the session/);
    expect(local().tokens).toBeUndefined();
    expect(local().authContext).toBeUndefined();
    expect(fakes.alarms.has(REFRESH_ALARM)).toBe(false);
    // The relay already marked its session failed when the provider said invalid_grant.
    expect(fakes.endSession).not.toHaveBeenCalled();
    expect(await checkSession('popup')).toBe('failed');
    expect(fakes.refreshTokens).toHaveBeenCalledTimes(1);
  });

  it('a refreshed ID token for another user: Authentication Failed, and the relay session ended', async () => {
    vi.setSystemTime(T0 + 9 * MIN);
    fakes.refreshTokens.mockRejectedValue(
      new CompanionError('invalid_id_token', 'it names a different user', {
        detail: 'sub_changed',
      }),
    );
    expect(await checkSession('alarm')).toBe('failed');
    expect(auth().reason?.code).toBe('invalid_id_token');
    expect(fakes.endSession).toHaveBeenCalledWith('s1');
  });

  it('drops a refresh whose tokens were replaced meanwhile (Logout, a new login)', async () => {
    vi.setSystemTime(T0 + 9 * MIN);
    fakes.refreshTokens.mockImplementation(async () => {
      await fakeBrowser.local.remove(['tokens', 'authContext']);
      await fakeBrowser.local.set({ auth: { ...AUTH, status: 'not_authenticated', user: null } });
      throw new RefreshSuperseded();
    });
    expect(await checkSession('alarm')).toBe('not_authenticated');
    expect(local().tokens).toBeUndefined();
    expect(fakes.alarms.has(REFRESH_ALARM)).toBe(false);
  });

  it('an expired token without a refresh token ends the session', async () => {
    fakeBrowser.local.seed({ tokens: { ...tokens(1, T0), refreshToken: null } });
    vi.setSystemTime(T0 + 10 * MIN);
    expect(await checkSession('wake')).toBe('not_authenticated');
    expect(auth().reason?.code).toBe('session_expired');
    expect(fakes.refreshTokens).not.toHaveBeenCalled();
    expect(fakes.endSession).toHaveBeenCalledWith('s1');
  });
});
