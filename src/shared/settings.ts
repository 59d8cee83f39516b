/**
 * The OIDC settings form: its shape, its validation, and the provider presets.
 * Pure functions only; the popup, the background and the relay all validate
 * with these so a value rejected in one place is rejected everywhere.
 */

export type ProviderKind = 'okta' | 'entra' | 'other';

export interface ProviderPreset {
  kind: ProviderKind;
  label: string;
  authorityExample: string;
  /** Where the provider documents the values the form asks for. */
  helpUrl: string;
}

export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  {
    kind: 'okta',
    label: 'Okta',
    authorityExample: 'https://{yourOktaDomain}/oauth2/default',
    helpUrl: 'https://developer.okta.com/docs/guides/implement-grant-type/authcode/main/',
  },
  {
    kind: 'entra',
    label: 'Entra ID',
    authorityExample: 'https://login.microsoftonline.com/{tenant-id}/v2.0',
    helpUrl: 'https://learn.microsoft.com/en-us/entra/identity-platform/quickstart-register-app',
  },
  {
    kind: 'other',
    label: 'Other',
    authorityExample: 'https://login.provider.com/',
    helpUrl: 'https://openid.net/specs/openid-connect-discovery-1_0.html',
  },
];

/** What the form holds. `clientSecret` is only ever sent to the relay, never stored in the browser. */
export interface SettingsForm {
  nickname: string;
  authority: string;
  clientId: string;
  clientSecret: string;
}

/** Repository settings as the browser may know them: never the secret, only whether one is stored. */
export interface RepositorySettings {
  nickname: string;
  authority: string;
  clientId: string;
  hasSecret: boolean;
  required: boolean;
  updatedAt: string | null;
}

export type SettingsField = keyof SettingsForm;
export type FieldErrors = Partial<Record<SettingsField, string>>;

export const EMPTY_FORM: SettingsForm = {
  nickname: '',
  authority: '',
  clientId: '',
  clientSecret: '',
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

export const MAX_FIELD_LENGTH = {
  nickname: 100,
  authority: 2048,
  clientId: 256,
  clientSecret: 1024,
};

/**
 * Validates an Authority URL. https is required (OpenID Connect Discovery 1.0
 * section 4: the issuer uses the https scheme); http is allowed only for a
 * loopback host, where test and demo providers run. Returns an error message,
 * or null when the URL is acceptable.
 */
export function authorityError(raw: string): string | null {
  const value = raw.trim();
  if (value === '') return 'Enter the Authority URL from your provider.';
  if (value.length > MAX_FIELD_LENGTH.authority) return 'The Authority URL is too long.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter an absolute URL, such as https://login.provider.com/.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return 'The Authority URL must start with https://.';
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return 'The Authority URL must use https:// (http:// is allowed only for localhost).';
  }
  if (url.username !== '' || url.password !== '') {
    return 'The Authority URL must not contain a user name or password.';
  }
  // Discovery 1.0 section 2: the issuer has no query or fragment.
  if (url.search !== '' || url.hash !== '') {
    return 'The Authority URL must not contain a query (?) or fragment (#).';
  }
  return null;
}

/**
 * Normalises an Authority for storage and discovery: trimmed, without a
 * trailing `/.well-known/openid-configuration` a user may have pasted.
 * Assumes `authorityError(raw) === null`.
 */
export function normalizeAuthority(raw: string): string {
  const url = new URL(raw.trim());
  url.pathname = url.pathname.replace(/\/\.well-known\/openid-configuration\/?$/, '/');
  return url.href;
}

/** Discovery URL per OpenID Connect Discovery 1.0 section 4. */
export function discoveryUrl(authority: string): string {
  const base = normalizeAuthority(authority).replace(/\/+$/, '');
  return `${base}/.well-known/openid-configuration`;
}

export interface ValidateOptions {
  /** The repository already holds a secret for this authority and client, so an empty field keeps it. */
  secretStored?: boolean;
}

export function validateSettingsForm(
  form: SettingsForm,
  options: ValidateOptions = {},
): FieldErrors {
  const errors: FieldErrors = {};
  if (form.nickname.trim().length > MAX_FIELD_LENGTH.nickname) {
    errors.nickname = `The nickname is at most ${MAX_FIELD_LENGTH.nickname} characters.`;
  }
  const authority = authorityError(form.authority);
  if (authority !== null) errors.authority = authority;
  const clientId = form.clientId.trim();
  if (clientId === '')
    errors.clientId = 'Enter the Client ID of the application registered at your provider.';
  else if (clientId.length > MAX_FIELD_LENGTH.clientId)
    errors.clientId = 'The Client ID is too long.';
  if (form.clientSecret.trim() === '' && !options.secretStored) {
    errors.clientSecret = 'Enter the Client Secret of the application registered at your provider.';
  } else if (form.clientSecret.length > MAX_FIELD_LENGTH.clientSecret) {
    errors.clientSecret = 'The Client Secret is too long.';
  }
  return errors;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.keys(errors).length > 0;
}

/** Trims what the user typed; the secret is kept as typed apart from surrounding whitespace. */
export function cleanForm(form: SettingsForm): SettingsForm {
  return {
    nickname: form.nickname.trim(),
    authority: form.authority.trim() === '' ? '' : form.authority.trim(),
    clientId: form.clientId.trim(),
    clientSecret: form.clientSecret.trim(),
  };
}

/** Which preset a nickname corresponds to, for the nickname chooser. */
export function presetForNickname(nickname: string): ProviderKind {
  const n = nickname.trim().toLowerCase();
  if (n === 'okta') return 'okta';
  if (n === 'entra id' || n === 'entra' || n === 'azure ad') return 'entra';
  return 'other';
}
