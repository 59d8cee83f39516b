/** Authentication status as stored, and how it reads in the UI. */
import type { SerializedError } from './errors.ts';
import type { ProviderMetadata } from './relayApi.ts';

export type AuthStatus = 'authenticated' | 'not_authenticated' | 'failed';

/** The exact labels the product documents; tests and users read these. */
export const STATUS_LABELS: Record<AuthStatus, string> = {
  authenticated: 'Authenticated',
  not_authenticated: 'Not Authenticated',
  failed: 'Authentication Failed',
};

export interface SignedInUser {
  sub: string;
  name?: string;
  email?: string;
  preferredUsername?: string;
}

export interface AuthState {
  status: AuthStatus;
  user: SignedInUser | null;
  /** Why the status is what it is when that is not the happy path. */
  reason: SerializedError | null;
  /** The relay session behind the current login, if any. */
  sessionId: string | null;
  /** Epoch ms when the access token expires. */
  expiresAt: number | null;
  /**
   * Epoch ms of the next automatic refresh (or retry): the popup shows it, and
   * asks the background to check when it is past (the worker may have slept).
   */
  refreshAt?: number | null;
  updatedAt: number;
}

export const SIGNED_OUT: AuthState = {
  status: 'not_authenticated',
  user: null,
  reason: null,
  sessionId: null,
  expiresAt: null,
  updatedAt: 0,
};

/** Tokens as stored in extension storage (trusted contexts only). */
export interface TokenSet {
  sessionId: string;
  issuer: string;
  clientId: string;
  sub: string;
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  scope: string | null;
  /** Epoch ms. */
  expiresAt: number | null;
  obtainedAt: number;
}

/**
 * A login between the Login click and the callback. Everything needed to
 * finish it lives here (and in the oidc-client-ts state store), so the login
 * survives the worker being stopped in between.
 */
export interface PendingLogin {
  state: string;
  sessionId: string;
  tabId: number | null;
  issuer: string;
  clientId: string;
  /** Sent on the authorize request; checked again against the ID token (OIDC Core 3.1.3.7 step 11). */
  nonce: string;
  metadata: ProviderMetadata;
  relayTokenEndpoint: string;
  relayJwksEndpoint: string;
  createdAt: number;
}

/**
 * What a refresh needs besides the tokens, kept from the login: the relay
 * session and the provider metadata oidc-client-ts is built from.
 */
export interface AuthContext {
  sessionId: string;
  issuer: string;
  clientId: string;
  metadata: ProviderMetadata;
  relayTokenEndpoint: string;
  relayJwksEndpoint: string;
}

/** Transient refresh failures in a row (provider or relay down), and when to try again. */
export interface RefreshRetry {
  attempt: number;
  lastAttemptAt: number;
  nextAttemptAt: number;
  lastError: SerializedError;
}

/** The last login attempt's outcome, for the popup's success/unsuccessful message. */
export interface LoginOutcome {
  outcome: 'success' | 'failure';
  message: string;
  error: SerializedError | null;
  at: number;
}

export function displayName(user: SignedInUser | null): string | null {
  if (!user) return null;
  return user.name ?? user.email ?? user.preferredUsername ?? user.sub;
}

/**
 * Should an opened popup ask the background to check the session? Only when
 * a refresh or retry is due (the worker may have slept through its alarm),
 * or refreshes are failing and the user is looking. The popup itself makes
 * no request; the background decides, and refreshes at most once.
 */
export function sessionCheckDue(auth: AuthState, now: number): boolean {
  if (auth.status === 'failed' || auth.refreshAt === undefined || auth.refreshAt === null) {
    return false;
  }
  return now >= auth.refreshAt || auth.reason !== null;
}
