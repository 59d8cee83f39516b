/**
 * OpenID Connect Discovery 1.0: fetch <authority>/.well-known/openid-configuration
 * and check what the relay and the extension rely on. Every failure names
 * what is wrong, because "login failed" does not help a DBA fix a typo in the
 * Authority URL.
 */
import { CompanionError } from '../shared/errors.ts';
import type { ProviderMetadata } from '../shared/relayApi.ts';
import { discoveryUrl, isLoopbackHost, normalizeAuthority } from '../shared/settings.ts';
import {
  PROVIDER_BODY_LIMIT,
  parseJsonObject,
  providerFetch,
  readTextLimited,
} from './providerFetch.ts';
import type { TokenAuthMethod } from './repository/types.ts';

export interface Discovered {
  metadata: ProviderMetadata;
  tokenAuthMethod: TokenAuthMethod;
  /** Algorithms an ID token may be signed with ('none' never). */
  idTokenAlgs: string[];
}

const REQUIRED_ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
const OPTIONAL_ENDPOINTS = [
  'end_session_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
] as const;
const STRING_ARRAYS = [
  'response_modes_supported',
  'code_challenge_methods_supported',
  'id_token_signing_alg_values_supported',
  'token_endpoint_auth_methods_supported',
] as const;

function invalid(url: string, message: string): CompanionError {
  return new CompanionError('discovery_invalid', message, { detail: url });
}

/** Issuer comparison tolerating a single trailing slash on either side. */
export function sameIssuer(a: string, b: string): boolean {
  const strip = (s: string) => (s.endsWith('/') ? s.slice(0, -1) : s);
  return strip(a) === strip(b);
}

/**
 * Endpoints must be https (OpenID Connect Discovery 1.0 section 3 and RFC 6749
 * 3.1/3.2 require TLS); http only on a loopback host, where test and demo
 * providers run.
 */
export function endpointError(name: string, value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name} is not an absolute URL: ${value}`;
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return `${name} must use https: ${value}`;
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** Pure: checks a discovery document fetched for `authority`. */
export function checkDiscovery(
  authority: string,
  url: string,
  doc: Record<string, unknown>,
): Discovered {
  const missing = ['issuer', ...REQUIRED_ENDPOINTS].filter(
    (key) => typeof doc[key] !== 'string' || doc[key] === '',
  );
  if (missing.length > 0) {
    throw invalid(
      url,
      `The provider's discovery document at ${url} lacks ${missing.join(', ')}. Check the Authority URL.`,
    );
  }
  const issuer = doc.issuer as string;
  // Discovery 1.0 section 4.3: the issuer returned MUST be identical to the one used to fetch it.
  const expected = normalizeAuthority(authority);
  if (!sameIssuer(issuer, expected)) {
    throw new CompanionError(
      'issuer_mismatch',
      `The provider says its issuer is ${issuer}, but the Authority URL is ${expected}. ` +
        'Enter the issuer as the Authority URL.',
      { detail: `issuer=${issuer} authority=${expected}` },
    );
  }
  const metadata: ProviderMetadata = {
    issuer,
    authorization_endpoint: doc.authorization_endpoint as string,
    token_endpoint: doc.token_endpoint as string,
    jwks_uri: doc.jwks_uri as string,
  };
  for (const key of REQUIRED_ENDPOINTS) {
    const problem = endpointError(key, metadata[key]);
    if (problem !== null)
      throw invalid(url, `The provider's discovery document is unusable: ${problem}`);
  }
  for (const key of OPTIONAL_ENDPOINTS) {
    const value = doc[key];
    if (typeof value !== 'string') continue;
    const problem = endpointError(key, value);
    if (problem !== null)
      throw invalid(url, `The provider's discovery document is unusable: ${problem}`);
    metadata[key] = value;
  }
  for (const key of STRING_ARRAYS) {
    const value = stringArray(doc[key]);
    if (value !== undefined) metadata[key] = value;
  }
  if (typeof doc.authorization_response_iss_parameter_supported === 'boolean') {
    metadata.authorization_response_iss_parameter_supported =
      doc.authorization_response_iss_parameter_supported;
  }

  // Discovery 1.0 section 3: when absent, the default is client_secret_basic.
  const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  let tokenAuthMethod: TokenAuthMethod;
  if (methods.includes('client_secret_basic')) tokenAuthMethod = 'client_secret_basic';
  else if (methods.includes('client_secret_post')) tokenAuthMethod = 'client_secret_post';
  else {
    throw invalid(
      url,
      `The provider accepts neither client_secret_basic nor client_secret_post at its token endpoint (it lists ${methods.join(', ')}).`,
    );
  }

  // 'none' would accept unsigned ID tokens; RS256 is the OIDC default (Core 1.0 section 15.1).
  const algs = (metadata.id_token_signing_alg_values_supported ?? []).filter(
    (alg) => alg !== 'none',
  );
  return { metadata, tokenAuthMethod, idTokenAlgs: algs.length > 0 ? algs : ['RS256'] };
}

export async function discover(authority: string, fetchImpl: typeof fetch): Promise<Discovered> {
  const url = discoveryUrl(authority);
  const response = await providerFetch(fetchImpl, url, { headers: { Accept: 'application/json' } });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw invalid(
      url,
      `The provider's discovery document at ${url} answered HTTP ${response.status}. Check the Authority URL.`,
    );
  }
  let text: string;
  try {
    text = await readTextLimited(response, PROVIDER_BODY_LIMIT);
  } catch (err) {
    if (err instanceof CompanionError && err.code === 'provider_unreachable') throw err;
    throw invalid(url, `The provider's discovery document at ${url} is too large.`);
  }
  const doc = parseJsonObject(text);
  if (doc === null) {
    throw invalid(
      url,
      `The provider's discovery document at ${url} is not JSON. Check the Authority URL.`,
    );
  }
  return checkDiscovery(authority, url, doc);
}
