import { describe, expect, it } from 'vitest';
import { isCallbackUrl, responseUrl } from '../../src/callback/callbackUrl.ts';

describe('isCallbackUrl', () => {
  it.each([
    ['http://localhost:5000/callback/', 5000, true],
    ['http://127.0.0.1:5000/callback/', 5000, true],
    ['http://localhost:5000/callback/?x=1', 5000, true],
    ['http://localhost:5001/callback/', 5000, false],
    ['http://localhost:5000/callback', 5000, false],
    ['https://localhost:5000/callback/', 5000, false],
    ['http://evil.example:5000/callback/', 5000, false],
    ['not a url', 5000, false],
    [undefined, 5000, false],
  ])('%s on port %d -> %s', (url, port, expected) => {
    expect(isCallbackUrl(url, port)).toBe(expected);
  });
});

describe('responseUrl', () => {
  it('puts the parameters in the query of the redirect URI, encoded', () => {
    const url = responseUrl('http://localhost:5000/callback/', {
      code: 'a b&c',
      state: 's',
      iss: 'https://i/',
    });
    const parsed = new URL(url);
    expect(parsed.pathname).toBe('/callback/');
    expect(parsed.searchParams.get('code')).toBe('a b&c');
    expect(parsed.searchParams.get('iss')).toBe('https://i/');
  });
});
