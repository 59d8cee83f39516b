import type { ComponentChildren } from 'preact';

export interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
  placeholder?: string | undefined;
  type?: 'text' | 'url' | 'password';
  autoComplete?: string;
  /** Rendered after the input, inside the same row (e.g. the Show button). */
  after?: ComponentChildren;
}

export const errorId = (id: string) => `${id}-error`;
export const hintId = (id: string) => `${id}-hint`;

/** A labelled text input with its hint and its validation message wired up for assistive technology. */
export function TextField(props: TextFieldProps) {
  const { id, error, hint } = props;
  const describedBy = [hint ? hintId(id) : null, error ? errorId(id) : null]
    .filter((v) => v !== null)
    .join(' ');
  return (
    <div class={`field${error ? ' field--invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <div class="field__control">
        <input
          id={id}
          name={id}
          type={props.type ?? 'text'}
          value={props.value}
          placeholder={props.placeholder}
          autoComplete={props.autoComplete ?? 'off'}
          spellcheck={false}
          autoCapitalize="off"
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={describedBy || undefined}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
        {props.after}
      </div>
      {hint && (
        <p id={hintId(id)} class="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId(id)} class="field__error">
          {error}
        </p>
      )}
    </div>
  );
}
