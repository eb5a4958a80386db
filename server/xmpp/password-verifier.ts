/**
 * Lets a second browser join a live session only with the right password, without keeping the
 * password: a salted PBKDF2 hash held in memory for the session's lifetime. PBKDF2 rather than scrypt:
 * scrypt's 16 MiB per hash made the process keep ~0.5 MiB of RSS per login after bursts of logins.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);
const ITERATIONS = 60_000;

export class PasswordVerifier {
  private constructor(private readonly salt: Buffer, private readonly hash: Buffer) {}

  static async of(password: string): Promise<PasswordVerifier> {
    const salt = randomBytes(16);
    return new PasswordVerifier(salt, await pbkdf2Async(password, salt, ITERATIONS, 32, 'sha256'));
  }

  async matches(password: string): Promise<boolean> {
    return timingSafeEqual(await pbkdf2Async(password, this.salt, ITERATIONS, 32, 'sha256'), this.hash);
  }
}
