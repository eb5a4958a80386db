import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScramMechanism, escapeUsername, type ScramKeys } from '../../server/xmpp/scram.js';

// RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256) example exchanges.
const VECTORS = [
  {
    name: 'SCRAM-SHA-1' as const,
    cnonce: 'fyko+d2lbbFgONRv9qkxdawL',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    name: 'SCRAM-SHA-256' as const,
    cnonce: 'rOprNGfwEbeRWgbNEkqO',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

for (const v of VECTORS) {
  test(`${v.name}: RFC test vector with the password, server signature verified, keys derived`, async () => {
    const mech = new ScramMechanism(v.name, v.cnonce);
    assert.equal(mech.clientFirst, true);
    assert.equal(await mech.response({ username: 'user', password: 'pencil' }), v.clientFirst);
    mech.challenge(v.serverFirst);
    assert.equal(await mech.response({ username: 'user', password: 'pencil' }), v.clientFinal);
    assert.equal(mech.verified, false);
    mech.verifyServerFinal(v.serverFinal);
    assert.equal(mech.verified, true);
    const keys = mech.keys();
    assert.ok(keys);
    assert.equal(keys.mechanism, v.name);
    assert.equal(keys.iterations, 4096);
    assert.equal(keys.salt, v.serverFirst.split(',s=')[1]!.split(',')[0]);
  });

  test(`${v.name}: cached keys reproduce the same proof without the password`, async () => {
    const first = new ScramMechanism(v.name, v.cnonce);
    await first.response({ username: 'user', password: 'pencil' });
    first.challenge(v.serverFirst);
    await first.response({ username: 'user', password: 'pencil' });
    const keys = first.keys() as ScramKeys;

    const again = new ScramMechanism(v.name, v.cnonce);
    await again.response({ username: 'user', scramKeys: keys });
    again.challenge(v.serverFirst);
    assert.equal(await again.response({ username: 'user', scramKeys: keys }), v.clientFinal);
    again.verifyServerFinal(v.serverFinal);
  });

  test(`${v.name}: a wrong server signature is rejected`, async () => {
    const mech = new ScramMechanism(v.name, v.cnonce);
    await mech.response({ username: 'user', password: 'pencil' });
    mech.challenge(v.serverFirst);
    await mech.response({ username: 'user', password: 'pencil' });
    const forged = Buffer.from(v.serverFinal.slice(2), 'base64');
    forged[0]! ^= 1;
    assert.throws(() => mech.verifyServerFinal(`v=${forged.toString('base64')}`), /server signature mismatch/);
    assert.throws(() => mech.verifyServerFinal('e=invalid-proof'), /server error/);
    assert.equal(mech.verified, false);
  });
}

test('server nonce must extend the client nonce', async () => {
  const mech = new ScramMechanism('SCRAM-SHA-1', 'abc');
  await mech.response({ username: 'u', password: 'p' });
  mech.challenge('r=xyzabcdef,s=QSXCR+Q6sek8bf92,i=4096');
  await assert.rejects(mech.response({ username: 'u', password: 'p' }), /bad server nonce/);
});

test('cached keys with another salt or iteration count need the password', async () => {
  const keys: ScramKeys = { mechanism: 'SCRAM-SHA-1', salt: 'AAAA', iterations: 4096, clientKey: 'AAAA', serverKey: 'AAAA' };
  const mech = new ScramMechanism('SCRAM-SHA-1', 'fyko+d2lbbFgONRv9qkxdawL');
  await mech.response({ username: 'user', scramKeys: keys });
  mech.challenge(VECTORS[0]!.serverFirst);
  await assert.rejects(mech.response({ username: 'user', scramKeys: keys }), (err: Error & { reason?: string }) => err.reason === 'need-password');
});

test('usernames escape = and , (RFC 5802 §5.1)', () => {
  assert.equal(escapeUsername('a=b,c'), 'a=3Db=2Cc');
});

test("ScramVerifier: a second browser's password is checked against the login's SCRAM keys (RFC 5802 ClientKey)", async () => {
  const { ScramVerifier } = await import('../../server/xmpp/password-verifier.js');
  const { createHmac, pbkdf2Sync } = await import('node:crypto');
  const salt = Buffer.from('QSXCR+Q6sek8bf92');
  const salted = pbkdf2Sync('pencil', salt, 4096, 20, 'sha1');
  const keys = {
    mechanism: 'SCRAM-SHA-1' as const,
    salt: salt.toString('base64'),
    iterations: 4096,
    clientKey: createHmac('sha1', salted).update('Client Key').digest('base64'),
    serverKey: createHmac('sha1', salted).update('Server Key').digest('base64'),
  };
  const verifier = new ScramVerifier(keys);
  assert.equal(await verifier.matches('pencil'), true);
  assert.equal(await verifier.matches('pencil '), false);
  assert.equal(await verifier.matches(''), false);
});
