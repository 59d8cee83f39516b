/**
 * Schema migrations for the SQLite repository. Append new migrations with the
 * next number; never edit one that has shipped (existing repositories have
 * already applied it). Each runs in its own transaction together with its
 * schema_migrations row, so a failure leaves the schema as it was.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE pairings (
        id           TEXT PRIMARY KEY,
        token_hash   TEXT NOT NULL UNIQUE,
        origin       TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_seen_at TEXT
      );

      -- One row: the repository's OIDC settings.
      CREATE TABLE settings (
        id                INTEGER PRIMARY KEY CHECK (id = 1),
        nickname          TEXT NOT NULL,
        authority         TEXT NOT NULL,
        client_id         TEXT NOT NULL,
        client_secret_enc TEXT,
        required          INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
        updated_at        TEXT NOT NULL,
        updated_by_sub    TEXT
      );

      -- A session is deleted with its pairing (a reset must not leave secrets behind).
      CREATE TABLE sessions (
        id                   TEXT PRIMARY KEY,
        pairing_id           TEXT NOT NULL REFERENCES pairings(id) ON DELETE CASCADE,
        nickname             TEXT NOT NULL,
        authority            TEXT NOT NULL,
        issuer               TEXT NOT NULL,
        client_id            TEXT NOT NULL,
        client_secret_enc    TEXT,
        token_endpoint       TEXT NOT NULL,
        jwks_uri             TEXT NOT NULL,
        revocation_endpoint  TEXT,
        end_session_endpoint TEXT,
        token_auth_method    TEXT NOT NULL
          CHECK (token_auth_method IN ('client_secret_basic', 'client_secret_post')),
        id_token_algs        TEXT NOT NULL,
        status               TEXT NOT NULL
          CHECK (status IN ('pending', 'authenticated', 'failed', 'ended')),
        sub                  TEXT,
        created_at           TEXT NOT NULL,
        updated_at           TEXT NOT NULL
      );
      CREATE INDEX sessions_pairing ON sessions(pairing_id);

      -- No foreign keys: the audit trail outlives pairings and sessions.
      CREATE TABLE audit_log (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,
        event      TEXT NOT NULL,
        pairing_id TEXT,
        session_id TEXT,
        sub        TEXT,
        detail     TEXT
      );
      CREATE INDEX audit_log_at ON audit_log(at);
    `,
  },
  {
    version: 2,
    name: 'refresh answers kept across relay restarts',
    // The provider's answer to a refresh, sealed (AES-256-GCM), for the few
    // minutes a stopped worker may take to retry: a relay restarted meanwhile
    // must still not present a used refresh token again (see refreshGate.ts).
    sql: `
      CREATE TABLE refresh_answers (
        key        TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        answer     TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX refresh_answers_session ON refresh_answers(session_id);
    `,
  },
];

/** Applies the pending migrations in order; returns the versions applied now. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS) {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )
  `);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
    v: number | null;
  };
  const current = row.v ?? 0;
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > newest) {
    throw new Error(
      `The repository has schema version ${current}, newer than this relay knows (${newest}). ` +
        'Update the relay before using this repository.',
    );
  }
  const applied: number[] = [];
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    })();
    applied.push(migration.version);
  }
  return applied;
}
