/**
 * Lets a second browser join a live session only with the right password, without keeping the
 * password: a salted PBKDF2 hash held in memory for the session's lifetime. PBKDF2 rather than scrypt:
 * scrypt's 16 MiB per hash made the process keep ~0.5 MiB of RSS per login after bursts of logins.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { clientKeyOf, type ScramKeys } from './scram.js';

export interface Verifier {
  matches(password: string): Promise<boolean>;
}

const pbkdf2Async = promisify(pbkdf2);
const ITERATIONS = 60_000;

export class PasswordVerifier implements Verifier {
  private constructor(private readonly salt: Buffer, private readonly hash: Buffer) {}

  static async of(password: string): Promise<PasswordVerifier> {
    const salt = randomBytes(16);
    return new PasswordVerifier(salt, await pbkdf2Async(password, salt, ITERATIONS, 32, 'sha256'));
  }

  async matches(password: string): Promise<boolean> {
    return timingSafeEqual(await pbkdf2Async(password, this.salt, ITERATIONS, 32, 'sha256'), this.hash);
  }
}

/**
 * The same check from the SCRAM keys the login derived (held in memory anyway, for re-logins): the password is
 * right when it yields the same ClientKey. Costs one PBKDF2 at the server's iteration count, and none at login
 * (the 60,000-iteration hash above was ~10 times a 4,096-iteration SCRAM login's CPU).
 */
export class ScramVerifier implements Verifier {
  constructor(private readonly keys: ScramKeys) {}

  async matches(password: string): Promise<boolean> {
    const expected = Buffer.from(this.keys.clientKey, 'base64');
    const got = await clientKeyOf(password, this.keys);
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}
