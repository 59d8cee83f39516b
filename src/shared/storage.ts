/**
 * The one module that owns every extension storage key. Each key declares its
 * area, its default, its validator and whether Logout clears it; nobody else
 * calls browser.storage. Values that fail validation read as the default, so
 * a corrupted or outdated entry can never crash the popup or the worker.
 */
import browser from 'webextension-polyfill';
import type {
  AuthContext,
  AuthState,
  LoginOutcome,
  PendingLogin,
  RefreshRetry,
  TokenSet,
} from './auth.ts';
import { SIGNED_OUT } from './auth.ts';
import { DEFAULT_RELAY_PORT, isValidPort } from './config.ts';
import type { RepositorySettings, SettingsForm } from './settings.ts';

type Area = 'local' | 'session';

export interface KeyDef<T> {
  area: Area;
  key: string;
  defaultValue: T;
  validate: (value: unknown) => value is T;
  /** Logout removes it ("Logout clears all stored tokens and session data"). */
  clearOnLogout: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isString = (v: unknown): v is string => typeof v === 'string';
const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isNullableNumber = (v: unknown): v is number | null => v === null || typeof v === 'number';

function nullable<T>(check: (v: unknown) => v is T): (v: unknown) => v is T | null {
  return (v: unknown): v is T | null => v === null || check(v);
}

const isAuthState = (v: unknown): v is AuthState =>
  isObject(v) &&
  (v.status === 'authenticated' || v.status === 'not_authenticated' || v.status === 'failed') &&
  (v.user === null || (isObject(v.user) && isString(v.user.sub))) &&
  isNullableString(v.sessionId) &&
  isNullableNumber(v.expiresAt) &&
  (v.refreshAt === undefined || isNullableNumber(v.refreshAt)) &&
  typeof v.updatedAt === 'number';

const isTokenSet = (v: unknown): v is TokenSet =>
  isObject(v) &&
  isString(v.sessionId) &&
  isString(v.issuer) &&
  isString(v.clientId) &&
  isString(v.sub) &&
  isString(v.idToken) &&
  isString(v.accessToken) &&
  isNullableString(v.refreshToken) &&
  isNullableNumber(v.expiresAt) &&
  typeof v.obtainedAt === 'number';

const isPendingLogin = (v: unknown): v is PendingLogin =>
  isObject(v) &&
  isString(v.state) &&
  isString(v.sessionId) &&
  isNullableNumber(v.tabId) &&
  isString(v.issuer) &&
  isString(v.clientId) &&
  isString(v.nonce) &&
  isObject(v.metadata) &&
  isString(v.metadata.issuer) &&
  isString(v.relayTokenEndpoint) &&
  isString(v.relayJwksEndpoint) &&
  typeof v.createdAt === 'number';

const isAuthContext = (v: unknown): v is AuthContext =>
  isObject(v) &&
  isString(v.sessionId) &&
  isString(v.issuer) &&
  isString(v.clientId) &&
  isObject(v.metadata) &&
  isString(v.metadata.issuer) &&
  isString(v.relayTokenEndpoint) &&
  isString(v.relayJwksEndpoint);

const isRefreshRetry = (v: unknown): v is RefreshRetry =>
  isObject(v) &&
  typeof v.attempt === 'number' &&
  typeof v.lastAttemptAt === 'number' &&
  typeof v.nextAttemptAt === 'number' &&
  isObject(v.lastError);

const isLoginOutcome = (v: unknown): v is LoginOutcome =>
  isObject(v) &&
  (v.outcome === 'success' || v.outcome === 'failure') &&
  isString(v.message) &&
  typeof v.at === 'number';

const isRepositorySettings = (v: unknown): v is RepositorySettings =>
  isObject(v) &&
  isString(v.nickname) &&
  isString(v.authority) &&
  isString(v.clientId) &&
  typeof v.hasSecret === 'boolean' &&
  typeof v.required === 'boolean';

/** The form as typed, minus the secret: the secret is never kept in the browser. */
export type FormDraft = Omit<SettingsForm, 'clientSecret'>;
const isFormDraft = (v: unknown): v is FormDraft =>
  isObject(v) && isString(v.nickname) && isString(v.authority) && isString(v.clientId);

const keyDef = <T>(def: KeyDef<T>): KeyDef<T> => def;

export const KEYS = {
  relayPort: keyDef<number>({
    area: 'local',
    key: 'relayPort',
    defaultValue: DEFAULT_RELAY_PORT,
    validate: isValidPort,
    clearOnLogout: false,
  }),
  pairingToken: keyDef<string | null>({
    area: 'local',
    key: 'pairingToken',
    defaultValue: null,
    validate: isNullableString,
    clearOnLogout: false,
  }),
  settings: keyDef<RepositorySettings | null>({
    area: 'local',
    key: 'settings',
    defaultValue: null,
    validate: nullable(isRepositorySettings),
    clearOnLogout: false,
  }),
  auth: keyDef<AuthState>({
    area: 'local',
    key: 'auth',
    defaultValue: SIGNED_OUT,
    validate: isAuthState,
    clearOnLogout: true,
  }),
  tokens: keyDef<TokenSet | null>({
    area: 'local',
    key: 'tokens',
    defaultValue: null,
    validate: nullable(isTokenSet),
    clearOnLogout: true,
  }),
  pendingLogin: keyDef<PendingLogin | null>({
    area: 'local',
    key: 'pendingLogin',
    defaultValue: null,
    validate: nullable(isPendingLogin),
    clearOnLogout: true,
  }),
  /** Kept from the login for refreshes: survives browser restarts, like the refresh token. */
  authContext: keyDef<AuthContext | null>({
    area: 'local',
    key: 'authContext',
    defaultValue: null,
    validate: nullable(isAuthContext),
    clearOnLogout: true,
  }),
  /** Set while refreshes fail transiently; the retry alarm and the popup read it. */
  refreshRetry: keyDef<RefreshRetry | null>({
    area: 'local',
    key: 'refreshRetry',
    defaultValue: null,
    validate: nullable(isRefreshRetry),
    clearOnLogout: true,
  }),
  loginOutcome: keyDef<LoginOutcome | null>({
    area: 'local',
    key: 'loginOutcome',
    defaultValue: null,
    validate: nullable(isLoginOutcome),
    clearOnLogout: false,
  }),
  /** Survives the popup closing (it closes when the login tab opens), not a browser restart. */
  draft: keyDef<FormDraft | null>({
    area: 'session',
    key: 'draft',
    defaultValue: null,
    validate: nullable(isFormDraft),
    clearOnLogout: false,
  }),
} as const;

export type StorageKeys = typeof KEYS;
export type KeyName = keyof StorageKeys;
export type ValueOf<K extends KeyName> = StorageKeys[K] extends KeyDef<infer T> ? T : never;

/** Prefix of oidc-client-ts state entries (state, code_verifier, nonce per login). */
export const OIDC_STATE_PREFIX = 'oidc.';

function area(name: Area): browser.Storage.StorageArea {
  return name === 'local' ? browser.storage.local : browser.storage.session;
}

export async function read<K extends KeyName>(name: K): Promise<ValueOf<K>> {
  const def = KEYS[name] as KeyDef<ValueOf<K>>;
  const got = await area(def.area).get(def.key);
  const value = got[def.key];
  return value !== undefined && def.validate(value) ? value : def.defaultValue;
}

export async function write<K extends KeyName>(name: K, value: ValueOf<K>): Promise<void> {
  const def = KEYS[name] as KeyDef<ValueOf<K>>;
  if (!def.validate(value))
    throw new TypeError(`Refusing to store an invalid value for ${def.key}`);
  await area(def.area).set({ [def.key]: value });
}

/** Writes several local keys in one storage transaction, so readers never see half an update. */
export async function writeMany(values: { [K in KeyName]?: ValueOf<K> }): Promise<void> {
  const byArea: Record<Area, Record<string, unknown>> = { local: {}, session: {} };
  for (const [name, value] of Object.entries(values) as [KeyName, unknown][]) {
    const def = KEYS[name] as KeyDef<unknown>;
    if (!def.validate(value))
      throw new TypeError(`Refusing to store an invalid value for ${def.key}`);
    byArea[def.area][def.key] = value;
  }
  if (Object.keys(byArea.local).length > 0) await area('local').set(byArea.local);
  if (Object.keys(byArea.session).length > 0) await area('session').set(byArea.session);
}

export async function remove(name: KeyName): Promise<void> {
  const def = KEYS[name];
  await area(def.area).remove(def.key);
}

/** Everything Logout must clear: the keys marked clearOnLogout and all oidc-client-ts state. */
export async function clearSessionData(): Promise<void> {
  for (const def of Object.values(KEYS) as KeyDef<unknown>[]) {
    if (def.clearOnLogout) await area(def.area).remove(def.key);
  }
  const all = await area('local').get(null);
  const stateKeys = Object.keys(all).filter((k) => k.startsWith(OIDC_STATE_PREFIX));
  if (stateKeys.length > 0) await area('local').remove(stateKeys);
}

interface AccessLevelArea {
  setAccessLevel?: (options: { accessLevel: 'TRUSTED_CONTEXTS' }) => Promise<void>;
}

/**
 * Tokens live in storage.local and storage.session: keep both out of reach of
 * untrusted contexts (content scripts; we have none, and tests/unit keep it
 * so). Chrome restricts storage.session by default and lets storage.local be
 * restricted too (chrome.storage StorageArea.setAccessLevel, TRUSTED_CONTEXTS:
 * extension pages and the service worker only); Firefox supports it on
 * storage.session only, so an area without the method, or refusing it, is
 * skipped. Returns the areas now restricted. Called at every worker start.
 */
export async function restrictToTrustedContexts(
  areas: Partial<Record<Area, unknown>> = {
    local: browser.storage.local,
    session: browser.storage.session,
  },
): Promise<Area[]> {
  const restricted: Area[] = [];
  for (const [name, value] of Object.entries(areas) as [Area, unknown][]) {
    const target = value as AccessLevelArea | undefined;
    if (typeof target?.setAccessLevel !== 'function') continue;
    try {
      await target.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' });
      restricted.push(name);
    } catch {
      // Not supported for this area in this browser: nothing more we can do here.
    }
  }
  return restricted;
}

/** Calls `listener` with the new value whenever `name` changes. Returns an unsubscribe function. */
export function watch<K extends KeyName>(
  name: K,
  listener: (value: ValueOf<K>) => void,
): () => void {
  const def = KEYS[name] as KeyDef<ValueOf<K>>;
  const onChanged = (changes: Record<string, browser.Storage.StorageChange>, areaName: string) => {
    if (areaName !== def.area || !(def.key in changes)) return;
    const next = changes[def.key]?.newValue;
    listener(next !== undefined && def.validate(next) ? next : def.defaultValue);
  };
  browser.storage.onChanged.addListener(onChanged);
  return () => browser.storage.onChanged.removeListener(onChanged);
}

/**
 * oidc-client-ts StateStore backed by extension storage. Its default store
 * falls back to memory in a service worker, and the login would be lost
 * when the worker stops (~30 s idle).
 */
export const oidcStateStore = {
  async set(key: string, value: string): Promise<void> {
    await area('local').set({ [OIDC_STATE_PREFIX + key]: value });
  },
  async get(key: string): Promise<string | null> {
    const got = await area('local').get(OIDC_STATE_PREFIX + key);
    const v = got[OIDC_STATE_PREFIX + key];
    return typeof v === 'string' ? v : null;
  },
  async remove(key: string): Promise<string | null> {
    const value = await oidcStateStore.get(key);
    await area('local').remove(OIDC_STATE_PREFIX + key);
    return value;
  },
  async getAllKeys(): Promise<string[]> {
    const all = await area('local').get(null);
    return Object.keys(all)
      .filter((k) => k.startsWith(OIDC_STATE_PREFIX))
      .map((k) => k.slice(OIDC_STATE_PREFIX.length));
  },
};
