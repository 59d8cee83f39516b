/**
 * The browser's part of a login against the hostile provider, over HTTP:
 * create the relay session, announce the state, authorize (the provider
 * auto-approves), deliver its answer to the relay's /callback/ as the
 * browser would, take it, and redeem the code through the relay.
 */
import { randomBytes } from 'node:crypto';
import type { RunningRelay } from '../../src/relay/server.ts';
import type { CreateSessionResponse } from '../../src/shared/relayApi.ts';
import type { Tenant } from '../support/hostileProvider.ts';
import {
  expectState,
  hiddenInputs,
  pkcePair,
  type RawResponse,
  type RelayClient,
  raw,
} from './helpers.ts';

export interface HostileLogin {
  session: CreateSessionResponse;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** What the provider sent to /callback/. */
  providerParams: Record<string, string>;
  /** The relay's answer to the /callback/ delivery. */
  callback: RawResponse;
  /** The parameters the relay handed over (null when it kept nothing). */
  taken: Record<string, string> | null;
  /** The relay's answer to the code exchange (null when there was no code to redeem). */
  tokenResponse: RawResponse | null;
}

export async function createHostileSession(
  relay: RunningRelay,
  client: RelayClient,
  tenant: Tenant,
): Promise<CreateSessionResponse> {
  const res = await client.json('POST', '/api/sessions', {
    nickname: 'Hostile',
    authority: tenant.issuer,
    clientId: tenant.clientId,
    clientSecret: tenant.clientSecret,
    redirectUri: relay.redirectUri,
  });
  if (res.status !== 200) throw new Error(`session: ${res.status} ${res.text}`);
  return res.json();
}

export async function hostileLogin(
  relay: RunningRelay,
  client: RelayClient,
  tenant: Tenant,
  opts: { responseMode?: 'form_post' | 'query'; session?: CreateSessionResponse } = {},
): Promise<HostileLogin> {
  const session = opts.session ?? (await createHostileSession(relay, client, tenant));
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  await expectState(client, state, session.sessionId);

  const authorize = new URL(session.metadata.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: tenant.clientId,
    response_type: 'code',
    response_mode: opts.responseMode ?? 'form_post',
    scope: 'openid profile email offline_access',
    redirect_uri: relay.redirectUri,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(k, v);
  }
  const answer = await fetch(authorize, { redirect: 'manual' });
  let providerParams: Record<string, string>;
  let callback: RawResponse;
  if (answer.status === 302) {
    const location = new URL(answer.headers.get('location') ?? '');
    providerParams = Object.fromEntries(location.searchParams);
    callback = await raw(relay.port, { path: location.pathname + location.search });
  } else {
    providerParams = hiddenInputs(await answer.text());
    callback = await raw(relay.port, {
      method: 'POST',
      path: '/callback/',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: new URL(tenant.issuer).origin,
      },
      body: new URLSearchParams(providerParams).toString(),
    });
  }
  const take = await client.json('POST', '/api/authorization-responses/take', { state });
  const taken = take.status === 200 ? (take.json().params as Record<string, string>) : null;
  const tokenResponse =
    taken?.code === undefined
      ? null
      : await client.form(session.relayTokenEndpoint, {
          grant_type: 'authorization_code',
          code: taken.code,
          redirect_uri: relay.redirectUri,
          code_verifier: verifier,
          client_id: tenant.clientId,
          // As the extension sends it (extraTokenParams): the relay checks it, never forwards it.
          nonce,
        });
  return {
    session,
    state,
    nonce,
    codeVerifier: verifier,
    providerParams,
    callback,
    taken,
    tokenResponse,
  };
}
