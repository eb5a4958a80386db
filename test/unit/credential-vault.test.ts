import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialVault } from '../../server/xmpp/credential-vault.js';
import type { ScramKeys } from '../../server/xmpp/connection.js';

const keys: ScramKeys = { mechanism: 'SCRAM-SHA-1', salt: 'c2FsdA==', iterations: 4096, clientKey: 'Y2xpZW50', serverKey: 'c2VydmVy' };

test('sealed SCRAM keys open with the same secret and account only', () => {
  const vault = new CredentialVault('s'.repeat(40));
  const blob = vault.seal('42', keys);
  assert.deepEqual(vault.open('42', blob), keys);
  assert.equal(vault.open('43', blob), null, 'bound to the account');
  assert.equal(new CredentialVault('t'.repeat(40)).open('42', blob), null, 'useless without the instance secret');
  const damaged = Buffer.from(blob);
  damaged[damaged.length - 1]! ^= 1;
  assert.equal(vault.open('42', damaged), null);
  assert.equal(blob.includes(Buffer.from('Y2xpZW50')), false, 'nothing readable in the blob');
});
