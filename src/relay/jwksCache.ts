/**
 * The providers' signing keys (JWKS), fetched by the relay (the extension has
 * no host permission for providers). Kept 5 minutes; a forced refetch
 * (`?refresh=1`, or a key id we do not know yet after a key rotation, OpenID
 * Connect Core 1.0 section 10.1.1) is allowed at most once per 30 s per URL,
 * so a token with a made-up kid cannot make us hammer the provider. Regular
 * fetches do not count against that limit: keys cached seconds ago by one
 * login must not stop the next login from seeing a rotation.
 */
import type { JSONWebKeySet, JWK } from 'jose';
import { CompanionError } from '../shared/errors.ts';
import { parseJsonObject, providerFetch, readTextLimited } from './providerFetch.ts';

export const JWKS_TTL_MS = 5 * 60_000;
export const JWKS_MIN_REFRESH_MS = 30_000;

/** Members of private or symmetric keys (RFC 7518 section 6): never pass them on. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

interface Entry {
  jwks: JSONWebKeySet;
  fetchedAt: number;
}

export class JwksCache {
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Entry>>();
  /** When each URL was last refetched on demand. */
  readonly #forcedAt = new Map<string, number>();

  constructor(fetchImpl: typeof fetch, now: () => number = Date.now) {
    this.#fetch = fetchImpl;
    this.#now = now;
  }

  /** Whether a forced refresh would actually refetch now. */
  canForceRefresh(uri: string): boolean {
    const forcedAt = this.#forcedAt.get(uri);
    return forcedAt === undefined || this.#now() - forcedAt >= JWKS_MIN_REFRESH_MS;
  }

  async get(uri: string, options: { refresh?: boolean } = {}): Promise<JSONWebKeySet> {
    const entry = this.#entries.get(uri);
    if (entry !== undefined) {
      const fresh = options.refresh
        ? !this.canForceRefresh(uri)
        : this.#now() - entry.fetchedAt < JWKS_TTL_MS;
      if (fresh) return entry.jwks;
    }
    if (options.refresh) this.#forcedAt.set(uri, this.#now());
    let pending = this.#inflight.get(uri);
    if (pending === undefined) {
      pending = this.#load(uri).finally(() => this.#inflight.delete(uri));
      this.#inflight.set(uri, pending);
    }
    return (await pending).jwks;
  }

  async #load(uri: string): Promise<Entry> {
    const response = await providerFetch(this.#fetch, uri, {
      headers: { Accept: 'application/json, application/jwk-set+json' },
    });
    const text = await readTextLimited(response);
    const doc = response.status === 200 ? parseJsonObject(text) : null;
    if (doc === null || !Array.isArray(doc.keys)) {
      throw new CompanionError(
        'discovery_invalid',
        response.status === 200
          ? `The provider's keys at ${uri} are not a JSON Web Key Set.`
          : `The provider's keys at ${uri} answered HTTP ${response.status}.`,
        { detail: uri },
      );
    }
    const keys = (doc.keys as unknown[])
      .filter(
        (k): k is JWK => typeof k === 'object' && k !== null && typeof (k as JWK).kty === 'string',
      )
      .map(
        (k) =>
          Object.fromEntries(
            Object.entries(k).filter(([m]) => !PRIVATE_MEMBERS.includes(m)),
          ) as JWK,
      );
    const entry = { jwks: { keys }, fetchedAt: this.#now() };
    this.#entries.set(uri, entry);
    return entry;
  }
}
