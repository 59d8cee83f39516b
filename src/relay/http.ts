/**
 * Request and response plumbing shared by the routes: bounded body reading,
 * content-type and JSON checks, and the three error shapes the relay speaks
 * (ApiErrorBody on /api/, RFC 6749 5.2 on the token endpoint, HTML on the
 * callback page).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CompanionError, type ErrorCode } from '../shared/errors.ts';
import type { ApiErrorBody } from '../shared/relayApi.ts';

/** A CompanionError with the HTTP status it is answered with. */
export class HttpError extends CompanionError {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: string; headers?: Record<string, string> },
  ) {
    super(code, message, options);
    this.status = status;
    this.headers = options?.headers ?? {};
  }
}

/** Status for a CompanionError raised below the HTTP layer. */
export function statusFor(err: CompanionError): number {
  if (err instanceof HttpError) return err.status;
  switch (err.code) {
    case 'provider_unreachable':
    case 'discovery_invalid':
    case 'issuer_mismatch':
    case 'invalid_id_token':
    case 'token_request_failed':
      return 502;
    case 'invalid_settings':
    case 'invalid_authority':
    case 'missing_secret':
    case 'relay_bad_request':
      return 400;
    case 'relay_unpaired':
      return 401;
    case 'relay_forbidden':
    case 'not_authenticated':
      return 403;
    case 'not_found':
      return 404;
    default:
      return 500;
  }
}

export const JSON_BODY_LIMIT = 64 * 1024;
export const CALLBACK_BODY_LIMIT = 16 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function sendApiError(res: ServerResponse, err: CompanionError): void {
  const body: ApiErrorBody = { error: err.toJSON() };
  sendJson(res, statusFor(err), body, err instanceof HttpError ? err.headers : {});
}

/** RFC 6749 section 5.2 error response, which oidc-client-ts reads (`error`, `error_description`). */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { error, error_description: description },
    { ...headers, Pragma: 'no-cache' },
  );
}

/** The media type without parameters, lower-case ('' when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function requireMediaType(req: IncomingMessage, expected: string): void {
  const actual = mediaType(req);
  if (actual !== expected) {
    throw new HttpError(
      415,
      'relay_bad_request',
      `Send the request body as ${expected}${actual === '' ? '' : ` (not ${actual})`}.`,
    );
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    'relay_bad_request',
    `The request body is larger than ${limit / 1024} KiB, the most this relay accepts here.`,
    // Stop reading: the rest of an oversized body is not worth receiving.
    { headers: { Connection: 'close' } },
  );
}

/** Reads the whole body, refusing more than `limit` bytes (checked before and while reading). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    received += buf.length;
    if (received > limit) throw tooLarge(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks, received);
}

export async function readJsonObject(
  req: IncomingMessage,
  limit = JSON_BODY_LIMIT,
): Promise<Record<string, unknown>> {
  requireMediaType(req, 'application/json');
  const raw = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(
      400,
      'relay_bad_request',
      `The request body is not valid JSON: ${(err as Error).message}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'relay_bad_request', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/**
 * Parses an application/x-www-form-urlencoded body. Parameters sent more than
 * once are refused (RFC 6749 3.1 and 3.2: "Request and response parameters
 * MUST NOT be included more than once").
 */
export async function readForm(
  req: IncomingMessage,
  limit: number,
): Promise<{ params: Record<string, string>; duplicate: string | null }> {
  requireMediaType(req, 'application/x-www-form-urlencoded');
  const raw = await readBody(req, limit);
  return parseFormParams(new URLSearchParams(raw.toString('utf8')));
}

export function parseFormParams(search: URLSearchParams): {
  params: Record<string, string>;
  duplicate: string | null;
} {
  const params: Record<string, string> = Object.create(null);
  let duplicate: string | null = null;
  for (const [name, value] of search) {
    if (Object.hasOwn(params, name)) duplicate ??= name;
    else params[name] = value;
  }
  return { params, duplicate };
}

/** Reads a string field of a JSON body; `optional` fields may be absent or null. */
export function stringField(
  body: Record<string, unknown>,
  name: string,
  optional: true,
): string | undefined;
export function stringField(body: Record<string, unknown>, name: string, optional?: false): string;
export function stringField(
  body: Record<string, unknown>,
  name: string,
  optional = false,
): string | undefined {
  const value = body[name];
  if ((value === undefined || value === null) && optional) return undefined;
  if (typeof value !== 'string') {
    throw new HttpError(
      400,
      'relay_bad_request',
      `The field "${name}" is ${value === undefined ? 'missing' : 'not a string'}.`,
    );
  }
  return value;
}

export function booleanField(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (typeof value !== 'boolean') {
    throw new HttpError(
      400,
      'relay_bad_request',
      `The field "${name}" is ${value === undefined ? 'missing' : 'not true or false'}.`,
    );
  }
  return value;
}
