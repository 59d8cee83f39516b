/**
 * The one typed message contract between the popup (and other extension
 * pages) and the background. Each message type maps to its payload and its
 * response; the background must register a handler for every type
 * (`MessageHandlers` is a complete mapped type). Errors travel serialized
 * and are rethrown as CompanionError on the caller's side.
 */
import browser from 'webextension-polyfill';
import type { AuthStatus } from './auth.ts';
import { CompanionError, isSerializedError, type SerializedError } from './errors.ts';
import type { RevocationOutcome } from './relayApi.ts';
import type { RepositorySettings, SettingsForm } from './settings.ts';

/** What Logout did beyond clearing everything local (older answers carry `cleared` only). */
export interface LogoutResult {
  cleared: true;
  /** What became of the tokens at the provider (RFC 7009), see RevocationOutcome. */
  revocation?: RevocationOutcome;
  revocationError?: SerializedError;
  /** RP-initiated logout: a provider tab was opened, or the provider offers none (no end_session_endpoint). */
  providerLogout?: 'opened' | 'not_supported' | 'not_requested';
}

export interface MessageContract {
  /** Start a login with the form's current values (saved or not). Resolves once the provider tab is open. */
  login: { payload: { form: SettingsForm }; response: { tabId: number | null } };
  /**
   * Clear every token and session datum, here and at the relay, revoking the
   * tokens at the provider where it can. Always possible. With
   * endProviderSession, also open the provider's RP-initiated logout in a tab.
   */
  logout: { payload: { endProviderSession?: boolean }; response: LogoutResult };
  /**
   * The popup saw a refresh (or retry) that is due: have the background check
   * now. The popup itself makes no request; the background refreshes at most once.
   */
  checkSession: { payload: Record<string, never>; response: { status: AuthStatus } };
  /** OK: persist the form and the Required flag to the repository. */
  saveSettings: {
    payload: { form: SettingsForm; required: boolean };
    response: { settings: RepositorySettings };
  };
  /** Re-read the repository settings from the relay into storage. */
  syncSettings: {
    payload: Record<string, never>;
    response: { settings: RepositorySettings | null };
  };
}

export type MessageType = keyof MessageContract;
export type Payload<K extends MessageType> = MessageContract[K]['payload'];
export type Response<K extends MessageType> = MessageContract[K]['response'];

export interface RequestEnvelope<K extends MessageType = MessageType> {
  channel: 'sqlsafe-oidc';
  type: K;
  payload: Payload<K>;
}

export type ResponseEnvelope<K extends MessageType = MessageType> =
  | { ok: true; value: Response<K> }
  | { ok: false; error: SerializedError };

export type MessageHandlers = {
  [K in MessageType]: (payload: Payload<K>) => Promise<Response<K>>;
};

const MESSAGE_TYPES: readonly MessageType[] = [
  'login',
  'logout',
  'checkSession',
  'saveSettings',
  'syncSettings',
];

export function isRequestEnvelope(value: unknown): value is RequestEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<RequestEnvelope>;
  return (
    v.channel === 'sqlsafe-oidc' &&
    typeof v.type === 'string' &&
    (MESSAGE_TYPES as readonly string[]).includes(v.type) &&
    typeof v.payload === 'object' &&
    v.payload !== null
  );
}

/** Caller side: send a typed request and get the typed response or a CompanionError. */
export async function sendMessage<K extends MessageType>(
  type: K,
  payload: Payload<K>,
): Promise<Response<K>> {
  const envelope: RequestEnvelope<K> = { channel: 'sqlsafe-oidc', type, payload };
  const reply = (await browser.runtime.sendMessage(envelope)) as ResponseEnvelope<K> | undefined;
  if (reply === undefined || reply === null || typeof reply !== 'object') {
    throw new CompanionError('internal', 'The extension background did not answer.');
  }
  if (reply.ok) return reply.value;
  if (isSerializedError(reply.error)) throw CompanionError.fromJSON(reply.error);
  throw new CompanionError('internal', 'The extension background sent a malformed answer.');
}
