/**
 * The message after Logout: everything local is always cleared; what the
 * provider did with the tokens (RFC 7009 revocation) and its own session
 * (RP-initiated logout) is said plainly, Entra ID's lack of a revocation
 * endpoint included. Pure, for unit tests.
 */
import type { LogoutResult } from '../shared/messages.ts';
import type { Notice } from './formState.ts';

export const LOGGED_OUT = 'Logged out. All tokens and session data were cleared.';

export function logoutNotice(result: LogoutResult, now: number): Notice {
  const parts = [LOGGED_OUT];
  let kind: Notice['kind'] = 'success';
  switch (result.revocation) {
    case 'revoked':
      parts.push('The provider revoked the refresh and access tokens.');
      break;
    case 'not_supported':
      kind = 'info';
      parts.push(
        'This provider offers no token revocation (Entra ID has none): the tokens it issued stay valid there until they expire.',
      );
      break;
    case 'failed':
      kind = 'info';
      parts.push(
        `The tokens could not be revoked at the provider${result.revocationError ? ` (${result.revocationError.message.replace(/\.$/, '')})` : ''}; they stay valid there until they expire.`,
      );
      break;
    default:
      break;
  }
  if (result.providerLogout === 'opened') {
    parts.push('Finish signing out at the provider in the tab that opened.');
  } else if (result.providerLogout === 'not_supported') {
    kind = 'info';
    parts.push(
      'The provider offers no sign-out page (end_session_endpoint), so your session there stays open.',
    );
  }
  return {
    kind,
    text: parts.join(' '),
    code: result.revocation === 'failed' ? result.revocationError?.code : undefined,
    at: now,
  };
}
