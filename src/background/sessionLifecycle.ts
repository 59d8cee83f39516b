/**
 * The token lifecycle in the worker: read storage, ask refreshPolicy.nextStep
 * what to do, do it, repeat until the answer is an alarm or nothing. Runs on
 * the refresh alarm, at every worker start, at browser start, and when a
 * popup asks; always under the lifecycle lock, so however many of those
 * arrive together, one refresh reaches the relay. Nothing here lives in
 * module state: a worker stopped at any point resumes from storage.
 */
import type { AuthStatus, RefreshRetry } from '../shared/auth.ts';
import { CompanionError } from '../shared/errors.ts';
import * as storage from '../shared/storage.ts';
import { ALARMS, cancel, scheduleAt } from './alarms.ts';
import {
  markRefreshed,
  markRetrying,
  markSignedOut,
  markUnreachable,
  userFromClaims,
} from './authState.ts';
import { classifyRefreshError } from './refreshErrors.ts';
import {
  type LifecycleState,
  nextStep,
  recoveryAt,
  retryAfterFailure,
  type Trigger,
  tokenLifetime,
} from './refreshPolicy.ts';
import { relay } from './relayClient.ts';
import { withLifecycleLock } from './singleFlight.ts';
import { RefreshSuperseded, refreshTokens, stillCurrent } from './tokenRefresh.ts';

/** More steps than any real sequence needs (refresh, expire, wait); a guard against a loop. */
const MAX_STEPS = 6;

async function readState(): Promise<LifecycleState & { retry: RefreshRetry | null }> {
  const [auth, tokens, context, retry] = await Promise.all([
    storage.read('auth'),
    storage.read('tokens'),
    storage.read('authContext'),
    storage.read('refreshRetry'),
  ]);
  return {
    status: auth.status,
    tokens:
      tokens === null
        ? null
        : {
            obtainedAt: tokens.obtainedAt,
            expiresAt: tokens.expiresAt,
            hasRefreshToken: tokens.refreshToken !== null,
          },
    hasContext: context !== null && tokens !== null && context.sessionId === tokens.sessionId,
    retry,
  };
}

/**
 * Brings the session up to date: refreshes if due, marks expiry, and sets the
 * alarm for the next time something is due. Returns the resulting status.
 */
export async function checkSession(trigger: Trigger): Promise<AuthStatus> {
  return withLifecycleLock(async () => {
    let asked = trigger;
    for (let i = 0; i < MAX_STEPS; i++) {
      const state = await readState();
      const step = nextStep(state, Date.now(), asked);
      if (step.kind === 'idle') {
        await cancel(ALARMS.refresh);
        break;
      }
      if (step.kind === 'wait') {
        await scheduleAt(ALARMS.refresh, step.until);
        break;
      }
      if (step.kind === 'expire') {
        await expire(step.reason, state.retry);
        continue;
      }
      await attemptRefresh();
      // A popup's "now" is used up by this attempt; later steps follow the schedule.
      asked = 'alarm';
    }
    return (await storage.read('auth')).status;
  });
}

async function expire(reason: 'no_refresh' | 'unreachable', retry: RefreshRetry | null) {
  if (reason === 'unreachable' && retry !== null) {
    await markUnreachable(retry);
    return;
  }
  const tokens = await storage.read('tokens');
  if (tokens) await relay.endSession(tokens.sessionId).catch(() => undefined);
  await markSignedOut(
    'not_authenticated',
    new CompanionError(
      'session_expired',
      'The session expired and the provider gave no refresh token to renew it. Log in again.',
    ),
  );
}

async function attemptRefresh(): Promise<void> {
  const [tokens, context, retry] = await Promise.all([
    storage.read('tokens'),
    storage.read('authContext'),
    storage.read('refreshRetry'),
  ]);
  if (tokens === null || context === null) return;
  const lifetime = tokenLifetime(tokens);
  // If the browser stops the worker mid-request, this alarm brings it back to
  // retry; the relay answers the same refresh token from its cache (refreshGate.ts).
  await scheduleAt(ALARMS.refresh, recoveryAt(retry, Date.now(), lifetime));

  let refreshed: Awaited<ReturnType<typeof refreshTokens>>;
  try {
    refreshed = await refreshTokens(tokens, context);
  } catch (err) {
    if (err instanceof RefreshSuperseded) return;
    await onFailure(err, retry, lifetime);
    return;
  }
  // Logout or a new login may have replaced the tokens meanwhile: then this result is stale.
  if (!stillCurrent(await storage.read('tokens'), refreshed.tokens)) return;
  const auth = await storage.read('auth');
  const user =
    refreshed.claims !== null
      ? userFromClaims(refreshed.claims)
      : (auth.user ?? { sub: refreshed.tokens.sub });
  await markRefreshed(refreshed.tokens, user);
}

async function onFailure(
  err: unknown,
  retry: RefreshRetry | null,
  lifetime: number,
): Promise<void> {
  const failure = classifyRefreshError(err);
  // Only if the tokens are still those that failed (a logout may have cleared them).
  const current = await storage.read('tokens');
  if (current === null) return;
  if (failure.kind === 'transient') {
    await markRetrying(retryAfterFailure(retry, Date.now(), lifetime, failure.error.toJSON()));
    return;
  }
  // Revoked at the provider (the relay has marked its session failed) or
  // unusable: Authentication Failed, every token wiped, no retry, no tab.
  // A revoked grant's session is already marked failed at the relay, secret wiped;
  // for other fatal failures the relay knows nothing yet: end the session there.
  if (failure.kind === 'fatal') await relay.endSession(current.sessionId).catch(() => undefined);
  await markSignedOut('failed', failure.error);
}
