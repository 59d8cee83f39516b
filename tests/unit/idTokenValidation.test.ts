import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allowedAlgorithms,
  isUnknownKeyError,
  validateIdToken,
} from '../../src/background/idTokenValidation.ts';
import { CompanionError } from '../../src/shared/errors.ts';

const ISSUER = 'https://idp.example.com/oauth2/default';
const CLIENT = 'client-123';
let jwks: JSONWebKeySet;
let privateKey: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = await exportJWK(pair.publicKey);
  jwks = { keys: [{ ...jwk, kid: 'k1', alg: 'RS256', use: 'sig' }] };
});

function sign(
  claims: JWTPayload,
  opts: { kid?: string; key?: CryptoKey; iat?: number; exp?: number | null } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ nonce: 'n-1', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuedAt(opts.iat ?? now);
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? now + 300);
  return jwt.sign(opts.key ?? privateKey);
}

const base = { iss: ISSUER, aud: CLIENT, sub: 'user-1' };
const expect1 = { issuer: ISSUER, clientId: CLIENT, nonce: 'n-1' };

async function rejection(p: Promise<unknown>): Promise<CompanionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CompanionError);
    return err as CompanionError;
  }
  throw new Error('expected a rejection');
}

describe('validateIdToken', () => {
  it('accepts a valid token and returns its claims', async () => {
    const claims = await validateIdToken(await sign({ ...base, email: 'a@x' }), jwks, expect1);
    expect(claims.sub).toBe('user-1');
    expect(claims.email).toBe('a@x');
  });

  it('accepts aud as a one-element array', async () => {
    await expect(
      validateIdToken(await sign({ ...base, aud: [CLIENT] }), jwks, expect1),
    ).resolves.toBeTruthy();
  });

  it.each([
    ['wrong issuer', { ...base, iss: 'https://evil.example.com' }],
    ['wrong audience', { ...base, aud: 'other-client' }],
    ['missing audience', { iss: ISSUER, sub: 'user-1' }],
    ['missing sub', { iss: ISSUER, aud: CLIENT }],
    ['wrong nonce', { ...base, nonce: 'n-2' }],
    ['several audiences without azp', { ...base, aud: [CLIENT, 'other'] }],
    ['azp of another client', { ...base, azp: 'other' }],
  ])('rejects %s with invalid_id_token', async (_name, claims) => {
    const err = await rejection(validateIdToken(await sign(claims as JWTPayload), jwks, expect1));
    expect(err.code).toBe('invalid_id_token');
  });

  it('accepts several audiences when azp is our client', async () => {
    const token = await sign({ ...base, aud: [CLIENT, 'other'], azp: CLIENT });
    await expect(validateIdToken(token, jwks, expect1)).resolves.toBeTruthy();
  });

  it('rejects an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await rejection(
      validateIdToken(await sign(base, { iat: now - 1000, exp: now - 600 }), jwks, expect1),
    );
    expect(err.message).toMatch(/expired/);
  });

  it('rejects a token without exp', async () => {
    const err = await rejection(validateIdToken(await sign(base, { exp: null }), jwks, expect1));
    expect(err.message).toMatch(/exp/);
  });

  it('rejects iat in the future beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await rejection(
      validateIdToken(await sign(base, { iat: now + 3600, exp: now + 7200 }), jwks, expect1),
    );
    expect(err.code).toBe('invalid_id_token');
  });

  it('rejects a token signed by another key with the same kid', async () => {
    const err = await rejection(
      validateIdToken(await sign(base, { key: otherKey }), jwks, expect1),
    );
    expect(err.message).toMatch(/signature/);
  });

  it('flags an unknown kid so the caller can refetch the JWKS once', async () => {
    const err = await rejection(
      validateIdToken(await sign(base, { kid: 'rotated' }), jwks, expect1),
    );
    expect(isUnknownKeyError(err)).toBe(true);
  });

  it('rejects alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from(
      JSON.stringify({ ...base, nonce: 'n-1', iat: now, exp: now + 60 }),
    ).toString('base64url');
    const err = await rejection(validateIdToken(`${header}.${body}.`, jwks, expect1));
    expect(err.code).toBe('invalid_id_token');
  });

  it('on refresh, rejects a different sub than the original', async () => {
    const err = await rejection(
      validateIdToken(await sign({ ...base, sub: 'mallory' }), jwks, {
        ...expect1,
        original: { sub: 'user-1', iss: ISSUER },
      }),
    );
    expect(err.detail).toBe('sub_changed');
  });
});

describe('allowedAlgorithms', () => {
  it('defaults to RS256 and never allows none', () => {
    expect(allowedAlgorithms(undefined)).toEqual(['RS256']);
    expect(allowedAlgorithms(['none'])).toEqual(['RS256']);
    expect(allowedAlgorithms(['RS256', 'none', 'ES256'])).toEqual(['RS256', 'ES256']);
  });
});
