/**
 * Errors with stable codes. Every failure that crosses a boundary (relay ->
 * background -> popup) carries one of these codes so tests and the UI can
 * branch on the code, never on message text.
 */
export const ERROR_CODES = [
  // input
  'invalid_settings',
  'invalid_authority',
  'missing_secret',
  // provider / network
  'provider_unreachable',
  'discovery_invalid',
  'issuer_mismatch',
  'token_request_failed',
  'invalid_client',
  'invalid_grant',
  'access_denied',
  'authorization_error',
  'invalid_id_token',
  'state_mismatch',
  'iss_mismatch',
  // token lifecycle
  'session_expired',
  'revocation_failed',
  // relay
  'relay_unreachable',
  'relay_unpaired',
  'relay_forbidden',
  'relay_bad_request',
  'relay_error',
  'not_found',
  'not_authenticated',
  'login_in_progress',
  'login_abandoned',
  'port_in_use',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SerializedError {
  code: ErrorCode;
  message: string;
  /** Technical detail for the curious DBA (provider error code, HTTP status). Never a token. */
  detail?: string;
}

export class CompanionError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CompanionError';
    this.code = code;
    this.detail = options?.detail;
  }

  toJSON(): SerializedError {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }

  static fromJSON(value: SerializedError): CompanionError {
    return new CompanionError(value.code, value.message, { detail: value.detail });
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export function isSerializedError(value: unknown): value is SerializedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    isErrorCode((value as { code?: unknown }).code) &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Wraps anything thrown into a CompanionError, keeping the original as `cause`. */
export function toCompanionError(err: unknown, fallback: ErrorCode = 'internal'): CompanionError {
  if (err instanceof CompanionError) return err;
  if (isSerializedError(err)) return CompanionError.fromJSON(err);
  const message = err instanceof Error ? err.message : String(err);
  return new CompanionError(fallback, message, { cause: err });
}
