// @vitest-environment happy-dom
// Pure helpers: no DOM needed, but every popup test file runs in the same environment.
import { describe, expect, it } from 'vitest';
import {
  applyProviderChoice,
  draftOf,
  fieldForErrorCode,
  firstInvalidField,
  formReducer,
  initialFormState,
  isPresetNickname,
  isSecretStored,
  type Notice,
  OUTCOME_MAX_AGE_MS,
  outcomeNotice,
  pickNotice,
  settingsToForm,
} from '../../src/popup/formState.ts';
import type { LoginOutcome } from '../../src/shared/auth.ts';
import type { RepositorySettings } from '../../src/shared/settings.ts';
import { cleanForm, EMPTY_FORM, validateSettingsForm } from '../../src/shared/settings.ts';
import { pendingLoginFixture } from './support/fixtures.ts';

const saved: RepositorySettings = {
  nickname: 'Okta',
  authority: 'https://example.okta.com/oauth2/default',
  clientId: 'client-1',
  hasSecret: true,
  required: true,
  updatedAt: '2024-01-01T00:00:00.000Z',
};

describe('initialFormState', () => {
  it('starts empty without settings or draft', () => {
    const s = initialFormState({ draft: null, settings: null });
    expect(s.form).toEqual(EMPTY_FORM);
    expect(s.required).toBe(false);
    expect(s.providerKind).toBe('other');
    expect(s.dirty).toBe(false);
    expect(s.secretVisible).toBe(false);
  });

  it('starts from the saved settings, with an empty secret', () => {
    const s = initialFormState({ draft: null, settings: saved });
    expect(s.form).toEqual({
      nickname: 'Okta',
      authority: saved.authority,
      clientId: 'client-1',
      clientSecret: '',
    });
    expect(s.required).toBe(true);
    expect(s.providerKind).toBe('okta');
    expect(s.dirty).toBe(false);
  });

  it('prefers the draft over the saved settings, keeping Required from the settings', () => {
    const draft = { nickname: 'Entra ID', authority: 'https://login.x/', clientId: 'c2' };
    const s = initialFormState({ draft, settings: saved });
    expect(s.form).toEqual({ ...draft, clientSecret: '' });
    expect(s.providerKind).toBe('entra');
    expect(s.required).toBe(true);
    expect(s.dirty).toBe(true);
    expect(s.draftRevision).toBe(0);
  });
});

describe('formReducer', () => {
  const start = initialFormState({ draft: null, settings: null });

  it('edits a field, marks the form dirty and bumps the draft revision', () => {
    const s = formReducer(start, { type: 'edit', field: 'clientId', value: 'abc' });
    expect(s.form.clientId).toBe('abc');
    expect(s.dirty).toBe(true);
    expect(s.draftRevision).toBe(1);
  });

  it('does not bump the draft revision for the secret (it is never drafted)', () => {
    const s = formReducer(start, { type: 'edit', field: 'clientSecret', value: 's3cret' });
    expect(s.form.clientSecret).toBe('s3cret');
    expect(s.draftRevision).toBe(0);
    expect(draftOf(s.form)).not.toHaveProperty('clientSecret');
  });

  it('clears the error of the edited field only', () => {
    const withErrors = formReducer(start, {
      type: 'setErrors',
      errors: { authority: 'bad', clientId: 'missing' },
    });
    const s = formReducer(withErrors, { type: 'edit', field: 'authority', value: 'https://x' });
    expect(s.errors).toEqual({ clientId: 'missing' });
  });

  it('selects the preset when the nickname typed is a preset name', () => {
    const s = formReducer(start, { type: 'edit', field: 'nickname', value: 'entra id' });
    expect(s.providerKind).toBe('entra');
    const custom = formReducer(s, { type: 'edit', field: 'nickname', value: 'Corp SSO' });
    expect(custom.providerKind).toBe('entra');
  });

  it('chooses a provider: fills an empty nickname, keeps a custom one', () => {
    const okta = formReducer(start, { type: 'chooseProvider', kind: 'okta' });
    expect(okta.form.nickname).toBe('Okta');
    expect(okta.providerKind).toBe('okta');
    expect(okta.draftRevision).toBe(1);
    const entra = formReducer(okta, { type: 'chooseProvider', kind: 'entra' });
    expect(entra.form.nickname).toBe('Entra ID');
    const custom = formReducer(entra, { type: 'edit', field: 'nickname', value: 'Finance SSO' });
    const again = formReducer(custom, { type: 'chooseProvider', kind: 'okta' });
    expect(again.form.nickname).toBe('Finance SSO');
    expect(again.providerKind).toBe('okta');
  });

  it('toggles secret visibility and sets Required', () => {
    const shown = formReducer(start, { type: 'toggleSecret' });
    expect(shown.secretVisible).toBe(true);
    expect(formReducer(shown, { type: 'toggleSecret' }).secretVisible).toBe(false);
    const req = formReducer(start, { type: 'setRequired', value: true });
    expect(req.required).toBe(true);
    expect(req.dirty).toBe(true);
  });

  it('adds a field error from the background', () => {
    const s = formReducer(start, { type: 'fieldError', field: 'clientSecret', message: 'nope' });
    expect(s.errors).toEqual({ clientSecret: 'nope' });
  });

  it('follows saved settings only while the form is not dirty', () => {
    const followed = formReducer(start, { type: 'settingsChanged', settings: saved });
    expect(followed.form.clientId).toBe('client-1');
    const edited = formReducer(start, { type: 'edit', field: 'clientId', value: 'mine' });
    const kept = formReducer(edited, { type: 'settingsChanged', settings: saved });
    expect(kept.form.clientId).toBe('mine');
  });

  it('following saved settings keeps the secret visibility the user chose', () => {
    const shown = formReducer(start, { type: 'toggleSecret' });
    const followed = formReducer(shown, { type: 'settingsChanged', settings: saved });
    expect(followed.secretVisible).toBe(true);
    expect(followed.required).toBe(true);
  });

  it('saved: takes the repository answer, clears the secret and the dirty flag', () => {
    let s = formReducer(start, { type: 'edit', field: 'clientSecret', value: 'x' });
    s = formReducer(s, { type: 'toggleSecret' });
    const after = formReducer(s, { type: 'saved', settings: saved });
    expect(after.form).toEqual(settingsToForm(saved));
    expect(after.secretVisible).toBe(false);
    expect(after.dirty).toBe(false);
    expect(after.draftRevision).toBe(0);
  });

  it('saved without an answer keeps the form but empties the secret', () => {
    let s = formReducer(start, { type: 'edit', field: 'clientId', value: 'cid' });
    s = formReducer(s, { type: 'edit', field: 'clientSecret', value: 'x' });
    const after = formReducer(s, { type: 'saved', settings: null });
    expect(after.form).toEqual({ ...EMPTY_FORM, clientId: 'cid' });
    expect(after.dirty).toBe(false);
  });

  it('discard goes back to the saved settings (or empty)', () => {
    let s = initialFormState({
      draft: { nickname: 'a', authority: 'b', clientId: 'c' },
      settings: saved,
    });
    s = formReducer(s, { type: 'setErrors', errors: { authority: 'bad' } });
    s = formReducer(s, { type: 'edit', field: 'clientSecret', value: 'typed' });
    const back = formReducer(s, { type: 'discard', settings: saved });
    expect(back.form).toEqual(settingsToForm(saved));
    expect(back.errors).toEqual({});
    expect(back.required).toBe(true);
    expect(formReducer(s, { type: 'discard', settings: null }).form).toEqual(EMPTY_FORM);
  });
});

describe('provider presets', () => {
  it('treats empty and preset names as replaceable', () => {
    expect(isPresetNickname('')).toBe(true);
    expect(isPresetNickname(' Okta ')).toBe(true);
    expect(isPresetNickname('Entra ID')).toBe(true);
    expect(isPresetNickname('Other')).toBe(true);
    expect(isPresetNickname('Payroll Okta')).toBe(false);
  });

  it('choosing Other clears a preset nickname but keeps a custom one', () => {
    expect(applyProviderChoice({ ...EMPTY_FORM, nickname: 'Okta' }, 'other').nickname).toBe('');
    expect(applyProviderChoice({ ...EMPTY_FORM, nickname: 'Mine' }, 'other').nickname).toBe('Mine');
  });
});

describe('isSecretStored', () => {
  const form = { ...settingsToForm(saved) };
  it('is true for the same authority and client when a secret is stored', () => {
    expect(isSecretStored(form, saved)).toBe(true);
    expect(isSecretStored({ ...form, clientId: ' client-1 ' }, saved)).toBe(true);
  });
  it('is false for another client or authority, no secret, or no settings', () => {
    expect(isSecretStored({ ...form, clientId: 'other' }, saved)).toBe(false);
    expect(isSecretStored({ ...form, authority: 'https://other.okta.com' }, saved)).toBe(false);
    expect(isSecretStored(form, { ...saved, hasSecret: false })).toBe(false);
    expect(isSecretStored(form, null)).toBe(false);
  });
  it('drives validation: an empty secret passes only when stored', () => {
    expect(validateSettingsForm(form, { secretStored: isSecretStored(form, saved) })).toEqual({});
    const other = { ...form, clientId: 'other' };
    expect(
      validateSettingsForm(other, { secretStored: isSecretStored(other, saved) }),
    ).toHaveProperty('clientSecret');
  });
});

describe('validation used by the popup', () => {
  const base = {
    nickname: 'n',
    authority: 'https://idp.example.com',
    clientId: 'c',
    clientSecret: 's',
  };
  it.each(['ftp://x', 'http://example.com', 'not a url'])('rejects authority %s', (authority) => {
    expect(validateSettingsForm({ ...base, authority })).toHaveProperty('authority');
  });
  it.each([
    'http://127.0.0.1:4000',
    'http://localhost:4000/tenant/v2.0',
    'https://idp.example.com',
  ])('accepts authority %s', (authority) => {
    expect(validateSettingsForm({ ...base, authority })).toEqual({});
  });
  it('cleanForm trims every field', () => {
    expect(
      cleanForm({
        nickname: ' n ',
        authority: ' https://a/ ',
        clientId: ' c ',
        clientSecret: ' s ',
      }),
    ).toEqual({ nickname: 'n', authority: 'https://a/', clientId: 'c', clientSecret: 's' });
  });
  it('firstInvalidField follows the page order', () => {
    expect(firstInvalidField({ clientSecret: 'x', authority: 'y' })).toBe('authority');
    expect(firstInvalidField({})).toBeNull();
  });
  it('maps background error codes to fields', () => {
    expect(fieldForErrorCode('invalid_authority')).toBe('authority');
    expect(fieldForErrorCode('missing_secret')).toBe('clientSecret');
    expect(fieldForErrorCode('provider_unreachable')).toBeNull();
  });
});

describe('outcomeNotice / pickNotice', () => {
  const now = 1_700_000_000_000;
  const success: LoginOutcome = { outcome: 'success', message: 'ok', error: null, at: now - 1000 };
  const failure: LoginOutcome = {
    outcome: 'failure',
    message: 'Login unsuccessful: The provider refused',
    error: { code: 'access_denied', message: 'The provider refused the login.' },
    at: now - 1000,
  };
  const base = {
    pendingLogin: null,
    authenticated: true,
    userName: 'Ada Lovelace',
    dismissedAt: null,
    now,
  };

  it('success names the user', () => {
    expect(outcomeNotice({ ...base, outcome: success })).toMatchObject({
      kind: 'success',
      text: 'Login successful. Signed in as Ada Lovelace.',
      source: 'outcome',
    });
  });

  it('failure gives the reason and the code', () => {
    expect(outcomeNotice({ ...base, authenticated: false, outcome: failure })).toMatchObject({
      kind: 'error',
      text: 'Login unsuccessful: The provider refused the login.',
      code: 'access_denied',
    });
    const noError = { ...failure, error: null };
    expect(outcomeNotice({ ...base, outcome: noError })?.text).toBe(
      'Login unsuccessful: The provider refused',
    );
  });

  it('hides stale outcomes', () => {
    expect(outcomeNotice({ ...base, outcome: null })).toBeNull();
    const old = { ...success, at: now - OUTCOME_MAX_AGE_MS };
    expect(outcomeNotice({ ...base, outcome: old })).toBeNull();
    expect(outcomeNotice({ ...base, outcome: success, dismissedAt: success.at })).toBeNull();
    expect(outcomeNotice({ ...base, outcome: success, authenticated: false })).toBeNull();
    const pending = pendingLoginFixture({
      state: 's',
      sessionId: 'x',
      issuer: 'i',
      createdAt: now,
    });
    expect(outcomeNotice({ ...base, outcome: failure, pendingLogin: pending })).toBeNull();
  });

  it('pickNotice shows the newest', () => {
    const a: Notice = { kind: 'info', text: 'a', at: 1 };
    const b: Notice = { kind: 'success', text: 'b', at: 2, source: 'outcome' };
    expect(pickNotice(a, b)).toBe(b);
    expect(pickNotice({ ...a, at: 3 }, b)?.text).toBe('a');
    expect(pickNotice(null, b)).toBe(b);
    expect(pickNotice(a, null)).toBe(a);
    expect(pickNotice(null, null)).toBeNull();
  });
});
