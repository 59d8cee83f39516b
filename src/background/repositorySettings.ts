/** OK and sync: the repository settings live in the relay; the browser keeps a copy without the secret. */

import { CompanionError } from '../shared/errors.ts';
import type { RepositorySettings, SettingsForm } from '../shared/settings.ts';
import { cleanForm, hasErrors, validateSettingsForm } from '../shared/settings.ts';
import * as storage from '../shared/storage.ts';
import { relay } from './relayClient.ts';

export async function saveSettings(
  rawForm: SettingsForm,
  required: boolean,
): Promise<RepositorySettings> {
  const form = cleanForm(rawForm);
  // The relay decides whether an empty secret may keep a stored one; here only the shape is checked.
  const errors = validateSettingsForm(form, { secretStored: true });
  if (hasErrors(errors)) {
    const first = Object.values(errors)[0] ?? 'The settings are not valid.';
    throw new CompanionError('invalid_settings', first, { detail: JSON.stringify(errors) });
  }
  const auth = await storage.read('auth');
  const { settings } = await relay.putSettings({
    nickname: form.nickname,
    authority: form.authority,
    clientId: form.clientId,
    ...(form.clientSecret === '' ? {} : { clientSecret: form.clientSecret }),
    required,
    ...(auth.sessionId ? { sessionId: auth.sessionId } : {}),
  });
  await storage.writeMany({ settings, draft: null });
  return settings;
}

export async function syncSettings(): Promise<RepositorySettings | null> {
  const { settings } = await relay.getSettings();
  await storage.write('settings', settings);
  return settings;
}
