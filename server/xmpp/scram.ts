/**
 * SCRAM-SHA-1 / SCRAM-SHA-256 client (RFC 5802, RFC 7677) for XMPP SASL.
 *
 * Why our own: @xmpp/sasl-scram-sha-1 runs one async WebCrypto HMAC per PBKDF2 iteration (~0.5 s per login at
 * 4096 iterations) and never checks the server signature. Here PBKDF2 is one native `crypto.pbkdf2` call, the
 * server's `v=` signature is verified (RFC 5802 §3: the client MUST verify it), and the derived ClientKey/ServerKey
 * can be cached so that a later login needs no password.
 *
 * The object has the shape of a `saslmechanisms` mechanism (name, clientFirst, response(), challenge()), the
 * interface @xmpp/sasl drives; `verifyServerFinal()` is the extra step that interface lacks.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanismName = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

/** Everything needed to log in again without the password (base64 fields). Treat like a password: store encrypted. */
export interface ScramKeys {
  mechanism: ScramMechanismName;
  salt: string;
  iterations: number;
  clientKey: string;
  serverKey: string;
}

export interface ScramCredentials {
  username: string;
  password?: string;
  /** Used when salt and iteration count still match what the server sends; otherwise the password is needed. */
  scramKeys?: ScramKeys;
}

export class ScramError extends Error {
  override name = 'ScramError';
  constructor(message: string, readonly reason: 'protocol' | 'server-signature' | 'need-password') {
    super(message);
  }
}

const HASH = { 'SCRAM-SHA-1': { alg: 'sha1', len: 20 }, 'SCRAM-SHA-256': { alg: 'sha256', len: 32 } } as const;

/** RFC 5802 §5.1: '=' and ',' in the username are escaped as =3D and =2C. */
export function escapeUsername(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** SCRAM attribute list "a=1,b=2" → map; values may contain '='. */
export function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** RFC 5802 SaltedPassword, one native PBKDF2; SASLprep (RFC 4013) approximated by NFKC, which is what it mostly does for real passwords. */
function saltedPassword(mechanism: ScramKeys['mechanism'], password: string, saltB64: string, iterations: number): Promise<Buffer> {
  const { alg, len } = HASH[mechanism];
  return pbkdf2Async(password.normalize('NFKC'), Buffer.from(saltB64, 'base64'), iterations, len, alg);
}

/** The ClientKey `password` yields with these keys' salt and iteration count. */
export async function clientKeyOf(password: string, keys: ScramKeys): Promise<Buffer> {
  const salted = await saltedPassword(keys.mechanism, password, keys.salt, keys.iterations);
  return createHmac(HASH[keys.mechanism].alg, salted).update('Client Key', 'utf8').digest();
}

export class ScramMechanism {
  readonly clientFirst = true;
  private step = 0;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private expectedServerSignature: Buffer | null = null;
  private derived: ScramKeys | null = null;
  private serverVerified = false;

  /** `clientNonce` only for test vectors; by default 24 random bytes. */
  constructor(readonly name: ScramMechanismName, private readonly clientNonce: string = randomBytes(24).toString('base64')) {
    if (!(name in HASH)) throw new Error(`unsupported mechanism ${name}`);
  }

  /** saslmechanisms interface: the next client message. First call: client-first; second: client-final (async PBKDF2). */
  async response(cred: ScramCredentials): Promise<string> {
    if (this.step === 0) {
      this.step = 1;
      this.clientFirstBare = `n=${escapeUsername(cred.username)},r=${this.clientNonce}`;
      // "n,," = no channel binding, no authzid (gs2 header).
      return `n,,${this.clientFirstBare}`;
    }
    if (this.step === 2) {
      this.step = 3;
      return this.clientFinal(cred);
    }
    // After the server-final message arrived as a challenge: empty response (RFC 6120 §6.3.10).
    return '';
  }

  /** saslmechanisms interface: a server challenge (server-first, or server-final when sent as a challenge). */
  challenge(data: string): this {
    if (this.step === 1) {
      this.serverFirst = data;
      this.step = 2;
    } else if (this.step === 3) {
      this.verifyServerFinal(data);
    }
    return this;
  }

  private async clientFinal(cred: ScramCredentials): Promise<string> {
    const attrs = parseAttributes(this.serverFirst);
    if (attrs.has('m')) throw new ScramError('server requires an unsupported SCRAM extension', 'protocol');
    const nonce = attrs.get('r');
    const saltB64 = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    // RFC 5802 §5.1: the server nonce MUST start with the client nonce.
    if (!nonce || !nonce.startsWith(this.clientNonce) || nonce.length <= this.clientNonce.length) throw new ScramError('bad server nonce', 'protocol');
    if (!saltB64 || !Number.isInteger(iterations) || iterations < 1) throw new ScramError('bad salt or iteration count', 'protocol');
    this.nonce = nonce;

    const { alg } = HASH[this.name];
    const hmac = (key: Buffer, text: string) => createHmac(alg, key).update(text, 'utf8').digest();
    let clientKey: Buffer;
    let serverKey: Buffer;
    const cached = cred.scramKeys;
    if (cached && cached.mechanism === this.name && cached.salt === saltB64 && cached.iterations === iterations) {
      clientKey = Buffer.from(cached.clientKey, 'base64');
      serverKey = Buffer.from(cached.serverKey, 'base64');
    } else if (cred.password !== undefined) {
      const salted = await saltedPassword(this.name, cred.password, saltB64, iterations);
      clientKey = hmac(salted, 'Client Key');
      serverKey = hmac(salted, 'Server Key');
    } else {
      throw new ScramError('cached SCRAM keys do not match the server (salt or iterations changed); the password is needed', 'need-password');
    }
    this.derived = {
      mechanism: this.name,
      salt: saltB64,
      iterations,
      clientKey: clientKey.toString('base64'),
      serverKey: serverKey.toString('base64'),
    };

    const storedKey = createHash(alg).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`; // biws = base64("n,,")
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.expectedServerSignature = hmac(serverKey, authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks the server-final message ("v=..."); throws if the server does not know our password's keys. */
  verifyServerFinal(data: string): void {
    const attrs = parseAttributes(data);
    const error = attrs.get('e');
    if (error) throw new ScramError(`server error: ${error}`, 'protocol');
    const v = attrs.get('v');
    const expected = this.expectedServerSignature;
    if (!v || !expected) throw new ScramError('missing server signature', 'server-signature');
    const got = Buffer.from(v, 'base64');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new ScramError('server signature mismatch', 'server-signature');
    this.serverVerified = true;
  }

  get verified(): boolean {
    return this.serverVerified;
  }

  /** The keys derived in this exchange (null before the client-final message). */
  keys(): ScramKeys | null {
    return this.derived;
  }
}
