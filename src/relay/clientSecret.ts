/**
 * Which stored client secret may stand in for an empty Client Secret field.
 * The browser never reads a secret back, so "leave the field empty" has to
 * mean "use the one the relay already holds for this very client" and
 * nothing looser: a secret is only ever reused for the same normalized
 * authority and client ID.
 */
import { authorityError, normalizeAuthority } from '../shared/settings.ts';
import type { RelayDeps } from './context.ts';
import type { SessionRecord, SettingsRecord } from './repository/types.ts';
import { SECRET_CONTEXT } from './secretBox.ts';

export function sameClient(
  a: { authority: string; clientId: string },
  b: { authority: string; clientId: string },
): boolean {
  if (authorityError(a.authority) !== null || authorityError(b.authority) !== null) return false;
  return (
    normalizeAuthority(a.authority) === normalizeAuthority(b.authority) && a.clientId === b.clientId
  );
}

/** The repository's stored secret when the settings are for the same client. */
export function settingsSecretFor(
  deps: RelayDeps,
  settings: SettingsRecord | null,
  client: { authority: string; clientId: string },
): string | null {
  if (settings === null || settings.clientSecretEnc === null || !sameClient(settings, client)) {
    return null;
  }
  return deps.secrets.open(settings.clientSecretEnc, SECRET_CONTEXT.settings);
}

/** A login session's secret when that session is for the same client (and not yet wiped). */
export function sessionSecretFor(
  deps: RelayDeps,
  session: SessionRecord | null,
  client: { authority: string; clientId: string },
): string | null {
  if (session === null || session.clientSecretEnc === null || !sameClient(session, client)) {
    return null;
  }
  return deps.secrets.open(session.clientSecretEnc, SECRET_CONTEXT.session(session.id));
}
