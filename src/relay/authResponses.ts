/**
 * Authorization responses (code/state/iss or error, RFC 6749 4.1.2, RFC 9207)
 * received on /callback/, waiting for the extension to take them. In memory
 * only: they are useful for seconds, and a code must not outlive its purpose
 * on disk. Keyed by `state`, single use, 10 minutes at most, 100 entries at
 * most (oldest dropped), so a page posting junk cannot grow the relay.
 */
import type { TakeAuthorizationResponseResponse } from '../shared/relayApi.ts';

export const AUTH_RESPONSE_TTL_MS = 10 * 60_000;
export const AUTH_RESPONSE_MAX_ENTRIES = 100;

interface Entry {
  params: Record<string, string>;
  receivedAt: number;
}

export class AuthorizationResponseStore {
  // A Map iterates in insertion order, which makes "oldest first" free.
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get size(): number {
    this.#prune();
    return this.#entries.size;
  }

  /** Stores the parameters under their `state` (which must be present). */
  put(params: Record<string, string>): void {
    const state = params.state;
    if (state === undefined || state === '')
      throw new Error('An authorization response needs a state.');
    this.#prune();
    // Re-inserting moves the entry to the newest position.
    this.#entries.delete(state);
    this.#entries.set(state, { params: { ...params }, receivedAt: this.#now() });
    while (this.#entries.size > AUTH_RESPONSE_MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Returns and forgets the response for `state`, or null. */
  take(state: string): TakeAuthorizationResponseResponse | null {
    this.#prune();
    const entry = this.#entries.get(state);
    if (entry === undefined) return null;
    this.#entries.delete(state);
    return { params: entry.params, receivedAt: new Date(entry.receivedAt).toISOString() };
  }

  #prune(): void {
    const cutoff = this.#now() - AUTH_RESPONSE_TTL_MS;
    for (const [state, entry] of this.#entries) {
      if (entry.receivedAt >= cutoff) break; // insertion order = age order
      this.#entries.delete(state);
    }
  }
}
