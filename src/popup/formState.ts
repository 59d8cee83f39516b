/**
 * The popup's form state and the pure functions that change it. No storage,
 * no messages, no DOM: everything here is unit-tested with plain values.
 */
import type { LoginOutcome, PendingLogin } from '../shared/auth.ts';
import type { ErrorCode } from '../shared/errors.ts';
import {
  authorityError,
  EMPTY_FORM,
  type FieldErrors,
  normalizeAuthority,
  PROVIDER_PRESETS,
  type ProviderKind,
  type ProviderPreset,
  presetForNickname,
  type RepositorySettings,
  type SettingsField,
  type SettingsForm,
} from '../shared/settings.ts';
import type { FormDraft } from '../shared/storage.ts';

export interface FormState {
  form: SettingsForm;
  /** The Required checkbox; saved with OK, not part of the draft. */
  required: boolean;
  providerKind: ProviderKind;
  errors: FieldErrors;
  secretVisible: boolean;
  /** The form differs from the saved settings (a restored draft or an edit): don't follow `settings` changes. */
  dirty: boolean;
  /** Bumped on each user edit of a drafted field; the draft is written when it changes and is > 0. */
  draftRevision: number;
}

export type FormAction =
  | { type: 'edit'; field: SettingsField; value: string }
  | { type: 'chooseProvider'; kind: ProviderKind }
  | { type: 'setRequired'; value: boolean }
  | { type: 'toggleSecret' }
  | { type: 'setErrors'; errors: FieldErrors }
  /** An error from the background that belongs to one field. */
  | { type: 'fieldError'; field: SettingsField; message: string }
  /** Saved settings changed elsewhere; followed only while the form is not dirty. */
  | { type: 'settingsChanged'; settings: RepositorySettings | null }
  /** OK succeeded: the repository now holds the form (and the secret). */
  | { type: 'saved'; settings: RepositorySettings | null }
  /** Cancel: back to the saved settings. */
  | { type: 'discard'; settings: RepositorySettings | null };

export function settingsToForm(settings: RepositorySettings | null): SettingsForm {
  if (!settings) return { ...EMPTY_FORM };
  return {
    nickname: settings.nickname,
    authority: settings.authority,
    clientId: settings.clientId,
    clientSecret: '',
  };
}

/** The draft the popup keeps in session storage: never the secret. */
export function draftOf(form: SettingsForm): FormDraft {
  return { nickname: form.nickname, authority: form.authority, clientId: form.clientId };
}

function fromSettings(settings: RepositorySettings | null): FormState {
  const form = settingsToForm(settings);
  return {
    form,
    required: settings?.required ?? false,
    providerKind: presetForNickname(form.nickname),
    errors: {},
    secretVisible: false,
    dirty: false,
    draftRevision: 0,
  };
}

/** Initial state on open: the draft if there is one, else the saved settings, else empty. The secret always starts empty. */
export function initialFormState(input: {
  draft: FormDraft | null;
  settings: RepositorySettings | null;
}): FormState {
  const base = fromSettings(input.settings);
  if (!input.draft) return base;
  const form: SettingsForm = {
    nickname: input.draft.nickname,
    authority: input.draft.authority,
    clientId: input.draft.clientId,
    clientSecret: '',
  };
  return { ...base, form, providerKind: presetForNickname(form.nickname), dirty: true };
}

export function presetFor(kind: ProviderKind): ProviderPreset {
  const preset = PROVIDER_PRESETS.find((p) => p.kind === kind) ?? PROVIDER_PRESETS.at(-1);
  if (!preset) throw new Error('PROVIDER_PRESETS is empty');
  return preset;
}

/** A nickname the chooser may overwrite: empty, or the name of a preset (the user did not make it up). */
export function isPresetNickname(nickname: string): boolean {
  const n = nickname.trim().toLowerCase();
  return (
    n === '' ||
    presetForNickname(n) !== 'other' ||
    PROVIDER_PRESETS.some((p) => p.label.toLowerCase() === n)
  );
}

/** Choosing a provider type fills the nickname when the user has not named the provider themselves. */
export function applyProviderChoice(form: SettingsForm, kind: ProviderKind): SettingsForm {
  if (!isPresetNickname(form.nickname)) return form;
  const nickname = kind === 'other' ? '' : presetFor(kind).label;
  return nickname === form.nickname ? form : { ...form, nickname };
}

function withoutError(errors: FieldErrors, field: SettingsField): FieldErrors {
  if (!(field in errors)) return errors;
  const next = { ...errors };
  delete next[field];
  return next;
}

export function formReducer(state: FormState, action: FormAction): FormState {
  switch (action.type) {
    case 'edit': {
      const form = { ...state.form, [action.field]: action.value };
      const drafted = action.field !== 'clientSecret';
      // Typing a preset's name selects that preset; a made-up name leaves the chooser alone.
      const typedKind = action.field === 'nickname' ? presetForNickname(action.value) : 'other';
      return {
        ...state,
        form,
        providerKind: typedKind === 'other' ? state.providerKind : typedKind,
        errors: withoutError(state.errors, action.field),
        dirty: true,
        draftRevision: drafted ? state.draftRevision + 1 : state.draftRevision,
      };
    }
    case 'chooseProvider': {
      const form = applyProviderChoice(state.form, action.kind);
      const nicknameChanged = form.nickname !== state.form.nickname;
      return {
        ...state,
        form,
        providerKind: action.kind,
        errors: nicknameChanged ? withoutError(state.errors, 'nickname') : state.errors,
        dirty: true,
        draftRevision: nicknameChanged ? state.draftRevision + 1 : state.draftRevision,
      };
    }
    case 'setRequired':
      return { ...state, required: action.value, dirty: true };
    case 'toggleSecret':
      return { ...state, secretVisible: !state.secretVisible };
    case 'setErrors':
      return { ...state, errors: action.errors };
    case 'fieldError':
      return { ...state, errors: { ...state.errors, [action.field]: action.message } };
    case 'settingsChanged':
      if (state.dirty) return state;
      return { ...fromSettings(action.settings), secretVisible: state.secretVisible };
    case 'saved':
      // Without the repository's answer, keep what was sent, minus the secret the relay now holds.
      return action.settings
        ? fromSettings(action.settings)
        : {
            ...state,
            form: { ...state.form, clientSecret: '' },
            errors: {},
            secretVisible: false,
            dirty: false,
            draftRevision: 0,
          };
    case 'discard':
      return fromSettings(action.settings);
  }
}

function sameAuthority(a: string, b: string): boolean {
  const norm = (v: string) => (authorityError(v) === null ? normalizeAuthority(v) : v.trim());
  return norm(a) === norm(b);
}

/** The repository holds a secret for exactly this authority and client, so an empty secret field keeps it. */
export function isSecretStored(form: SettingsForm, settings: RepositorySettings | null): boolean {
  return (
    settings?.hasSecret === true &&
    form.clientId.trim() === settings.clientId.trim() &&
    sameAuthority(form.authority, settings.authority)
  );
}

/** Which field an error code from the background belongs to, so it shows next to that field. */
export function fieldForErrorCode(code: ErrorCode): SettingsField | null {
  switch (code) {
    case 'invalid_authority':
    case 'discovery_invalid':
    case 'issuer_mismatch':
      return 'authority';
    case 'missing_secret':
      return 'clientSecret';
    default:
      return null;
  }
}

/** Field order on the page, for focusing the first invalid field. */
export const FIELD_ORDER: readonly SettingsField[] = [
  'nickname',
  'authority',
  'clientId',
  'clientSecret',
];

export function firstInvalidField(errors: FieldErrors): SettingsField | null {
  return FIELD_ORDER.find((f) => errors[f] !== undefined) ?? null;
}

// ---------------------------------------------------------------------------
// Messages

export type NoticeKind = 'success' | 'error' | 'info';

export interface Notice {
  kind: NoticeKind;
  text: string;
  code?: string | undefined;
  detail?: string | undefined;
  /** Epoch ms; the newest notice is the one shown. */
  at: number;
  /** Set for notices that come from `loginOutcome`. */
  source?: 'outcome';
}

/** How long a login outcome stays on screen after the login ended. */
export const OUTCOME_MAX_AGE_MS = 5 * 60 * 1000;

const UNSUCCESSFUL_PREFIX = /^login unsuccessful:\s*/i;

/**
 * The message for the last login's outcome, or null when it is stale: older
 * than five minutes, dismissed, superseded by a login now in progress, or a
 * success that no longer holds (signed out since).
 */
export function outcomeNotice(input: {
  outcome: LoginOutcome | null;
  pendingLogin: PendingLogin | null;
  authenticated: boolean;
  userName: string | null;
  dismissedAt: number | null;
  now: number;
}): Notice | null {
  const { outcome } = input;
  if (!outcome) return null;
  if (input.now - outcome.at >= OUTCOME_MAX_AGE_MS) return null;
  if (input.dismissedAt !== null && input.dismissedAt >= outcome.at) return null;
  if (input.pendingLogin && input.pendingLogin.createdAt > outcome.at) return null;
  if (outcome.outcome === 'success') {
    if (!input.authenticated) return null;
    const text = input.userName
      ? `Login successful. Signed in as ${input.userName}.`
      : 'Login successful.';
    return { kind: 'success', text, at: outcome.at, source: 'outcome' };
  }
  const reason = (outcome.error?.message ?? outcome.message).replace(UNSUCCESSFUL_PREFIX, '');
  return {
    kind: 'error',
    text: `Login unsuccessful: ${reason}`,
    code: outcome.error?.code,
    detail: outcome.error?.detail,
    at: outcome.at,
    source: 'outcome',
  };
}

/** One message at a time: the newest of the popup's own and the last login outcome. */
export function pickNotice(local: Notice | null, outcome: Notice | null): Notice | null {
  if (!local) return outcome;
  if (!outcome) return local;
  return outcome.at > local.at ? outcome : local;
}
