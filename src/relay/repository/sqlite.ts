/**
 * The embedded repository: one SQLite file (better-sqlite3 12; version 13
 * needs Node 22). WAL so readers never wait on the writer; foreign keys on
 * (SQLite leaves them off by default, https://sqlite.org/foreignkeys.html).
 */
import Database from 'better-sqlite3';
import type { SessionStatus } from '../../shared/relayApi.ts';
import { migrate } from './migrations.ts';
import type {
  AuditEntry,
  AuditRecord,
  PairingRecord,
  RepositoryStore,
  SealedRefreshAnswer,
  SessionRecord,
  SessionUpdate,
  SettingsRecord,
  TokenAuthMethod,
} from './types.ts';

interface PairingRow {
  id: string;
  token_hash: string;
  origin: string;
  created_at: string;
  last_seen_at: string | null;
}

interface SettingsRow {
  nickname: string;
  authority: string;
  client_id: string;
  client_secret_enc: string | null;
  required: number;
  updated_at: string;
  updated_by_sub: string | null;
}

interface SessionRow {
  id: string;
  pairing_id: string;
  nickname: string;
  authority: string;
  issuer: string;
  client_id: string;
  client_secret_enc: string | null;
  token_endpoint: string;
  jwks_uri: string;
  revocation_endpoint: string | null;
  end_session_endpoint: string | null;
  token_auth_method: string;
  id_token_algs: string;
  status: string;
  sub: string | null;
  created_at: string;
  updated_at: string;
}

interface AuditRow {
  id: number;
  at: string;
  event: string;
  pairing_id: string | null;
  session_id: string | null;
  sub: string | null;
  detail: string | null;
}

export class SqliteRepositoryStore implements RepositoryStore {
  readonly location: string;
  readonly #db: Database.Database;

  constructor(file: string) {
    this.location = file;
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
  }

  #audit(entry: AuditEntry): void {
    this.#db
      .prepare(
        `INSERT INTO audit_log (at, event, pairing_id, session_id, sub, detail)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.at,
        entry.event,
        entry.pairingId,
        entry.sessionId,
        entry.sub,
        entry.detail === null ? null : JSON.stringify(entry.detail),
      );
  }

  async createPairing(pairing: PairingRecord, audit: AuditEntry): Promise<void> {
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO pairings (id, token_hash, origin, created_at, last_seen_at)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(pairing.id, pairing.tokenHash, pairing.origin, pairing.createdAt, pairing.lastSeenAt);
      this.#audit(audit);
    })();
  }

  async findPairingByTokenHash(tokenHash: string): Promise<PairingRecord | null> {
    const row = this.#db.prepare('SELECT * FROM pairings WHERE token_hash = ?').get(tokenHash) as
      | PairingRow
      | undefined;
    return row === undefined
      ? null
      : {
          id: row.id,
          tokenHash: row.token_hash,
          origin: row.origin,
          createdAt: row.created_at,
          lastSeenAt: row.last_seen_at,
        };
  }

  async touchPairing(id: string, at: string): Promise<void> {
    this.#db.prepare('UPDATE pairings SET last_seen_at = ? WHERE id = ?').run(at, id);
  }

  async deleteAllPairings(audit: AuditEntry): Promise<number> {
    return this.#db.transaction(() => {
      const { changes } = this.#db.prepare('DELETE FROM pairings').run();
      this.#audit({ ...audit, detail: { ...audit.detail, count: changes } });
      return changes;
    })();
  }

  async getSettings(): Promise<SettingsRecord | null> {
    const row = this.#db.prepare('SELECT * FROM settings WHERE id = 1').get() as
      | SettingsRow
      | undefined;
    return row === undefined
      ? null
      : {
          nickname: row.nickname,
          authority: row.authority,
          clientId: row.client_id,
          clientSecretEnc: row.client_secret_enc,
          required: row.required === 1,
          updatedAt: row.updated_at,
          updatedBySub: row.updated_by_sub,
        };
  }

  async saveSettings(s: SettingsRecord, audit: AuditEntry): Promise<void> {
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO settings
             (id, nickname, authority, client_id, client_secret_enc, required, updated_at, updated_by_sub)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET
             nickname = excluded.nickname,
             authority = excluded.authority,
             client_id = excluded.client_id,
             client_secret_enc = excluded.client_secret_enc,
             required = excluded.required,
             updated_at = excluded.updated_at,
             updated_by_sub = excluded.updated_by_sub`,
        )
        .run(
          s.nickname,
          s.authority,
          s.clientId,
          s.clientSecretEnc,
          s.required ? 1 : 0,
          s.updatedAt,
          s.updatedBySub,
        );
      this.#audit(audit);
    })();
  }

  async createSession(s: SessionRecord, audit: AuditEntry): Promise<void> {
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO sessions
             (id, pairing_id, nickname, authority, issuer, client_id, client_secret_enc,
              token_endpoint, jwks_uri, revocation_endpoint, end_session_endpoint,
              token_auth_method, id_token_algs, status, sub, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          s.id,
          s.pairingId,
          s.nickname,
          s.authority,
          s.issuer,
          s.clientId,
          s.clientSecretEnc,
          s.tokenEndpoint,
          s.jwksUri,
          s.revocationEndpoint,
          s.endSessionEndpoint,
          s.tokenAuthMethod,
          JSON.stringify(s.idTokenAlgs),
          s.status,
          s.sub,
          s.createdAt,
          s.updatedAt,
        );
      this.#audit(audit);
    })();
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const row = this.#db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as
      | SessionRow
      | undefined;
    if (row === undefined) return null;
    return {
      id: row.id,
      pairingId: row.pairing_id,
      nickname: row.nickname,
      authority: row.authority,
      issuer: row.issuer,
      clientId: row.client_id,
      clientSecretEnc: row.client_secret_enc,
      tokenEndpoint: row.token_endpoint,
      jwksUri: row.jwks_uri,
      revocationEndpoint: row.revocation_endpoint,
      endSessionEndpoint: row.end_session_endpoint,
      tokenAuthMethod: row.token_auth_method as TokenAuthMethod,
      idTokenAlgs: JSON.parse(row.id_token_algs) as string[],
      status: row.status as SessionStatus,
      sub: row.sub,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async updateSession(id: string, u: SessionUpdate, audit: AuditEntry | null): Promise<void> {
    const sets = ['status = @status', 'updated_at = @updatedAt'];
    if (u.sub !== undefined) sets.push('sub = @sub');
    if (u.clientSecretEnc === null) sets.push('client_secret_enc = NULL');
    this.#db.transaction(() => {
      this.#db
        .prepare(`UPDATE sessions SET ${sets.join(', ')} WHERE id = @id`)
        .run({ id, status: u.status, updatedAt: u.updatedAt, sub: u.sub ?? null });
      if (audit !== null) this.#audit(audit);
    })();
  }

  async saveRefreshAnswer(a: SealedRefreshAnswer): Promise<void> {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO refresh_answers (key, session_id, answer, expires_at)
         VALUES (?, ?, ?, ?)`,
      )
      .run(a.key, a.sessionId, a.sealed, a.expiresAt);
  }

  async findRefreshAnswer(key: string, now: number): Promise<SealedRefreshAnswer | null> {
    this.#db.prepare('DELETE FROM refresh_answers WHERE expires_at <= ?').run(now);
    const row = this.#db
      .prepare('SELECT key, session_id, answer, expires_at FROM refresh_answers WHERE key = ?')
      .get(key) as
      | { key: string; session_id: string; answer: string; expires_at: number }
      | undefined;
    return row === undefined
      ? null
      : { key: row.key, sessionId: row.session_id, sealed: row.answer, expiresAt: row.expires_at };
  }

  async deleteRefreshAnswers(sessionId: string): Promise<void> {
    this.#db.prepare('DELETE FROM refresh_answers WHERE session_id = ?').run(sessionId);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.#audit(entry);
  }

  async listAudit(limit = 100): Promise<AuditRecord[]> {
    const rows = this.#db
      .prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?')
      .all(limit) as AuditRow[];
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      event: row.event as AuditRecord['event'],
      pairingId: row.pairing_id,
      sessionId: row.session_id,
      sub: row.sub,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    }));
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
