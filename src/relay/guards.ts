/**
 * Who may talk to the relay. Three independent checks:
 * - Host: a web page can point its own DNS name at 127.0.0.1 (DNS rebinding)
 *   and then talk to us as a same-origin site; its requests still carry its
 *   own name in Host, so anything but localhost/127.0.0.1/[::1] with our port
 *   is refused with 421 Misdirected Request (RFC 9110 15.5.20).
 * - Origin: any Origin on /api/ must be the extension's. Chromium omits Origin
 *   on GET from an extension service worker, so a missing Origin is allowed
 *   and the pairing token decides. No CORS headers are ever sent: the
 *   extension has host permissions and needs none, and web pages get nothing.
 * - Pairing: a random token the extension obtained from POST /api/pair, sent
 *   in PAIRING_HEADER. Only its SHA-256 is stored.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PAIRING_HEADER } from '../shared/relayApi.ts';
import type { PairingRecord, RepositoryStore } from './repository/types.ts';

export function allowedHosts(port: number): Set<string> {
  return new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
}

export function hostAllowed(req: IncomingMessage, hosts: Set<string>): boolean {
  const host = req.headers.host;
  return host !== undefined && hosts.has(host.toLowerCase());
}

export type OriginVerdict = 'absent' | 'allowed' | 'forbidden';

export function checkOrigin(
  req: IncomingMessage,
  allowedOrigins: readonly string[],
): OriginVerdict {
  const origin = req.headers.origin;
  if (origin === undefined) return 'absent';
  return allowedOrigins.includes(origin) ? 'allowed' : 'forbidden';
}

export function hashPairingToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newPairingToken(): { id: string; token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { id: randomUUID(), token, tokenHash: hashPairingToken(token) };
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** last_seen_at is informational; writing it once a minute per pairing is plenty. */
const TOUCH_INTERVAL_MS = 60_000;

export async function authenticatePairing(
  req: IncomingMessage,
  store: RepositoryStore,
  now: Date,
): Promise<PairingRecord | null> {
  const value = req.headers[PAIRING_HEADER.toLowerCase()];
  if (typeof value !== 'string' || !TOKEN_SHAPE.test(value)) return null;
  // A hash lookup, so no timing comparison against stored tokens is involved.
  const pairing = await store.findPairingByTokenHash(hashPairingToken(value));
  if (pairing === null) return null;
  const last = pairing.lastSeenAt === null ? 0 : Date.parse(pairing.lastSeenAt);
  if (now.getTime() - last > TOUCH_INTERVAL_MS) {
    await store.touchPairing(pairing.id, now.toISOString());
  }
  return pairing;
}
