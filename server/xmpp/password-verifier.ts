/**
 * Lets a second browser join a live session only with the right password, without keeping the
 * password: an scrypt hash held in memory for the session's lifetime.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

export class PasswordVerifier {
  private constructor(private readonly salt: Buffer, private readonly hash: Buffer) {}

  static async of(password: string): Promise<PasswordVerifier> {
    const salt = randomBytes(16);
    return new PasswordVerifier(salt, await scryptAsync(password, salt, 32));
  }

  async matches(password: string): Promise<boolean> {
    return timingSafeEqual(await scryptAsync(password, this.salt, 32), this.hash);
  }
}
