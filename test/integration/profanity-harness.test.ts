/**
 * The Profanity harness against itself: two real Profanity 0.13.1 clients on the test Prosody exchange
 * OMEMO 0.3 messages both ways. Proves the harness (and the Prosody work-arounds) before Parley relies on it,
 * and checks on the server side (MAM archive, read with the raw helper) that the messages really were encrypted.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { TestProsody } from '../harness/prosody.js';
import { ProfanityClient, makeMutualContacts, prepareOmemoAccount, omemoBundleNode } from '../harness/profanity.js';
import { RawXmpp, child, mamMessages, pepItems, toXml, type XmlNode } from '../harness/xmpp-raw.js';
import { stepTimer } from '../harness/timings.js';

const AXOLOTL = 'eu.siacs.conversations.axolotl';
const PASSWORD = 'secret-pw';

let prosody: TestProsody;
const clients: ProfanityClient[] = [];
const { timings, timed } = stepTimer();

before(async () => {
  prosody = await TestProsody.start();
});

after(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => {})));
  await prosody?.stop();
  console.log('profanity harness timings (ms):', JSON.stringify(timings));
});

async function archivedWith(jid: string, password: string, peer: string): Promise<XmlNode[]> {
  const raw = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid, password });
  try {
    return await mamMessages(raw, { with: peer });
  } finally {
    await raw.close();
  }
}

/** The archived copy must carry an OMEMO <encrypted/> element and must not reveal the plaintext anywhere. */
function assertEncryptedInArchive(archive: XmlNode[], plaintext: string, from: string): void {
  const fromPeer = archive.filter((m) => (m.attrs.from ?? '').startsWith(`${from}/`));
  const encrypted = fromPeer.filter((m) => child(m, 'encrypted', AXOLOTL));
  assert.ok(encrypted.length > 0, `no OMEMO-encrypted message from ${from} in the archive:\n${archive.map(toXml).join('\n')}`);
  for (const m of fromPeer) assert.ok(!toXml(m).includes(plaintext), `plaintext leaked into the archive: ${toXml(m)}`);
  const enc = child(encrypted[0]!, 'encrypted', AXOLOTL)!;
  const header = child(enc, 'header')!;
  assert.ok(Number(header.attrs.sid) > 0, 'header sid');
  assert.ok(header.children.some((c) => c.name === 'key'), 'at least one <key rid=…/>');
  assert.ok((child(enc, 'payload')?.text ?? '').length > 0, 'non-empty payload');
}

test('Profanity A <-> Profanity B over OMEMO 0.3, encrypted on the wire', async () => {
  const alice = { jid: await prosody.createUser('alice', PASSWORD), password: PASSWORD };
  const bob = { jid: await prosody.createUser('bob', PASSWORD), password: PASSWORD };
  await prepareOmemoAccount(prosody, alice.jid, alice.password);
  await prepareOmemoAccount(prosody, bob.jid, bob.password);
  await makeMutualContacts(prosody, alice, bob);

  const start = (acct: { jid: string; password: string }) =>
    ProfanityClient.start({ ...acct, host: '127.0.0.1', port: prosody.c2sPort }).then((c) => (clients.push(c), c));
  const [a, b] = await timed('start both (parallel)', () => Promise.all([start(alice), start(bob)]));

  const [omemoA, omemoB] = await timed('omemoSetup both (parallel)', () => Promise.all([a.omemoSetup(), b.omemoSetup()]));
  for (const o of [omemoA, omemoB]) {
    assert.ok(Number.isInteger(o.deviceId) && o.deviceId > 0, `device id ${o.deviceId}`);
    assert.match(o.fingerprint, /^[0-9a-f]{64}$/);
  }
  assert.notEqual(omemoA.fingerprint, omemoB.fingerprint);

  // The bundle node was opened: readable by an account that is NOT a contact.
  const strangerJid = await prosody.createUser('stranger', PASSWORD);
  const stranger = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: strangerJid, password: PASSWORD });
  try {
    const bundle = await pepItems(stranger, alice.jid, omemoBundleNode(omemoA.deviceId));
    assert.equal(bundle.length, 1, 'alice bundle readable by a non-contact');
  } finally {
    await stranger.close();
  }

  await timed('startOmemo both', () => Promise.all([a.startOmemo(bob.jid), b.startOmemo(alice.jid)]));

  const hello = `hello from A ${Date.now()} grüße ✓`;
  await timed('first message A->B (send + shown on B)', async () => {
    await a.send(bob.jid, hello);
    await b.waitForMessage(alice.jid, hello); // "~" marker: Profanity decrypted an OMEMO message
  });
  await b.waitForText(hello);

  const reply = `reply from B ${Date.now()}`;
  await timed('reply B->A', async () => {
    await b.send(alice.jid, reply);
    await a.waitForMessage(bob.jid, reply);
  });

  // A second message on the established session, while B looks at its console window: waitForMessage must
  // focus the chat window itself (the Parley -> Profanity case, where nobody opened the chat on Profanity).
  await b.command('/win 1');
  await b.waitForScreen(/^ Profanity\. Type \/help/, { what: 'console window' });
  const again = `second from A ${Date.now()}`;
  await a.send(bob.jid, again);
  await b.waitForMessage(alice.jid, again);

  // Server side: Prosody archived ciphertext only.
  const archived = await archivedWith(bob.jid, bob.password, alice.jid);
  if (process.env.SHOW_ARCHIVE) console.log(archived.map(toXml).join('\n'));
  assertEncryptedInArchive(archived, hello, alice.jid);
  assertEncryptedInArchive(await archivedWith(alice.jid, alice.password, bob.jid), reply, bob.jid);
  const bobArchive = await archivedWith(bob.jid, bob.password, alice.jid);
  assert.ok(!bobArchive.some((m) => toXml(m).includes(again)), 'second message plaintext not archived');
});

test('waits fail with the screen in the message, within the bound', async () => {
  const c = clients[0];
  assert.ok(c, 'needs the clients of the first test');
  const t0 = Date.now();
  await assert.rejects(c.waitForText('this text never appears', 1500), (e: Error) => {
    assert.match(e.message, /text "this text never appears" not seen within 1500 ms/);
    assert.match(e.message, /--- screen ---\n.*@localhost/s);
    return true;
  });
  assert.ok(Date.now() - t0 < 5000);
});

test('an OMEMO message Profanity cannot decrypt is not shown as a decrypted message', async () => {
  const [a, b] = clients;
  assert.ok(a && b, 'needs the clients of the first test');
  // Alice's account, another resource, sends an OMEMO element whose key is garbage for Bob's device.
  const raw = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: a.bareJid, password: PASSWORD, resource: 'forger' });
  try {
    const fallback = `fallback body ${Date.now()}`;
    raw.send(
      `<message to='${b.bareJid}' type='chat' id='forged-1'><encrypted xmlns='${AXOLOTL}'><header sid='4242'>` +
        `<key rid='${b.deviceId}'>AAAAAAAA</key><iv>AAAAAAAAAAAAAAAA</iv></header><payload>AAAA</payload></encrypted>` +
        `<body>${fallback}</body></message>`,
    );
    await b.waitForLog('[OMEMO][RECV] cannot decrypt message key');
    // Profanity falls back to the <body>, shown as plaintext ("-"), never with the OMEMO marker.
    await b.waitForMessage(a.bareJid, fallback, { encrypted: false });
    assert.doesNotMatch(await b.screen(), new RegExp(`~ ${a.bareJid}/forger:`));
  } finally {
    await raw.close();
  }
});
