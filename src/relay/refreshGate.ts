/**
 * Makes sure that one refresh token reaches the provider at most once.
 *
 * Why here and not only in the extension: Okta rotates refresh tokens with
 * reuse detection, and presenting a used one again revokes the whole grant
 * (https://developer.okta.com/docs/guides/refresh-tokens/main/; the pattern
 * is RFC 9700 section 4.14.2); oidc-provider does the same. The extension single-flights its refreshes,
 * but its service worker can be stopped after the request left and before
 * the answer was stored; its retry then presents the same, now used, token.
 * The relay outlives the worker, so it (1) runs the refreshes of a session
 * one at a time, and (2) keeps the provider's answer for a short while keyed
 * by a hash of the presented refresh token, so that retry gets the very same
 * answer (and the rotated token in it) instead of a replay at the provider.
 *
 * The answers are kept in memory and, sealed with the repository's key, in
 * the repository (`AnswerVault`), so a relay restarted between the request
 * and the retry still answers from them. They are dropped when they expire
 * and when the session ends.
 */
import { createHash } from 'node:crypto';

/** An answer of the relay's token endpoint: HTTP status and JSON body. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Long enough for a stopped worker's retry alarm (backoff capped at 5 min), short for tokens at rest. */
export const REFRESH_ANSWER_TTL_MS = 10 * 60 * 1000;

interface Cached {
  sessionId: string;
  answer: TokenAnswer;
  expiresAt: number;
}

/** Where answers outlive the process: the repository, sealed (see server.ts). */
export interface AnswerVault {
  load(key: string): Promise<TokenAnswer | null>;
  save(key: string, sessionId: string, answer: TokenAnswer, expiresAt: number): Promise<void>;
  forget(sessionId: string): Promise<void>;
}

export class RefreshGate {
  readonly #answers = new Map<string, Cached>();
  readonly #inFlight = new Map<string, Promise<TokenAnswer>>();
  /** The tail of each session's queue of refreshes. */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #vault: AnswerVault | undefined;

  constructor(options: { ttlMs?: number; now?: () => number; vault?: AnswerVault } = {}) {
    this.#ttlMs = options.ttlMs ?? REFRESH_ANSWER_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#vault = options.vault;
  }

  static key(sessionId: string, refreshToken: string): string {
    return createHash('sha256').update(`${sessionId}\n${refreshToken}`).digest('hex');
  }

  /**
   * Runs `exchange` for this session and refresh token unless an answer for
   * the same token is cached or on its way; then that answer is returned.
   * `exchange` says whether its answer came from the provider (cacheable):
   * a request that never reached the provider did not use the token, so a
   * retry must really be sent.
   */
  async run(
    sessionId: string,
    refreshToken: string,
    exchange: () => Promise<{ answer: TokenAnswer; reachedProvider: boolean }>,
  ): Promise<{ answer: TokenAnswer; replayed: boolean }> {
    this.#sweep();
    const key = RefreshGate.key(sessionId, refreshToken);
    const cached = this.#answers.get(key);
    if (cached) return { answer: cached.answer, replayed: true };
    const pending = this.#inFlight.get(key);
    if (pending) return { answer: await pending, replayed: true };

    const previous = this.#queues.get(sessionId) ?? Promise.resolve();
    let replayed = false;
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        // Another process life of this relay may have sent this very token already.
        const kept = await this.#vault?.load(key);
        if (kept) {
          replayed = true;
          return kept;
        }
        const { answer, reachedProvider } = await exchange();
        if (reachedProvider) {
          const expiresAt = this.#now() + this.#ttlMs;
          this.#answers.set(key, { sessionId, answer, expiresAt });
          await this.#vault?.save(key, sessionId, answer, expiresAt);
        }
        return answer;
      });
    this.#inFlight.set(key, run);
    this.#queues.set(sessionId, run);
    try {
      const answer = await run;
      return { answer, replayed };
    } finally {
      this.#inFlight.delete(key);
      if (this.#queues.get(sessionId) === run) this.#queues.delete(sessionId);
    }
  }

  /** Drops every answer kept for a session (logout: its tokens must not outlive it here). */
  async forget(sessionId: string): Promise<void> {
    for (const [key, cached] of this.#answers) {
      if (cached.sessionId === sessionId) this.#answers.delete(key);
    }
    await this.#vault?.forget(sessionId);
  }

  /** How many answers are kept (tests). */
  get size(): number {
    this.#sweep();
    return this.#answers.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, cached] of this.#answers) {
      if (cached.expiresAt <= now) this.#answers.delete(key);
    }
  }
}
