/**
 * Encrypts client secrets at rest with AES-256-GCM (node:crypto). The key is
 * 32 random bytes in <dataDir>/secret.key, created with mode 0600 on first
 * run; the repository alone (a copied .sqlite file, a backup) does not reveal
 * a secret. Each ciphertext is bound to where it is stored (GCM additional
 * authenticated data, NIST SP 800-38D), so a ciphertext copied into another
 * row does not decrypt there.
 *
 * Format: `v1.` + base64url(iv[12] || tag[16] || ciphertext).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SECRET_KEY_FILE = 'secret.key';
const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`The secret key must be ${KEY_BYTES} bytes.`);
    this.#key = key;
  }

  /**
   * Loads <dataDir>/secret.key, creating it (mode 0600, exclusive create so two
   * relays starting together cannot write different keys) when missing.
   */
  static forDataDir(dataDir: string, log: (line: string) => void = () => {}): SecretBox {
    const file = join(dataDir, SECRET_KEY_FILE);
    try {
      writeFileSync(file, randomBytes(KEY_BYTES).toString('base64'), { mode: 0o600, flag: 'wx' });
      log(`Created the encryption key for client secrets: ${file}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      log(`Warning: ${file} is readable by other users; restrict it with chmod 600.`);
    }
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(
        `${file} does not hold a ${KEY_BYTES}-byte key (base64). Restore it from backup.`,
      );
    }
    return new SecretBox(key);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Throws when the ciphertext was tampered with, sealed for another context, or under another key. */
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(VERSION)) throw new Error('Unknown secret format.');
    const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('Truncated secret.');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }
}

/** AAD contexts: where a ciphertext is allowed to live. */
export const SECRET_CONTEXT = {
  settings: 'settings',
  session: (id: string) => `session:${id}`,
  refreshAnswer: (key: string) => `refresh-answer:${key}`,
} as const;
