/**
 * The room half of the OMEMO harness against itself, before Parley relies on it: Profanity 0.13.1 and the independent
 * OMEMO peer (libsignal-client 0.23.1) in one private group (members-only, non-anonymous) on the test Prosody,
 * messages both ways decrypted, and only ciphertext in the room's archive.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestProsody } from '../harness/prosody.js';
import { ProfanityClient, prepareOmemoAccount } from '../harness/profanity.js';
import { OmemoPeer } from '../harness/omemo-peer.js';
import { RawXmpp, child, toXml } from '../harness/xmpp-raw.js';

const PASSWORD = 'secret-pw';
const AXOLOTL = 'eu.siacs.conversations.axolotl';
let prosody: TestProsody;
let profanity: ProfanityClient | undefined;
let rita: OmemoPeer | undefined;

before(async () => {
  prosody = await TestProsody.start({ muc: true });
});
after(async () => {
  await profanity?.stop().catch(() => undefined);
  await rita?.stop().catch(() => undefined);
  await prosody?.stop();
});

test('Profanity and the reference peer in a private group: OMEMO both ways, only ciphertext in the room archive', async () => {
  const pat = { jid: await prosody.createUser('pat', PASSWORD), password: PASSWORD };
  const r = { jid: await prosody.createUser('rita', PASSWORD), password: PASSWORD };
  await prepareOmemoAccount(prosody, pat.jid, pat.password);
  rita = await OmemoPeer.start(prosody, r.jid, r.password);
  const room = `family-${randomUUID().slice(0, 8)}@${prosody.mucDomain}`;
  await rita.createRoom(room, 'Rita', { preset: 'group', members: [pat.jid] });

  profanity = await ProfanityClient.start({ ...pat, host: '127.0.0.1', port: prosody.c2sPort });
  // Not mutual contacts: Profanity's bundle is opened by omemoSetup, the peer's is published open.
  const { deviceId } = await profanity.omemoSetup();
  await profanity.joinRoom(room, 'Pat');
  assert.equal(rita.occupants.get(room)?.get('Pat'), pat.jid, 'the room shows Pat\'s real JID (non-anonymous)');
  await profanity.startOmemoInRoom(room);

  const fromPat = `hello group ${randomUUID().slice(0, 8)}`;
  await profanity.sendInRoom(room, fromPat);
  const got = await rita.waitForDecrypted((m) => m.text === fromPat);
  assert.deepEqual([got.from, got.room, got.nick, got.senderDeviceId], [pat.jid, room, 'Pat', deviceId]);

  const fromRita = `hi Pat ${randomUUID().slice(0, 8)}`;
  await rita.sendEncryptedToRoom(room, [pat.jid], fromRita);
  await profanity.waitForRoomMessage(room, 'Rita', fromRita);

  // The room's archive (MAM addressed to the room) holds both, encrypted, never the text.
  const raw = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: r.jid, password: r.password });
  try {
    const queryid = `q-${randomUUID()}`;
    const mark = raw.received.length;
    await raw.iq(`<iq type='set' to='${room}'><query xmlns='urn:xmpp:mam:2' queryid='${queryid}'/></iq>`);
    // Prosody sends every <result/> before the IQ result.
    const results = raw.received.slice(mark)
      .filter((el) => el.name === 'message' && child(el, 'result', 'urn:xmpp:mam:2')?.attrs.queryid === queryid)
      .map(toXml);
    const archived = results.filter((x) => x.includes(AXOLOTL));
    assert.ok(archived.length >= 2, `both messages archived encrypted: ${results.length} results`);
    for (const x of results) {
      assert.ok(!x.includes(fromPat) && !x.includes(fromRita), `plaintext in the room archive: ${x}`);
    }
  } finally {
    await raw.close();
  }
});
