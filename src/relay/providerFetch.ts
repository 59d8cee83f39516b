/**
 * Every request the relay makes to a provider goes through here: a 10 s
 * timeout, no redirects (a redirect could lead the relay, and the client
 * secret, to a host discovery never named), a bounded response body, and
 * network failures turned into a sentence a DBA can act on.
 */
import { CompanionError } from '../shared/errors.ts';

export const PROVIDER_TIMEOUT_MS = 10_000;
export const PROVIDER_BODY_LIMIT = 1024 * 1024;

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
};

function errorCode(err: unknown): string | undefined {
  // undici wraps the socket error: TypeError('fetch failed', { cause: { code } }),
  // sometimes an AggregateError (one error per resolved address) in between.
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (e as { errors?: unknown[] }).errors?.[0];
    e = (e as { cause?: unknown }).cause ?? inner;
  }
  return undefined;
}

function causeMessage(err: unknown): string {
  let e = err;
  while ((e as { cause?: unknown })?.cause !== undefined) e = (e as { cause: unknown }).cause;
  return e instanceof Error ? e.message : String(e);
}

/** "connection refused (ECONNREFUSED)", "no answer within 10 s", ... */
export function describeFetchError(err: unknown, timeoutMs = PROVIDER_TIMEOUT_MS): string {
  const name = (err as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const code = errorCode(err);
  if (code !== undefined) {
    if (REASONS[code] !== undefined) return `${REASONS[code]} (${code})`;
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
      return `its TLS certificate is not trusted (${code})`;
    }
    return code;
  }
  const message = causeMessage(err);
  if (/redirect/i.test(message)) {
    return 'it answered with a redirect, which the relay does not follow';
  }
  return message;
}

export interface ProviderFetchOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/**
 * Fetches from a provider. Throws CompanionError('provider_unreachable') when
 * no HTTP answer arrives; any HTTP status is returned to the caller.
 */
export async function providerFetch(
  fetchImpl: typeof fetch,
  url: string,
  options: ProviderFetchOptions = {},
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? PROVIDER_TIMEOUT_MS;
  try {
    return await fetchImpl(url, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      redirect: 'error',
      // Server-to-server: never send or store cookies.
      credentials: 'omit',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new CompanionError(
      'provider_unreachable',
      `Could not reach the provider at ${new URL(url).origin}: ${describeFetchError(err, timeoutMs)}`,
      { cause: err, detail: url },
    );
  }
}

/** Reads a response body as text, refusing more than `limit` bytes. */
export async function readTextLimited(
  response: Response,
  limit = PROVIDER_BODY_LIMIT,
): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new CompanionError(
          'token_request_failed',
          `The provider's answer from ${new URL(response.url || 'http://provider').origin} is larger than ${limit / 1024} KiB.`,
        );
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof CompanionError) throw err;
    throw new CompanionError(
      'provider_unreachable',
      `The provider's answer was cut off: ${describeFetchError(err)}`,
      { cause: err },
    );
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object, or returns null when the text is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
