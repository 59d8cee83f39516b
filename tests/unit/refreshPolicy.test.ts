/**
 * The refresh schedule and the lifecycle state machine, as pure functions of
 * stored state and a fixed clock.
 */
import { describe, expect, it } from 'vitest';
import {
  ASSUMED_LIFETIME_MS,
  BACKOFF_MAX_MS,
  backoffDelay,
  CLOCK_JUMP_TOLERANCE_MS,
  INTERACTIVE_RETRY_GAP_MS,
  type LifecycleState,
  nextStep,
  recoveryAt,
  refreshDueAt,
  refreshMargin,
  retryAfterFailure,
  tokenLifetime,
} from '../../src/background/refreshPolicy.ts';
import { type AuthState, SIGNED_OUT, sessionCheckDue } from '../../src/shared/auth.ts';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MIN = 60_000;
const ERR = { code: 'provider_unreachable' as const, message: 'down' };

function state(overrides: Partial<LifecycleState> = {}, lifetimeMs = 60 * MIN): LifecycleState {
  return {
    status: 'authenticated',
    tokens: { obtainedAt: T0, expiresAt: T0 + lifetimeMs, hasRefreshToken: true },
    hasContext: true,
    retry: null,
    ...overrides,
  };
}

describe('refresh schedule', () => {
  it('refreshes 10% of the lifetime before expiry', () => {
    expect(refreshDueAt({ obtainedAt: T0, expiresAt: T0 + 60 * MIN })).toBe(T0 + 54 * MIN);
  });

  it('refreshes at least 30 s before expiry', () => {
    // Okta's and Entra's short-lived tokens: 5 minutes -> 30 s margin, not 30 s * 10%.
    expect(refreshMargin(5 * MIN)).toBe(30_000);
    expect(refreshDueAt({ obtainedAt: T0, expiresAt: T0 + 5 * MIN })).toBe(T0 + 4.5 * MIN);
  });

  it('never refreshes in the first half of a very short lifetime', () => {
    // A 6 s test token: refresh at 3 s, not immediately (30 s margin > lifetime).
    expect(refreshDueAt({ obtainedAt: T0, expiresAt: T0 + 6_000 })).toBe(T0 + 3_000);
    // Absurd lifetimes never produce a refresh loop.
    expect(refreshDueAt({ obtainedAt: T0, expiresAt: T0 })).toBe(T0 + 1_000);
    expect(refreshDueAt({ obtainedAt: T0, expiresAt: T0 - 10_000 })).toBe(T0 + 1_000);
  });

  it('assumes an hour when the provider sends no expires_in', () => {
    expect(tokenLifetime({ obtainedAt: T0, expiresAt: null })).toBe(ASSUMED_LIFETIME_MS);
    expect(refreshDueAt({ obtainedAt: T0, expiresAt: null })).toBe(T0 + 54 * MIN);
  });

  it('backs off exponentially, capped at half the lifetime (5 s to 5 min)', () => {
    const hour = 60 * MIN;
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, hour))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000,
    ]);
    expect(backoffDelay(20, hour)).toBe(BACKOFF_MAX_MS);
    expect(backoffDelay(2000, hour)).toBe(BACKOFF_MAX_MS);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 6_000))).toEqual([2_000, 4_000, 5_000, 5_000]);
  });

  it('counts failures in the retry record', () => {
    const first = retryAfterFailure(null, T0, 60 * MIN, ERR);
    expect(first).toEqual({
      attempt: 1,
      lastAttemptAt: T0,
      nextAttemptAt: T0 + 2_000,
      lastError: ERR,
    });
    const second = retryAfterFailure(first, T0 + 2_000, 60 * MIN, ERR);
    expect(second).toMatchObject({ attempt: 2, nextAttemptAt: T0 + 6_000 });
    // A refresh that never reports back is retried when the next failure would be.
    expect(recoveryAt(first, T0 + 2_000, 60 * MIN)).toBe(second.nextAttemptAt);
  });
});

describe('nextStep', () => {
  it('waits for the due time, then refreshes', () => {
    expect(nextStep(state(), T0 + MIN, 'alarm')).toEqual({ kind: 'wait', until: T0 + 54 * MIN });
    expect(nextStep(state(), T0 + 54 * MIN, 'alarm')).toEqual({ kind: 'refresh' });
    // A popup or a worker start asks no differently: not due is not due.
    expect(nextStep(state(), T0 + MIN, 'popup')).toEqual({ kind: 'wait', until: T0 + 54 * MIN });
  });

  it('refreshes an expired access token at once (worker or browser start after a long sleep)', () => {
    expect(nextStep(state(), T0 + 3 * 60 * MIN, 'startup')).toEqual({ kind: 'refresh' });
    expect(nextStep(state(), T0 + 3 * 60 * MIN, 'wake')).toEqual({ kind: 'refresh' });
  });

  it('refreshes when the clock went back (timing untrustworthy), tolerating small skew', () => {
    expect(nextStep(state(), T0 - CLOCK_JUMP_TOLERANCE_MS - 1, 'wake')).toEqual({
      kind: 'refresh',
    });
    expect(nextStep(state(), T0 - 60_000, 'wake')).toEqual({
      kind: 'wait',
      until: T0 + 54 * MIN,
    });
  });

  it('is idle with no tokens', () => {
    expect(nextStep(state({ tokens: null, status: 'not_authenticated' }), T0, 'alarm')).toEqual({
      kind: 'idle',
    });
  });

  it('without a refresh token: waits for expiry, then the session is over', () => {
    const s = state({ tokens: { obtainedAt: T0, expiresAt: T0 + MIN, hasRefreshToken: false } });
    expect(nextStep(s, T0, 'alarm')).toEqual({ kind: 'wait', until: T0 + MIN });
    expect(nextStep(s, T0 + MIN, 'alarm')).toEqual({ kind: 'expire', reason: 'no_refresh' });
    // Tokens from before this version (no login context kept): same.
    expect(nextStep(state({ hasContext: false }), T0 + 61 * MIN, 'alarm')).toEqual({
      kind: 'expire',
      reason: 'no_refresh',
    });
  });

  describe('while refreshes fail transiently', () => {
    const retry = retryAfterFailure(null, T0 + 54 * MIN, 60 * MIN, ERR); // next at +54m02s

    it('keeps Authenticated and retries on schedule before expiry', () => {
      expect(nextStep(state({ retry }), T0 + 54 * MIN + 1_000, 'alarm')).toEqual({
        kind: 'wait',
        until: retry.nextAttemptAt,
      });
      expect(nextStep(state({ retry }), retry.nextAttemptAt, 'alarm')).toEqual({ kind: 'refresh' });
    });

    it('wakes up at expiry if that comes before the next retry', () => {
      const late = { ...retry, nextAttemptAt: T0 + 62 * MIN };
      expect(nextStep(state({ retry: late }), T0 + 59 * MIN, 'alarm')).toEqual({
        kind: 'wait',
        until: T0 + 60 * MIN,
      });
      // "Keep the status until the access token actually expires", then say so.
      expect(nextStep(state({ retry: late }), T0 + 60 * MIN, 'alarm')).toEqual({
        kind: 'expire',
        reason: 'unreachable',
      });
    });

    it('once expired, keeps retrying with the refresh token it kept', () => {
      const late = { ...retry, nextAttemptAt: T0 + 62 * MIN };
      const down = state({ status: 'not_authenticated', retry: late });
      expect(nextStep(down, T0 + 61 * MIN, 'alarm')).toEqual({
        kind: 'wait',
        until: T0 + 62 * MIN,
      });
      expect(nextStep(down, T0 + 62 * MIN, 'alarm')).toEqual({ kind: 'refresh' });
    });

    it('a popup asking retries at once, but not twice within the gap', () => {
      const late = { ...retry, lastAttemptAt: T0 + 60 * MIN, nextAttemptAt: T0 + 65 * MIN };
      const down = state({ status: 'not_authenticated', retry: late });
      expect(nextStep(down, T0 + 60 * MIN + INTERACTIVE_RETRY_GAP_MS, 'popup')).toEqual({
        kind: 'refresh',
      });
      expect(nextStep(down, T0 + 60 * MIN + 500, 'popup')).toEqual({
        kind: 'wait',
        until: T0 + 65 * MIN,
      });
      expect(nextStep(down, T0 + 61 * MIN, 'alarm')).toEqual({
        kind: 'wait',
        until: T0 + 65 * MIN,
      });
    });
  });
});

describe('sessionCheckDue (the popup asks the background only when needed)', () => {
  const auth = (over: Partial<AuthState>): AuthState => ({
    ...SIGNED_OUT,
    status: 'authenticated',
    user: { sub: 'u' },
    refreshAt: T0 + MIN,
    ...over,
  });

  it('not before the refresh is due', () => {
    expect(sessionCheckDue(auth({}), T0)).toBe(false);
    expect(sessionCheckDue(auth({}), T0 + MIN)).toBe(true);
  });

  it('at once while refreshes are failing (the user is looking)', () => {
    expect(sessionCheckDue(auth({ reason: ERR }), T0)).toBe(true);
    expect(sessionCheckDue(auth({ status: 'not_authenticated', reason: ERR }), T0)).toBe(true);
  });

  it('never when signed out, failed, or from an older version without a schedule', () => {
    expect(sessionCheckDue(SIGNED_OUT, T0)).toBe(false);
    expect(sessionCheckDue(auth({ status: 'failed', refreshAt: null, reason: ERR }), T0)).toBe(
      false,
    );
    expect(sessionCheckDue(auth({ refreshAt: undefined }), T0 + 99 * MIN)).toBe(false);
  });
});
