import { useState } from 'preact/hooks';
import { redirectUri } from '../shared/config.ts';
import type { ProviderKind } from '../shared/settings.ts';
import { presetFor } from './formState.ts';
import { RelayPortField } from './RelayPortField.tsx';

/** Links to where Okta and Entra ID document the values the form asks for. */
export function HelpLinks({ kind }: { kind: ProviderKind }) {
  // A chosen provider gets its own link; "Other" shows both documented providers.
  const kinds: ProviderKind[] = kind === 'other' ? ['okta', 'entra'] : [kind];
  return (
    <p class="help">
      Where do I find these values?{' '}
      {kinds.map((k, i) => {
        const preset = presetFor(k);
        return (
          <span key={k}>
            {i > 0 && ' · '}
            <a href={preset.helpUrl} target="_blank" rel="noopener noreferrer">
              {preset.label}
            </a>
          </span>
        );
      })}
    </p>
  );
}

/** What the DBA registers at the provider: the callback URL and the grant types. */
export function ProviderSetup({ relayPort }: { relayPort: number }) {
  const uri = redirectUri(relayPort);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(uri);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // Clipboard unavailable: the URL is plain selectable text anyway.
    }
  };
  return (
    <details class="setup">
      <summary class="setup__label">Provider set-up: callback URL to register</summary>
      <div class="setup__row">
        <code class="setup__uri">{uri}</code>
        <button
          type="button"
          class="btn btn--inline"
          aria-label="Copy callback URL"
          onClick={() => void copy()}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p class="setup__hint">Okta: sign-in redirect URI · Entra ID: redirect URI</p>
      <p class="setup__hint">Grant types: Authorization Code and Refresh Token</p>
      <RelayPortField key={relayPort} relayPort={relayPort} />
    </details>
  );
}
