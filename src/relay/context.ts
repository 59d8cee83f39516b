/** What every route handler gets: the request, its route parameters, the caller's pairing, and the relay's parts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthorizationResponseStore } from './authResponses.ts';
import type { JwksCache } from './jwksCache.ts';
import type { RefreshGate } from './refreshGate.ts';
import type { PairingRecord, RepositoryStore } from './repository/types.ts';
import type { SecretBox } from './secretBox.ts';

export interface RelayDeps {
  port: number;
  version: string;
  store: RepositoryStore;
  secrets: SecretBox;
  authResponses: AuthorizationResponseStore;
  jwks: JwksCache;
  /** One refresh per refresh token at the provider (see refreshGate.ts). */
  refreshGate: RefreshGate;
  fetch: typeof fetch;
  allowedOrigins: readonly string[];
  log: (line: string) => void;
  now: () => Date;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** Set on routes that require pairing. */
  pairing: PairingRecord | null;
  deps: RelayDeps;
}

/** How a route reports errors: ApiErrorBody JSON, RFC 6749 5.2 JSON, or the callback page. */
export type ErrorFormat = 'api' | 'oauth' | 'html';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** e.g. '/api/sessions/:id/token'; `:name` matches one path segment. */
  path: string;
  pairing: boolean;
  errors: ErrorFormat;
  handle(ctx: RequestContext): Promise<void>;
}
