import { useState } from 'preact/hooks';
import { DEFAULT_RELAY_PORT, isValidPort } from '../shared/config.ts';
import * as storage from '../shared/storage.ts';

/**
 * The relay's port, for when 5000 is taken (macOS AirPlay Receiver listens on
 * it): the extension must call the relay where `npm start -- --port N` runs it,
 * and the provider must have http://localhost:N/callback/ registered.
 * The parent keys this component on the port, so a stored change resets it.
 */
export function RelayPortField({ relayPort }: { relayPort: number }) {
  const [value, setValue] = useState(String(relayPort));
  const [error, setError] = useState<string | null>(null);

  const apply = async () => {
    const trimmed = value.trim();
    const port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!isValidPort(port)) {
      setError('Enter a port number from 1 to 65535.');
      return;
    }
    setError(null);
    await storage.write('relayPort', port);
  };

  return (
    <div class="setup__port">
      <label for="relay-port">Relay port</label>
      <div class="setup__row">
        <input
          id="relay-port"
          type="text"
          inputMode="numeric"
          class="setup__port-input"
          value={value}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'relay-port-error' : 'relay-port-hint'}
          onInput={(e) => {
            setValue((e.target as HTMLInputElement).value);
          }}
        />
        <button type="button" class="btn btn--inline" onClick={() => void apply()}>
          Use port
        </button>
      </div>
      {error ? (
        <p id="relay-port-error" class="field__error">
          {error}
        </p>
      ) : (
        <p id="relay-port-hint" class="setup__hint">
          {`Now ${relayPort} (default ${DEFAULT_RELAY_PORT}). Must match "npm start -- --port N".`}
        </p>
      )}
    </div>
  );
}
