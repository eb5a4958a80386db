/**
 * Credentials kept for automatic session restore ("keep me signed in"), sealed with AES-256-GCM.
 * What is sealed are the SCRAM keys (ClientKey/ServerKey), never the password. The key is derived from the
 * instance secret (environment or data dir), which is not in the database: a database dump alone opens nothing.
 * The account id is bound in as associated data, so a sealed blob cannot be moved to another account.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ScramKeys } from './connection.js';

const VERSION = 1;

export class CredentialVault {
  private readonly key: Buffer;

  constructor(instanceSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', instanceSecret, 'parley-credential-vault', 'v1', 32));
  }

  seal(accountId: string, keys: ScramKeys): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`account:${accountId}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(keys), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  /** Returns null for anything that does not open: another secret, another account, a damaged blob. */
  open(accountId: string, blob: Buffer | Uint8Array): ScramKeys | null {
    const buf = Buffer.from(blob);
    if (buf.length < 1 + 12 + 16 + 2 || buf[0] !== VERSION) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, buf.subarray(1, 13));
      decipher.setAAD(Buffer.from(`account:${accountId}`));
      decipher.setAuthTag(buf.subarray(13, 29));
      const json = Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]).toString('utf8');
      const keys = JSON.parse(json) as ScramKeys;
      return typeof keys.clientKey === 'string' && typeof keys.serverKey === 'string' ? keys : null;
    } catch {
      return null;
    }
  }
}
