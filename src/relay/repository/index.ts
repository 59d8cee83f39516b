/**
 * Opens the repository the relay was started with. Only the embedded SQLite
 * file exists today; a PostgreSQL store (the shared, multi-user option) would
 * implement the same RepositoryStore and be chosen here.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteRepositoryStore } from './sqlite.ts';
import type { RepositoryStore } from './types.ts';

export const REPOSITORY_FILE = 'repository.sqlite';

export function ensureDataDir(dataDir: string): void {
  // 0700: the directory holds the secret key and the (encrypted) client secrets.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

export function openRepository(dataDir: string): RepositoryStore {
  ensureDataDir(dataDir);
  return new SqliteRepositoryStore(join(dataDir, REPOSITORY_FILE));
}

export type * from './types.ts';
