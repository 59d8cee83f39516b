/**
 * Builds audit rows. The audit log records who did what and why it failed,
 * never a secret, an authorization code or a token: details are limited to
 * short scalar values, and keys that look like credentials are dropped
 * outright (defence in depth against a future caller passing a whole body).
 */
import type { AuditEntry, AuditEvent } from './repository/types.ts';

const FORBIDDEN_KEY = /secret|token|code_verifier|^code$|password|assertion|authorization/i;
const MAX_VALUE_LENGTH = 200;

type Scalar = string | number | boolean | null;

function clean(value: unknown): Scalar | Scalar[] | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.slice(0, MAX_VALUE_LENGTH);
  if (Array.isArray(value)) {
    return value
      .filter((v): v is string => typeof v === 'string')
      .map((v) => v.slice(0, MAX_VALUE_LENGTH));
  }
  return undefined;
}

export function sanitizeDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(detail)) {
    if (FORBIDDEN_KEY.test(key)) continue;
    const cleaned = clean(value);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  return out;
}

export function auditEntry(
  event: AuditEvent,
  who: { pairingId?: string | null; sessionId?: string | null; sub?: string | null },
  detail?: Record<string, unknown>,
  at: Date = new Date(),
): AuditEntry {
  return {
    at: at.toISOString(),
    event,
    pairingId: who.pairingId ?? null,
    sessionId: who.sessionId ?? null,
    sub: who.sub ?? null,
    detail: detail === undefined ? null : sanitizeDetail(detail),
  };
}
