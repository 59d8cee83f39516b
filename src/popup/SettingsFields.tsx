import type { FieldErrors, ProviderKind, SettingsField, SettingsForm } from '../shared/settings.ts';
import { PROVIDER_PRESETS } from '../shared/settings.ts';
import { presetFor } from './formState.ts';
import { HelpLinks } from './ProviderHelp.tsx';
import { SecretField } from './SecretField.tsx';
import { TextField } from './TextField.tsx';

export interface SettingsFieldsProps {
  form: SettingsForm;
  errors: FieldErrors;
  providerKind: ProviderKind;
  secretVisible: boolean;
  secretStored: boolean;
  /** While the settings are being saved, so what is saved is what is shown. */
  disabled?: boolean;
  onEdit: (field: SettingsField, value: string) => void;
  onChooseProvider: (kind: ProviderKind) => void;
  onToggleSecret: () => void;
}

/** The credential fields of the documented "OpenID Connect" settings. */
export function SettingsFields(props: SettingsFieldsProps) {
  const { form, errors } = props;
  return (
    <fieldset class="fields" disabled={props.disabled}>
      <legend class="visually-hidden">Provider credentials</legend>
      <div class="field-row">
        <div class="field field--provider">
          <label for="providerType">Provider type</label>
          <div class="field__control">
            <select
              id="providerType"
              value={props.providerKind}
              onChange={(e) => props.onChooseProvider(e.currentTarget.value as ProviderKind)}
            >
              {PROVIDER_PRESETS.map((p) => (
                <option key={p.kind} value={p.kind}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <TextField
          id="nickname"
          label="Provider nickname"
          hint="For internal use only."
          value={form.nickname}
          error={errors.nickname}
          onInput={(v) => props.onEdit('nickname', v)}
        />
      </div>
      <TextField
        id="authority"
        label="Authority URL"
        type="url"
        value={form.authority}
        error={errors.authority}
        placeholder={presetFor(props.providerKind).authorityExample}
        onInput={(v) => props.onEdit('authority', v)}
      />
      <TextField
        id="clientId"
        label="Client ID"
        value={form.clientId}
        error={errors.clientId}
        onInput={(v) => props.onEdit('clientId', v)}
      />
      <SecretField
        value={form.clientSecret}
        visible={props.secretVisible}
        stored={props.secretStored}
        error={errors.clientSecret}
        onInput={(v) => props.onEdit('clientSecret', v)}
        onToggle={props.onToggleSecret}
      />
      <HelpLinks kind={props.providerKind} />
    </fieldset>
  );
}
