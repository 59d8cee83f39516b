import { TextField } from './TextField.tsx';

export const SECRET_STORED_PLACEHOLDER = 'Stored in the repository (leave empty to keep)';

export interface SecretFieldProps {
  value: string;
  visible: boolean;
  /** The repository already holds the secret for this authority and client. */
  stored: boolean;
  error?: string | undefined;
  onInput: (value: string) => void;
  onToggle: () => void;
}

/**
 * The Client Secret, hidden by default. The secret is never stored in the
 * browser nor read back, so this field starts empty on every open.
 */
export function SecretField(props: SecretFieldProps) {
  return (
    <TextField
      id="clientSecret"
      label="Client Secret"
      type={props.visible ? 'text' : 'password'}
      // Keep password managers from offering to save or fill an application secret.
      autoComplete="new-password"
      value={props.value}
      error={props.error}
      placeholder={props.stored ? SECRET_STORED_PLACEHOLDER : undefined}
      onInput={props.onInput}
      after={
        <button
          type="button"
          class="btn btn--inline"
          aria-controls="clientSecret"
          aria-pressed={props.visible}
          aria-label={props.visible ? 'Hide client secret' : 'Show client secret'}
          onClick={props.onToggle}
        >
          {props.visible ? 'Hide' : 'Show'}
        </button>
      }
    />
  );
}
