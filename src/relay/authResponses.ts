/**
 * Authorization responses (code/state/iss or error, RFC 6749 4.1.2, RFC 9207)
 * received on /callback/, waiting for the extension to take them.
 *
 * The relay accepts a response only for a `state` the paired extension
 * announced before opening the provider's page, and only once (RFC 6749
 * 10.12: state binds the response to the user agent that started the
 * request). So a page that sends the browser to /callback/ with forged
 * parameters gets a clear "not recognised" page and leaves nothing behind,
 * and a second response for the same state (a replay, or an injected code
 * racing the real one) is refused: the first one wins.
 *
 * In memory only: entries are useful for seconds, and a code must not
 * outlive its purpose on disk. 10 minutes at most, 100 entries at most
 * (oldest dropped).
 */
import type { TakeAuthorizationResponseResponse } from '../shared/relayApi.ts';

export const AUTH_RESPONSE_TTL_MS = 10 * 60_000;
export const AUTH_RESPONSE_MAX_ENTRIES = 100;

/** What /callback/ did with a response: kept, not ours, or already received once. */
export type PutResult = 'stored' | 'unexpected' | 'replayed';

interface Entry {
  /** The pairing (browser profile) that announced the state; only it may take the response. */
  owner: string;
  expectedAt: number;
  response: { params: Record<string, string>; receivedAt: number } | null;
  /** A response arrived (and may have been taken since): any later one is a replay. */
  used: boolean;
}

export class AuthorizationResponseStore {
  // A Map iterates in insertion order, which makes "oldest first" free.
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Responses received and not yet taken. */
  get size(): number {
    this.#prune();
    let n = 0;
    for (const entry of this.#entries.values()) if (entry.response !== null) n++;
    return n;
  }

  /** Announces a state the extension has just put on an authorization request. */
  expect(state: string, owner: string): void {
    if (state === '') throw new Error('An authorization request needs a state.');
    this.#prune();
    const existing = this.#entries.get(state);
    // A state is announced once; announcing it again (from anyone) changes nothing.
    if (existing !== undefined) return;
    this.#entries.set(state, { owner, expectedAt: this.#now(), response: null, used: false });
    while (this.#entries.size > AUTH_RESPONSE_MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Keeps the parameters under their `state` if that state is expected and still unused. */
  put(params: Record<string, string>): PutResult {
    const state = params.state;
    if (state === undefined || state === '') return 'unexpected';
    this.#prune();
    const entry = this.#entries.get(state);
    if (entry === undefined) return 'unexpected';
    if (entry.used) return 'replayed';
    entry.used = true;
    entry.response = { params: { ...params }, receivedAt: this.#now() };
    return 'stored';
  }

  /** Returns and forgets the response for `state`, to the pairing that announced it only; else null. */
  take(state: string, owner: string): TakeAuthorizationResponseResponse | null {
    this.#prune();
    const entry = this.#entries.get(state);
    if (entry === undefined || entry.owner !== owner || entry.response === null) return null;
    const { params, receivedAt } = entry.response;
    // The entry stays (used, empty) until it expires, so a replay is recognised as one.
    entry.response = null;
    return { params, receivedAt: new Date(receivedAt).toISOString() };
  }

  #prune(): void {
    const cutoff = this.#now() - AUTH_RESPONSE_TTL_MS;
    for (const [state, entry] of this.#entries) {
      if (entry.expectedAt >= cutoff) break; // insertion order = age order
      this.#entries.delete(state);
    }
  }
}
