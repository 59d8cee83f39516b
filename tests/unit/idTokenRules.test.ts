/**
 * src/shared/idToken.ts, the one ID token validator the background and the
 * relay share (OpenID Connect Core 1.0 section 3.1.3.7, 12.2): each
 * conformance failure maps to its stable reason code (CompanionError.detail)
 * and a sentence a DBA can act on.
 */
import {
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { CompanionError } from '../../src/shared/errors.ts';
import {
  allowedAlgorithms,
  checkIdTokenClaims,
  type IdTokenExpectations,
  type IdTokenReason,
  isUnknownKeyError,
  MAX_ID_TOKEN_AGE_SECONDS,
  validateIdToken,
} from '../../src/shared/idToken.ts';

const ISSUER = 'https://login.example.com/oauth2/default';
const CLIENT = 'client-1';
let jwks: JSONWebKeySet;
let rsa: CryptoKey;
let ec: CryptoKey;
let stranger: CryptoKey;

beforeAll(async () => {
  const r = await generateKeyPair('RS256', { extractable: true });
  const e = await generateKeyPair('ES256', { extractable: true });
  rsa = r.privateKey;
  ec = e.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  jwks = {
    keys: [
      { ...(await exportJWK(r.publicKey)), kid: 'rs', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(e.publicKey)), kid: 'es', alg: 'ES256', use: 'sig' },
    ],
  };
});

const now = () => Math.floor(Date.now() / 1000);
const good = (): JWTPayload => ({
  iss: ISSUER,
  sub: 'alice',
  aud: CLIENT,
  iat: now(),
  exp: now() + 300,
  nonce: 'n1',
});
const expectations: IdTokenExpectations = {
  issuer: ISSUER,
  clientId: CLIENT,
  nonce: 'n1',
  algorithms: ['RS256', 'ES256'],
};

function without(claims: JWTPayload, ...names: string[]): JWTPayload {
  const out = { ...claims };
  for (const n of names) delete out[n];
  return out;
}

function sign(
  claims: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
  key: CryptoKey | Uint8Array = rsa,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rs', ...header }).sign(key);
}

async function reason(token: Promise<string> | string, expect_ = expectations): Promise<string> {
  try {
    await validateIdToken(await token, jwks, expect_);
  } catch (err) {
    expect(err).toBeInstanceOf(CompanionError);
    expect((err as CompanionError).code).toBe('invalid_id_token');
    expect((err as CompanionError).message).toMatch(/^The provider's ID token was rejected: /);
    return (err as CompanionError).detail ?? '';
  }
  throw new Error('expected a rejection');
}

describe('validateIdToken: conformance failures and their reasons', () => {
  it('accepts the valid control, RS256 and ES256', async () => {
    expect((await validateIdToken(await sign(good()), jwks, expectations)).sub).toBe('alice');
    const es = await sign(good(), { alg: 'ES256', kid: 'es' }, ec);
    expect((await validateIdToken(es, jwks, expectations)).sub).toBe('alice');
  });

  it('accepts aud as a one-element array', async () => {
    await expect(
      validateIdToken(await sign({ ...good(), aud: [CLIENT] }), jwks, expectations),
    ).resolves.toBeTruthy();
  });

  const cases: [string, () => Promise<string> | string, IdTokenReason][] = [
    ['iss mismatch', () => sign({ ...good(), iss: 'https://evil.example' }), 'iss_mismatch'],
    ['aud wrong', () => sign({ ...good(), aud: 'other' }), 'aud_mismatch'],
    ['aud missing', () => sign(without(good(), 'aud')), 'claim_missing'],
    ['sub missing', () => sign(without(good(), 'sub')), 'sub_missing'],
    ['iat missing', () => sign(without(good(), 'iat')), 'claim_missing'],
    ['exp missing', () => sign(without(good(), 'exp')), 'claim_missing'],
    ['expired', () => sign({ ...good(), iat: now() - 900, exp: now() - 600 }), 'expired'],
    [
      'iat in the future',
      () => sign({ ...good(), iat: now() + 3600, exp: now() + 7200 }),
      'iat_in_future',
    ],
    [
      'issued too long ago',
      () => sign({ ...good(), iat: now() - MAX_ID_TOKEN_AGE_SECONDS - 600, exp: now() + 60 }),
      'too_old',
    ],
    ['nbf in the future', () => sign({ ...good(), nbf: now() + 3600 }), 'not_yet_valid'],
    ['nonce wrong', () => sign({ ...good(), nonce: 'n2' }), 'nonce_mismatch'],
    ['nonce missing', () => sign(without(good(), 'nonce')), 'nonce_mismatch'],
    ['several audiences, no azp', () => sign({ ...good(), aud: [CLIENT, 'api'] }), 'azp_mismatch'],
    ['azp of another client', () => sign({ ...good(), azp: 'other' }), 'azp_mismatch'],
    [
      'signature by another key under our kid',
      () => sign(good(), {}, stranger),
      'signature_invalid',
    ],
    [
      'signature corrupted',
      async () => {
        const [h, p, s] = (await sign(good())).split('.');
        const sig = Buffer.from(s ?? '', 'base64url');
        sig[10] = (sig[10] ?? 0) ^ 0xff;
        return `${h}.${p}.${sig.toString('base64url')}`;
      },
      'signature_invalid',
    ],
    [
      'alg none',
      () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(good())).toString('base64url')}.`,
      'alg_not_allowed',
    ],
    [
      'HS256 with a guessable secret (algorithm confusion)',
      () =>
        new SignJWT(good())
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode('the-client-secret')),
      'alg_not_allowed',
    ],
    ['unknown kid', () => sign(good(), { kid: 'rotated' }), 'unknown_key'],
    ['not a JWT', () => 'not.a.jwt', 'malformed'],
  ];

  it.each(cases)('%s -> %s', async (_name, make, expected) => {
    expect(await reason(make())).toBe(expected);
  });

  it('flags an unknown kid for one JWKS refetch (key rotation)', async () => {
    try {
      await validateIdToken(await sign(good(), { kid: 'rotated' }), jwks, expectations);
    } catch (err) {
      expect(isUnknownKeyError(err)).toBe(true);
      return;
    }
    throw new Error('expected a rejection');
  });

  it('allows only the advertised algorithms: an ES256 token for an RS256-only provider fails', async () => {
    const es = await sign(good(), { alg: 'ES256', kid: 'es' }, ec);
    expect(await reason(es, { ...expectations, algorithms: ['RS256'] })).toBe('alg_not_allowed');
  });

  it('on refresh, sub and iss must be the original ones (Core 12.2)', async () => {
    const original = { sub: 'alice', iss: ISSUER };
    const refreshed = without({ ...good(), sub: 'mallory' }, 'nonce');
    expect(await reason(sign(refreshed), { ...expectations, nonce: undefined, original })).toBe(
      'sub_changed',
    );
    expect(() =>
      checkIdTokenClaims({ ...good(), iss: 'https://other' }, { ...expectations, original }),
    ).toThrow(/different provider than the original/);
  });
});

describe('allowedAlgorithms', () => {
  it('RS256 when nothing is advertised; never none, in any spelling', () => {
    expect(allowedAlgorithms(undefined)).toEqual(['RS256']);
    expect(allowedAlgorithms([])).toEqual(['RS256']);
    expect(allowedAlgorithms(['none', 'None', ' '])).toEqual(['RS256']);
    expect(allowedAlgorithms(['ES256', 'none'])).toEqual(['ES256']);
  });
});
