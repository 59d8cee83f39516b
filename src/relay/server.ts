/**
 * The relay: a plain node:http server on loopback (127.0.0.1 and ::1). This
 * module wires the parts together and runs the guards every request passes:
 * Host (421), Origin on /api/ (403), route (404/405), pairing (401). The
 * routes do the rest. No response ever carries an Access-Control-* header.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { CALLBACK_PATH, CHROME_EXTENSION_ORIGIN, isValidPort } from '../shared/config.ts';
import { CompanionError, toCompanionError } from '../shared/errors.ts';
import { AuthorizationResponseStore } from './authResponses.ts';
import { sendCallbackPage } from './callbackPage.ts';
import type { ErrorFormat, RelayDeps, RequestContext } from './context.ts';
import { allowedHosts, authenticatePairing, checkOrigin, hostAllowed } from './guards.ts';
import { HttpError, sendApiError, sendOAuthError, statusFor } from './http.ts';
import { JwksCache } from './jwksCache.ts';
import { listenLoopback } from './listen.ts';
import { type AnswerVault, RefreshGate, type TokenAnswer } from './refreshGate.ts';
import { openRepository } from './repository/index.ts';
import type { RepositoryStore } from './repository/types.ts';
import { Router } from './router.ts';
import { ROUTES } from './routes/index.ts';
import { SECRET_CONTEXT, SecretBox } from './secretBox.ts';

export interface RelayOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** Origins admitted on /api/ (default: the Chrome build's pinned extension origin). */
  allowedOrigins?: string[];
  log?: (line: string) => void;
  /** Used for every request to a provider (tests may wrap it). */
  fetch?: typeof fetch;
}

export interface RunningRelay {
  port: number;
  /** http://localhost:PORT */
  origin: string;
  /** http://localhost:PORT/callback/, to register at the provider. */
  redirectUri: string;
  dataDir: string;
  /** The repository's location (the SQLite file). */
  repositoryPath: string;
  /** e.g. ['127.0.0.1:5000', '[::1]:5000'] */
  addresses: string[];
  store: RepositoryStore;
  close(): Promise<void>;
}

/** Refresh answers hold tokens: in the repository they are sealed, bound to their key. */
function answerVault(store: RepositoryStore, secrets: SecretBox): AnswerVault {
  return {
    async load(key) {
      const kept = await store.findRefreshAnswer(key, Date.now());
      if (kept === null) return null;
      try {
        return JSON.parse(
          secrets.open(kept.sealed, SECRET_CONTEXT.refreshAnswer(key)),
        ) as TokenAnswer;
      } catch {
        return null; // sealed under another key (data dir restored): as if never kept
      }
    },
    async save(key, sessionId, answer, expiresAt) {
      const sealed = secrets.seal(JSON.stringify(answer), SECRET_CONTEXT.refreshAnswer(key));
      await store.saveRefreshAnswer({ key, sessionId, sealed, expiresAt });
    },
    forget: (sessionId) => store.deleteRefreshAnswers(sessionId),
  };
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const VERSION = readVersion();

function renderError(
  res: ServerResponse,
  err: unknown,
  format: ErrorFormat,
  log: (line: string) => void,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let e = toCompanionError(err);
  if (!(err instanceof CompanionError)) {
    // Unexpected: keep the detail on the console (never request data), not in the answer.
    log(`Unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    e = new CompanionError('internal', 'The relay hit an unexpected error; see its console.');
  }
  const status = statusFor(e);
  const headers = e instanceof HttpError ? e.headers : {};
  if (format === 'oauth') sendOAuthError(res, status, e.code, e.message, headers);
  else if (format === 'html') {
    sendCallbackPage(res, status, status === 413 ? 'too_large' : 'invalid', headers);
  } else sendApiError(res, e);
}

function makeHandler(deps: RelayDeps, router: Router) {
  let hosts = allowedHosts(deps.port);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const target = req.url ?? '/';
    // Only origin-form targets ("/path?query"); anything else is treated as "/".
    const url = new URL(`http://localhost:${deps.port}${target.startsWith('/') ? target : '/'}`);
    let logged = false;
    const logLine = () => {
      if (logged) return;
      logged = true;
      // Path only: queries can hold codes and state (GET /callback/?code=...).
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      deps.log(
        `${req.method} ${url.pathname} ${status} ${Math.round(performance.now() - started)}ms`,
      );
    };
    res.on('finish', logLine);
    res.on('close', logLine);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');

    let format: ErrorFormat = url.pathname === CALLBACK_PATH ? 'html' : 'api';
    // deps.port is final once bound (port 0 resolves to the real one before any request is served).
    if (!hosts.has(`localhost:${deps.port}`)) hosts = allowedHosts(deps.port);
    try {
      if (!hostAllowed(req, hosts)) {
        throw new HttpError(
          421,
          'relay_forbidden',
          `This relay answers only to localhost:${deps.port}, 127.0.0.1:${deps.port} or [::1]:${deps.port}.`,
        );
      }
      if (
        url.pathname.startsWith('/api/') &&
        checkOrigin(req, deps.allowedOrigins) === 'forbidden'
      ) {
        throw new HttpError(403, 'relay_forbidden', 'This origin may not use the relay.');
      }
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (match.kind === 'not_found') {
        throw new HttpError(404, 'not_found', `There is nothing at ${url.pathname}.`);
      }
      if (match.kind === 'method_not_allowed') {
        format = match.errors;
        throw new HttpError(
          405,
          'relay_bad_request',
          `${req.method} is not allowed here; use ${match.allow.join(' or ')}.`,
          { headers: { Allow: match.allow.join(', ') } },
        );
      }
      format = match.route.errors;
      const ctx: RequestContext = { req, res, url, params: match.params, pairing: null, deps };
      if (match.route.pairing) {
        ctx.pairing = await authenticatePairing(req, deps.store, deps.now());
        if (ctx.pairing === null) {
          throw new HttpError(
            401,
            'relay_unpaired',
            'This browser is not paired with the relay (or its pairing was reset). Pair again.',
          );
        }
      }
      await match.route.handle(ctx);
    } catch (err) {
      renderError(res, err, format, deps.log);
    }
  };
}

export async function startRelay(opts: RelayOptions): Promise<RunningRelay> {
  if (opts.port !== 0 && !isValidPort(opts.port)) {
    throw new CompanionError('relay_bad_request', `Invalid port ${opts.port}: use 1 to 65535.`);
  }
  const log = opts.log ?? ((line: string) => console.log(line));
  const dataDir = resolve(opts.dataDir);
  const store = openRepository(dataDir);
  try {
    const secrets = SecretBox.forDataDir(dataDir, log);
    const deps: RelayDeps = {
      port: opts.port,
      version: VERSION,
      store,
      secrets,
      authResponses: new AuthorizationResponseStore(),
      jwks: new JwksCache(opts.fetch ?? globalThis.fetch),
      refreshGate: new RefreshGate({ vault: answerVault(store, secrets) }),
      fetch: opts.fetch ?? globalThis.fetch,
      allowedOrigins: opts.allowedOrigins ?? [CHROME_EXTENSION_ORIGIN],
      log,
      now: () => new Date(),
    };
    const handler = makeHandler(deps, new Router(ROUTES));
    const listeners = await listenLoopback(
      () => createServer((req, res) => void handler(req, res)),
      opts.port,
      log,
      (port) => {
        deps.port = port;
      },
    );
    let closing: Promise<void> | null = null;
    return {
      port: listeners.port,
      origin: `http://localhost:${listeners.port}`,
      redirectUri: `http://localhost:${listeners.port}${CALLBACK_PATH}`,
      dataDir,
      repositoryPath: store.location,
      addresses: listeners.addresses,
      store,
      close() {
        closing ??= listeners.close().then(() => store.close());
        return closing;
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
