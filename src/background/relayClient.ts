/**
 * The extension's only way to talk to the local relay. Adds the pairing token
 * to every call, pairs on first use (and again after `--reset-pairings`), and
 * turns every failure into a CompanionError with a stable code.
 *
 * Chromium sends no Origin on GET from a service worker, so the pairing token,
 * not the Origin, is what admits a request (DESIGN.md, "The relay").
 */
import { relayBaseUrl } from '../shared/config.ts';
import { CompanionError, isSerializedError } from '../shared/errors.ts';
import {
  type CreateSessionRequest,
  type CreateSessionResponse,
  type GetSettingsResponse,
  type LogoutSessionRequest,
  type LogoutSessionResponse,
  PAIRING_HEADER,
  type PairResponse,
  type PutSettingsRequest,
  type PutSettingsResponse,
  RELAY_PATHS,
  type TakeAuthorizationResponseResponse,
} from '../shared/relayApi.ts';
import * as storage from '../shared/storage.ts';

const REQUEST_TIMEOUT_MS = 20_000;

interface CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** 404 answers null instead of throwing. */
  allowNotFound?: boolean;
}

export async function relayUrl(path: string): Promise<string> {
  return relayBaseUrl(await storage.read('relayPort')) + path;
}

async function rawFetch(path: string, init: RequestInit): Promise<Response> {
  const url = await relayUrl(path);
  try {
    return await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      cache: 'no-store',
    });
  } catch (err) {
    const port = await storage.read('relayPort');
    throw new CompanionError(
      'relay_unreachable',
      `The local relay is not answering on localhost:${port}. Start it with "npm start" and try again.`,
      { cause: err, detail: err instanceof Error ? err.message : String(err) },
    );
  }
}

async function errorFrom(response: Response): Promise<CompanionError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // fall through: not JSON
  }
  const error = (body as { error?: unknown } | null)?.error;
  if (isSerializedError(error)) return CompanionError.fromJSON(error);
  return new CompanionError('relay_error', `The local relay answered HTTP ${response.status}.`, {
    detail: `HTTP ${response.status}`,
  });
}

/** Pairs this browser profile with the relay. The relay admits it by our extension's Origin. */
export async function pair(): Promise<string> {
  const response = await rawFetch(RELAY_PATHS.pair, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  if (!response.ok) throw await errorFrom(response);
  const { token } = (await response.json()) as PairResponse;
  if (typeof token !== 'string' || token === '') {
    throw new CompanionError('relay_error', 'The local relay sent no pairing token.');
  }
  await storage.write('pairingToken', token);
  return token;
}

/** The pairing token, pairing first if this profile has none yet. */
export async function pairingToken(): Promise<string> {
  return (await storage.read('pairingToken')) ?? (await pair());
}

async function call<T>(path: string, options: CallOptions): Promise<T | null> {
  const send = async (token: string) =>
    rawFetch(path, {
      method: options.method,
      headers: {
        [PAIRING_HEADER]: token,
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
  let response = await send(await pairingToken());
  if (response.status === 401) {
    // The relay forgot us (new data dir, --reset-pairings): pair again once.
    response = await send(await pair());
  }
  if (options.allowNotFound && response.status === 404) return null;
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as T;
}

async function callRequired<T>(path: string, options: CallOptions): Promise<T> {
  const value = await call<T>(path, options);
  if (value === null) throw new CompanionError('not_found', `The relay has no ${path}.`);
  return value;
}

export const relay = {
  createSession: (request: CreateSessionRequest) =>
    callRequired<CreateSessionResponse>(RELAY_PATHS.sessions, { method: 'POST', body: request }),

  /** Announces the state of the authorization request about to open: /callback/ accepts only it, once. */
  expectAuthorizationResponse: (state: string, sessionId: string) =>
    callRequired<{ expected: true }>(RELAY_PATHS.expectAuthorizationResponse, {
      method: 'POST',
      body: { state, sessionId },
    }),

  takeAuthorizationResponse: (state: string) =>
    call<TakeAuthorizationResponseResponse>(RELAY_PATHS.takeAuthorizationResponse, {
      method: 'POST',
      body: { state },
      allowNotFound: true,
    }),

  endSession: (sessionId: string) =>
    call<{ ended: boolean }>(RELAY_PATHS.session(sessionId), {
      method: 'DELETE',
      allowNotFound: true,
    }),

  /** Revokes the tokens at the provider (RFC 7009) and ends the session; null when the relay has no such session. */
  logoutSession: (sessionId: string, tokens: LogoutSessionRequest) =>
    call<LogoutSessionResponse>(RELAY_PATHS.sessionLogout(sessionId), {
      method: 'POST',
      body: tokens,
      allowNotFound: true,
    }),

  jwks: (sessionId: string, refresh = false) =>
    callRequired<{ keys: unknown[] }>(
      RELAY_PATHS.sessionJwks(sessionId) + (refresh ? '?refresh=1' : ''),
      { method: 'GET' },
    ),

  getSettings: () => callRequired<GetSettingsResponse>(RELAY_PATHS.settings, { method: 'GET' }),

  putSettings: (request: PutSettingsRequest) =>
    callRequired<PutSettingsResponse>(RELAY_PATHS.settings, { method: 'PUT', body: request }),
};
