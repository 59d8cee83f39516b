import { ErrorResponse } from 'oidc-client-ts';
import { describe, expect, it } from 'vitest';
import { fromProviderError, fromSigninError } from '../../src/background/providerErrors.ts';
import { CompanionError } from '../../src/shared/errors.ts';

describe('fromProviderError', () => {
  it('names wrong client credentials in words a DBA understands', () => {
    const e = fromProviderError(
      { error: 'invalid_client', error_description: 'client authentication failed' },
      'token',
    );
    expect(e.code).toBe('invalid_client');
    expect(e.message).toMatch(/Client ID and Client Secret/);
    expect(e.message).toMatch(/client authentication failed/);
    expect(e.detail).toBe('invalid_client: client authentication failed');
  });

  it('maps access_denied at the authorize step', () => {
    expect(fromProviderError({ error: 'access_denied' }, 'authorize').code).toBe('access_denied');
  });

  it('keeps unknown codes visible', () => {
    const e = fromProviderError({ error: 'server_error' }, 'token');
    expect(e.code).toBe('token_request_failed');
    expect(e.message).toMatch(/server_error/);
  });
});

describe('fromSigninError', () => {
  it('treats an ErrorResponse with a form as a token endpoint error', () => {
    const err = new ErrorResponse(
      { error: 'invalid_grant', error_description: 'grant request is invalid' },
      new URLSearchParams(),
    );
    expect(fromSigninError(err).code).toBe('invalid_grant');
  });

  it('maps an unknown state to state_mismatch', () => {
    expect(fromSigninError(new Error('No matching state found in storage')).code).toBe(
      'state_mismatch',
    );
  });

  it('passes CompanionErrors through unchanged', () => {
    const original = new CompanionError('iss_mismatch', 'x');
    expect(fromSigninError(original)).toBe(original);
  });
});
