import { describe, expect, it } from 'vitest';
import {
  authorityError,
  discoveryUrl,
  hasErrors,
  normalizeAuthority,
  validateSettingsForm,
} from '../../src/shared/settings.ts';

describe('authorityError', () => {
  it.each([
    'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
    'https://dev-123.okta.com/oauth2/default',
    'http://127.0.0.1:4000',
    'http://localhost:4000/oidc',
    'http://[::1]:4000/',
  ])('accepts %s', (url) => {
    expect(authorityError(url)).toBeNull();
  });

  it.each([
    ['', /Enter the Authority URL/],
    ['login.okta.com', /absolute URL/],
    ['ftp://login.okta.com', /https/],
    ['http://login.okta.com', /http:\/\/ is allowed only for localhost/],
    ['https://user:pw@login.okta.com', /user name or password/],
    ['https://login.okta.com/?x=1', /query/],
    ['https://login.okta.com/#frag', /fragment/],
  ])('rejects %j', (url, message) => {
    expect(authorityError(url)).toMatch(message);
  });
});

describe('discoveryUrl', () => {
  it('appends the well-known path once, keeping the authority path (Okta custom servers)', () => {
    expect(discoveryUrl('https://x.okta.com/oauth2/default')).toBe(
      'https://x.okta.com/oauth2/default/.well-known/openid-configuration',
    );
    expect(discoveryUrl('https://x.okta.com/oauth2/default/.well-known/openid-configuration')).toBe(
      'https://x.okta.com/oauth2/default/.well-known/openid-configuration',
    );
    expect(discoveryUrl('https://login.microsoftonline.com/t/v2.0/')).toBe(
      'https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration',
    );
  });

  it('normalizes a pasted discovery URL back to the authority', () => {
    expect(normalizeAuthority(' https://x.okta.com/.well-known/openid-configuration ')).toBe(
      'https://x.okta.com/',
    );
  });
});

describe('validateSettingsForm', () => {
  const ok = {
    nickname: 'Okta',
    authority: 'https://x.okta.com',
    clientId: 'abc',
    clientSecret: 's',
  };
  it('accepts a complete form', () => {
    expect(hasErrors(validateSettingsForm(ok))).toBe(false);
  });
  it('requires client id and secret after trimming', () => {
    const errors = validateSettingsForm({ ...ok, clientId: '  ', clientSecret: ' ' });
    expect(errors.clientId).toMatch(/Client ID/);
    expect(errors.clientSecret).toMatch(/Client Secret/);
  });
  it('accepts an empty secret when the repository holds one', () => {
    expect(
      validateSettingsForm({ ...ok, clientSecret: '' }, { secretStored: true }).clientSecret,
    ).toBeUndefined();
  });
});
