import { vi } from 'vitest';

vi.mock('webextension-polyfill', () => ({ default: {} }));

import { ErrorResponse, ErrorTimeout } from 'oidc-client-ts';
import { describe, expect, it } from 'vitest';
import { abandonReason } from '../../src/background/loginCleanup.ts';
import { classifyRefreshError } from '../../src/background/refreshErrors.ts';
import type { PendingLogin } from '../../src/shared/auth.ts';
import { CompanionError } from '../../src/shared/errors.ts';

const oauth = (error: string, error_description?: string) =>
  new ErrorResponse({ error, error_description }, new URLSearchParams());

describe('classifyRefreshError', () => {
  it('invalid_grant from the provider is a revocation, with the reason in plain words', () => {
    const f = classifyRefreshError(oauth('invalid_grant', 'grant request is invalid'));
    expect(f.kind).toBe('revoked');
    expect(f.error.code).toBe('invalid_grant');
    expect(f.error.message).toMatch(/The provider ended the session/);
    expect(f.error.message).toContain('grant request is invalid');
  });

  it.each([
    ['provider_unreachable'],
    ['token_request_failed'],
    ['server_error'],
    ['temporarily_unavailable'],
    ['internal'],
  ])('%s (relay or provider trouble) is transient', (code) => {
    expect(classifyRefreshError(oauth(code, 'down')).kind).toBe('transient');
  });

  it.each([
    ['invalid_client'],
    ['unauthorized_client'],
    ['invalid_id_token'],
    ['relay_unpaired'],
    ['not_found'],
    ['invalid_scope'],
  ])('%s cannot get better by retrying: fatal', (code) => {
    expect(classifyRefreshError(oauth(code, 'no')).kind).toBe('fatal');
  });

  it('a relay that is not listening (fetch TypeError) or a timeout is transient', () => {
    const down = classifyRefreshError(new TypeError('Failed to fetch'));
    expect(down).toMatchObject({ kind: 'transient', error: { code: 'relay_unreachable' } });
    expect(classifyRefreshError(new ErrorTimeout('Network timed out')).kind).toBe('transient');
  });

  it("oidc-client-ts's own checks of the refreshed ID token are fatal (OIDC Core 12.2)", () => {
    const f = classifyRefreshError(new Error('sub in id_token does not match current sub'));
    expect(f).toMatchObject({ kind: 'fatal', error: { code: 'invalid_id_token' } });
  });

  it('our ID token validation and JWKS fetch keep their codes', () => {
    expect(
      classifyRefreshError(new CompanionError('invalid_id_token', 'different user')).kind,
    ).toBe('fatal');
    expect(classifyRefreshError(new CompanionError('provider_unreachable', 'jwks down')).kind).toBe(
      'transient',
    );
    expect(classifyRefreshError(new CompanionError('relay_unreachable', 'relay down')).kind).toBe(
      'transient',
    );
  });

  it('anything unexpected is retried with backoff, never a dead end', () => {
    const f = classifyRefreshError(new Error('Invalid response Content-Type: text/html'));
    expect(f).toMatchObject({ kind: 'transient', error: { code: 'token_request_failed' } });
  });
});

describe('abandonReason (abandoned logins)', () => {
  const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
  const TEN_MIN = 10 * 60_000;
  const pending = { state: 's', tabId: 7, createdAt: T0 } as PendingLogin;

  it('closing the login tab abandons it; closing another tab does not', () => {
    expect(abandonReason(pending, { kind: 'tabRemoved', tabId: 7 }, T0, TEN_MIN)).toBe(
      'tab_closed',
    );
    expect(abandonReason(pending, { kind: 'tabRemoved', tabId: 8 }, T0, TEN_MIN)).toBeNull();
  });

  it('the deadline alarm abandons it only once 10 minutes have passed', () => {
    expect(abandonReason(pending, { kind: 'deadline' }, T0 + TEN_MIN - 1, TEN_MIN)).toBeNull();
    expect(abandonReason(pending, { kind: 'deadline' }, T0 + TEN_MIN, TEN_MIN)).toBe('timed_out');
  });

  it('a browser restart abandons it (tab ids do not survive)', () => {
    expect(abandonReason(pending, { kind: 'browserStart' }, T0, TEN_MIN)).toBe('browser_restarted');
  });

  it('a worker start settles what happened while it was stopped', () => {
    const start = (tabExists: boolean, now = T0) =>
      abandonReason(pending, { kind: 'workerStart', tabExists }, now, TEN_MIN);
    expect(start(true)).toBeNull();
    expect(start(false)).toBe('tab_closed');
    expect(start(true, T0 + TEN_MIN)).toBe('timed_out');
    // The tab is being opened right now: not abandoned.
    expect(
      abandonReason({ ...pending, tabId: null }, { kind: 'workerStart', tabExists: false }, T0),
    ).toBeNull();
  });

  it('nothing to abandon without a pending login', () => {
    expect(abandonReason(null, { kind: 'browserStart' }, T0)).toBeNull();
  });
});
