export interface RequiredFieldProps {
  checked: boolean;
  /** Only an authenticated user may change it; before that it is shown, disabled. */
  enabled: boolean;
  onChange: (value: boolean) => void;
}

/** The Required checkbox: turns OpenID Connect on or off for every user of the repository. */
export function RequiredField({ checked, enabled, onChange }: RequiredFieldProps) {
  return (
    <div class={`check${enabled ? '' : ' check--disabled'}`}>
      <input
        id="required"
        type="checkbox"
        checked={checked}
        disabled={!enabled}
        aria-describedby="required-hint"
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <div>
        <label for="required">Required</label>
        <p id="required-hint" class="field__hint">
          Require OpenID Connect for all users of this repository.
          {!enabled && ' Available once you are authenticated.'}
        </p>
      </div>
    </div>
  );
}
