/**
 * The repository's OIDC settings (the product's "OK saves the changes to the
 * repository settings"). GET never returns the secret, only whether one is
 * stored. PUT validates like the popup does, keeps or takes over a secret
 * only for the very same client, and lets only a user authenticated with
 * these settings flip Required, which switches OIDC for every user of the
 * repository. Nothing is written unless everything checks out.
 */
import type { GetSettingsResponse, PutSettingsResponse } from '../../shared/relayApi.ts';
import { RELAY_PATHS } from '../../shared/relayApi.ts';
import {
  cleanForm,
  hasErrors,
  normalizeAuthority,
  type RepositorySettings,
  validateSettingsForm,
} from '../../shared/settings.ts';
import { auditEntry } from '../audit.ts';
import { sameClient, sessionSecretFor, settingsSecretFor } from '../clientSecret.ts';
import type { RequestContext, Route } from '../context.ts';
import { booleanField, HttpError, readJsonObject, sendJson, stringField } from '../http.ts';
import type { SessionRecord, SettingsRecord } from '../repository/types.ts';
import { SECRET_CONTEXT } from '../secretBox.ts';
import { invalidSettings } from './sessions.ts';

export function publicSettings(s: SettingsRecord): RepositorySettings {
  return {
    nickname: s.nickname,
    authority: s.authority,
    clientId: s.clientId,
    hasSecret: s.clientSecretEnc !== null,
    required: s.required,
    updatedAt: s.updatedAt,
  };
}

async function ownSession(
  ctx: RequestContext,
  id: string | undefined,
): Promise<SessionRecord | null> {
  if (id === undefined || id === '' || ctx.pairing === null) return null;
  const session = await ctx.deps.store.getSession(id);
  return session !== null && session.pairingId === ctx.pairing.id ? session : null;
}

async function putSettings(ctx: RequestContext): Promise<void> {
  const { deps, pairing } = ctx;
  const body = await readJsonObject(ctx.req);
  const form = cleanForm({
    nickname: stringField(body, 'nickname'),
    authority: stringField(body, 'authority'),
    clientId: stringField(body, 'clientId'),
    clientSecret: stringField(body, 'clientSecret', true) ?? '',
  });
  const required = booleanField(body, 'required');
  const session = await ownSession(ctx, stringField(body, 'sessionId', true));

  // The secret is checked separately below, to tell "missing" from "invalid".
  const errors = validateSettingsForm(form, { secretStored: true });
  if (hasErrors(errors)) throw invalidSettings(errors);

  const stored = await deps.store.getSettings();
  const secret =
    form.clientSecret !== ''
      ? form.clientSecret
      : (settingsSecretFor(deps, stored, form) ?? sessionSecretFor(deps, session, form));
  if (secret === null) {
    throw new HttpError(
      400,
      'missing_secret',
      'Enter the Client Secret: the repository holds none for this authority and client ID.',
    );
  }

  const authenticatedHere =
    session !== null && session.status === 'authenticated' && sameClient(session, form);
  const storedRequired = stored?.required ?? false;
  if (required !== storedRequired && !authenticatedHere) {
    throw new HttpError(
      403,
      'not_authenticated',
      'Log in with these settings before changing Required.',
    );
  }

  const authority = normalizeAuthority(form.authority);
  const storedSecret =
    stored?.clientSecretEnc == null
      ? null
      : deps.secrets.open(stored.clientSecretEnc, SECRET_CONTEXT.settings);
  const changed: string[] = [];
  if (stored?.nickname !== form.nickname) changed.push('nickname');
  if (stored?.authority !== authority) changed.push('authority');
  if (stored?.clientId !== form.clientId) changed.push('clientId');
  if (storedSecret !== secret) changed.push('clientSecret');
  if (stored === null || stored.required !== required) changed.push('required');

  if (stored !== null && changed.length === 0) {
    const unchanged: PutSettingsResponse = { settings: publicSettings(stored) };
    sendJson(ctx.res, 200, unchanged);
    return;
  }

  const now = deps.now();
  const sub = authenticatedHere ? session.sub : null;
  const record: SettingsRecord = {
    nickname: form.nickname,
    authority,
    clientId: form.clientId,
    // Sealed afresh even when unchanged: a new IV costs nothing.
    clientSecretEnc: deps.secrets.seal(secret, SECRET_CONTEXT.settings),
    required,
    updatedAt: now.toISOString(),
    updatedBySub: sub,
  };
  await deps.store.saveSettings(
    record,
    auditEntry(
      'settings_changed',
      { pairingId: pairing?.id ?? null, sessionId: session?.id ?? null, sub },
      // Field names only: never the values of the secret.
      { changed, authority, clientId: form.clientId, required },
      now,
    ),
  );
  const response: PutSettingsResponse = { settings: publicSettings(record) };
  sendJson(ctx.res, 200, response);
}

export const settingsRoutes: Route[] = [
  {
    method: 'GET',
    path: RELAY_PATHS.settings,
    pairing: true,
    errors: 'api',
    async handle({ res, deps }) {
      const stored = await deps.store.getSettings();
      const body: GetSettingsResponse = {
        settings: stored === null ? null : publicSettings(stored),
      };
      sendJson(res, 200, body);
    },
  },
  {
    method: 'PUT',
    path: RELAY_PATHS.settings,
    pairing: true,
    errors: 'api',
    handle: putSettings,
  },
];
