/**
 * The repository behind the relay: pairings, the OIDC settings, login
 * sessions and the audit log. Everything goes through RepositoryStore so the
 * embedded SQLite file can be swapped for a shared PostgreSQL server (the
 * multi-user option) without touching the routes. Methods are async for that
 * reason even though better-sqlite3 is synchronous. Writes that must land
 * together (a change and its audit row) are single methods, so every backend
 * can make them one transaction.
 */
import type { SessionStatus } from '../../shared/relayApi.ts';

export type TokenAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface PairingRecord {
  id: string;
  /** SHA-256 (hex) of the pairing token; the token itself is never stored. */
  tokenHash: string;
  origin: string;
  createdAt: string;
  lastSeenAt: string | null;
}

export interface SettingsRecord {
  nickname: string;
  /** Normalized (normalizeAuthority). */
  authority: string;
  clientId: string;
  /** SecretBox ciphertext; null when no secret is stored. */
  clientSecretEnc: string | null;
  required: boolean;
  updatedAt: string;
  updatedBySub: string | null;
}

export interface SessionRecord {
  id: string;
  pairingId: string;
  nickname: string;
  authority: string;
  /** The issuer as discovery published it (ID tokens must carry exactly this). */
  issuer: string;
  clientId: string;
  /** SecretBox ciphertext; wiped (null) when the session ends. */
  clientSecretEnc: string | null;
  tokenEndpoint: string;
  jwksUri: string;
  revocationEndpoint: string | null;
  endSessionEndpoint: string | null;
  tokenAuthMethod: TokenAuthMethod;
  idTokenAlgs: string[];
  status: SessionStatus;
  sub: string | null;
  createdAt: string;
  updatedAt: string;
}

export type AuditEvent =
  | 'paired'
  | 'pairings_reset'
  | 'login_started'
  | 'login_succeeded'
  | 'login_failed'
  | 'token_refreshed'
  | 'token_refresh_failed'
  | 'logout'
  | 'settings_changed';

/** An audit row. `detail` must never hold a secret, an authorization code or a token. */
export interface AuditEntry {
  at: string;
  event: AuditEvent;
  pairingId: string | null;
  sessionId: string | null;
  sub: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface SessionUpdate {
  status: SessionStatus;
  updatedAt: string;
  sub?: string | null;
  /** Pass null to wipe the stored secret. */
  clientSecretEnc?: null;
}

export interface SealedRefreshAnswer {
  key: string;
  sessionId: string;
  /** SecretBox ciphertext of the answer's JSON. */
  sealed: string;
  expiresAt: number;
}

export interface RepositoryStore {
  /** Where the data lives, for the console (a file path or a server URL without credentials). */
  readonly location: string;

  createPairing(pairing: PairingRecord, audit: AuditEntry): Promise<void>;
  findPairingByTokenHash(tokenHash: string): Promise<PairingRecord | null>;
  touchPairing(id: string, at: string): Promise<void>;
  /** Deletes every pairing (and, with them, their sessions); returns how many pairings went. */
  deleteAllPairings(audit: AuditEntry): Promise<number>;

  getSettings(): Promise<SettingsRecord | null>;
  saveSettings(settings: SettingsRecord, audit: AuditEntry): Promise<void>;

  createSession(session: SessionRecord, audit: AuditEntry): Promise<void>;
  getSession(id: string): Promise<SessionRecord | null>;
  updateSession(id: string, update: SessionUpdate, audit: AuditEntry | null): Promise<void>;

  /** A sealed refresh answer (refreshGate.ts), kept until `expiresAt` (epoch ms). */
  saveRefreshAnswer(answer: SealedRefreshAnswer): Promise<void>;
  /** The unexpired answer for `key`, or null; expired answers are deleted on the way. */
  findRefreshAnswer(key: string, now: number): Promise<SealedRefreshAnswer | null>;
  deleteRefreshAnswers(sessionId: string): Promise<void>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(limit?: number): Promise<AuditRecord[]>;

  close(): Promise<void>;
}
