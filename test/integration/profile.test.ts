/**
 * Contact profiles over the real stack: Bob (another client) publishes his vCard, Alice's tab asks for it through
 * Alice's own XMPP session and gets bounded text fields, or an empty profile with a clear state when there is none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { buildPublish } from '../../server/stanza/pubsub.js';
import { NS_VCARD4, NS_VCARD_TEMP, VCARD4_NODE, PROFILE_LIMITS } from '../../server/stanza/vcard.js';

let stack: TestStack;
let alice: LoggedIn;
let mallory: LoggedIn;
let bob: XmppPeer;
const peers: XmppPeer[] = [];

const vcardTemp = (fields: Record<string, string>) =>
  xml(
    'iq',
    { type: 'set' },
    xml(
      'vCard',
      { xmlns: NS_VCARD_TEMP },
      ...(fields.FN ? [xml('FN', {}, fields.FN)] : []),
      ...(fields.NICKNAME ? [xml('NICKNAME', {}, fields.NICKNAME)] : []),
      ...(fields.EMAIL ? [xml('EMAIL', {}, xml('INTERNET'), xml('USERID', {}, fields.EMAIL))] : []),
      ...(fields.TEL ? [xml('TEL', {}, xml('VOICE'), xml('NUMBER', {}, fields.TEL))] : []),
      ...(fields.URL ? [xml('URL', {}, fields.URL)] : []),
      ...(fields.ORG ? [xml('ORG', {}, xml('ORGNAME', {}, fields.ORG))] : []),
      ...(fields.TITLE ? [xml('TITLE', {}, fields.TITLE)] : []),
      ...(fields.BDAY ? [xml('BDAY', {}, fields.BDAY)] : []),
      ...(fields.DESC ? [xml('DESC', {}, fields.DESC)] : []),
      ...(fields.LOCALITY || fields.CTRY ? [xml('ADR', {}, xml('LOCALITY', {}, fields.LOCALITY ?? ''), xml('CTRY', {}, fields.CTRY ?? ''))] : []),
    ),
  );

const vcard4 = (fn: string, extra: Element[] = []) => xml('vcard', { xmlns: NS_VCARD4 }, xml('fn', {}, xml('text', {}, fn)), ...extra);

before(async () => {
  stack = await TestStack.start();
  alice = await stack.loggedIn('alice');
  mallory = await stack.loggedIn('mallory');
  const bobUser = await stack.newUser('bob');
  bob = await XmppPeer.login(stack.prosody, bobUser.jid, bobUser.password);
  peers.push(bob);
});
after(async () => {
  for (const p of peers) await p.stop();
  await stack?.close();
});

test('Bob publishes his vCard (vcard-temp set); Alice\'s tab gets every field as text', async () => {
  await bob.conn.iq(vcardTemp({
    FN: 'Bob Builder', NICKNAME: 'bobby', EMAIL: 'bob@work.example', TEL: '+1-555-0100', URL: 'https://bob.example/',
    ORG: 'Builders Ltd', TITLE: 'Foreman', BDAY: '1970-04-01', DESC: 'Can we fix it?\nYes we can.', LOCALITY: 'Bobtown', CTRY: 'Nowhere',
  }));
  const profile = await alice.tab.command('profile', { jid: bob.conn.bareJid });
  assert.equal(profile.jid, bob.conn.bareJid);
  assert.equal(profile.state, 'found');
  assert.equal(profile.source, 'vcard4', 'Prosody keeps a vcard-temp set as vCard4 in PEP; we read that first');
  assert.deepEqual(profile.fields, {
    fn: 'Bob Builder', nickname: 'bobby', emails: ['bob@work.example'], tels: ['+1-555-0100'], urls: ['https://bob.example/'],
    org: 'Builders Ltd', title: 'Foreman', bday: '1970-04-01', note: 'Can we fix it?\nYes we can.', locality: 'Bobtown', country: 'Nowhere',
  });
  assert.ok(!Number.isNaN(Date.parse(profile.fetchedAt)));
});

test('profiles are cached briefly; fresh asks again; a huge field arrives cut', async () => {
  const first = await alice.tab.command('profile', { jid: bob.conn.bareJid, fresh: true });
  await bob.conn.iq(vcardTemp({ FN: 'Bob Renamed', DESC: 'y'.repeat(20_000) }));
  const cached = await alice.tab.command('profile', { jid: bob.conn.bareJid });
  assert.equal(cached.fields.fn, first.fields.fn, 'served from the session cache');
  assert.equal(cached.fetchedAt, first.fetchedAt);
  const fresh = await alice.tab.command('profile', { jid: bob.conn.bareJid, fresh: true });
  assert.equal(fresh.fields.fn, 'Bob Renamed');
  assert.equal(fresh.fields.note!.length, PROFILE_LIMITS.noteChars);
  assert.equal(fresh.fields.emails.length, 0, 'the new vCard replaced the old one');
});

test('a vCard4 published straight to PEP is read, its photo ignored; the own account\'s profile is readable', async () => {
  const alicePhone = await XmppPeer.login(stack.prosody, alice.jid, alice.password, 'phone');
  peers.push(alicePhone);
  const own0 = await alice.tab.command('profile', { jid: alice.jid });
  assert.equal(own0.state, 'empty', 'nothing published yet');
  assert.deepEqual(own0.fields.emails, []);
  await alicePhone.conn.iq(buildPublish(VCARD4_NODE, 'current', vcard4('Alice Liddell', [
    xml('url', {}, xml('uri', {}, 'https://wonder.example/')),
    xml('photo', {}, xml('uri', {}, 'http://169.254.169.254/latest/meta-data')),
  ]), { 'pubsub#access_model': 'open' }));
  const own = await alice.tab.command('profile', { jid: alice.jid, fresh: true });
  assert.equal(own.state, 'found');
  assert.equal(own.fields.fn, 'Alice Liddell');
  assert.deepEqual(own.fields.urls, ['https://wonder.example/']);
  assert.ok(!JSON.stringify(own).includes('169.254'), 'no photo address is forwarded');
  // Mallory reads Alice's open profile through her own session too.
  assert.equal((await mallory.tab.command('profile', { jid: alice.jid })).fields.fn, 'Alice Liddell');
});

const noFields = {
  fn: null, nickname: null, emails: [], tels: [], urls: [], org: null, title: null, bday: null, note: null, locality: null, country: null,
};

test('no profile, unknown accounts and unknown domains give an empty profile with a clear state', async () => {
  // Prosody answers the same for an account without a profile that is not a contact and for one that does not
  // exist (it never tells which accounts exist): nothing is shared with us.
  const none = await alice.tab.command('profile', { jid: mallory.jid });
  assert.deepEqual([none.state, none.fields], ['forbidden', noFields]);
  const unknown = await alice.tab.command('profile', { jid: `nobody-here@${stack.prosody.domain}` });
  assert.deepEqual([unknown.state, unknown.source, unknown.fields], ['forbidden', null, noFields]);
  // This test Prosody has no s2s: another domain cannot be reached.
  const elsewhere = await alice.tab.command('profile', { jid: 'someone@unknown-domain.invalid' });
  assert.deepEqual([elsewhere.state, elsewhere.fields], ['unavailable', noFields]);
  // Invalid addresses are refused by the contract, not sent.
  const bad = await alice.tab.rawCommand('profile', { jid: '<script>@x' + '/res' });
  assert.equal(bad.ok, false);
  assert.match(bad.error!, /Invalid profile/);
});

test('a malformed vCard4 item gives an empty profile marked malformed', async () => {
  const carolUser = await stack.newUser('carol');
  const carol = await XmppPeer.login(stack.prosody, carolUser.jid, carolUser.password);
  peers.push(carol);
  await carol.conn.iq(buildPublish(VCARD4_NODE, 'current', xml('garbage', { xmlns: 'urn:example:junk' }, xml('fn', {}, 'x')), { 'pubsub#access_model': 'open' }));
  const p = await alice.tab.command('profile', { jid: carolUser.jid });
  assert.deepEqual([p.state, p.source, p.fields], ['malformed', 'vcard4', noFields]);
  // The session is still fine afterwards.
  assert.equal((await alice.tab.command('profile', { jid: bob.conn.bareJid })).state, 'found');
});

test('a tab asks only through its own account: contacts-only profiles reach Alice, not Mallory', async () => {
  const daveUser = await stack.newUser('dave');
  const dave = await XmppPeer.login(stack.prosody, daveUser.jid, daveUser.password);
  peers.push(dave);
  await dave.conn.iq(buildPublish(VCARD4_NODE, 'current', vcard4('Dave Private'), { 'pubsub#access_model': 'presence' }));
  // Alice (on her phone) asks for Dave's presence and Dave approves: Alice may read his contacts-only profile.
  const alicePhone = peers.find((p) => p.conn.bareJid === alice.jid)!;
  await alicePhone.sendRaw(xml('presence', { to: daveUser.jid, type: 'subscribe' }));
  await dave.sendRaw(xml('presence', { to: alice.jid, type: 'subscribed' }));
  let forAlice = await alice.tab.command('profile', { jid: daveUser.jid });
  for (let i = 0; i < 20 && forAlice.state !== 'found'; i++) {
    await new Promise((r) => setTimeout(r, 100)); // the subscription reaches Dave's roster asynchronously
    forAlice = await alice.tab.command('profile', { jid: daveUser.jid, fresh: true });
  }
  assert.equal(forAlice.state, 'found');
  assert.equal(forAlice.fields.fn, 'Dave Private');

  // Mallory's tab asks through Mallory's session: Alice's access (and Alice's cache) is not hers.
  const forMallory = await mallory.tab.command('profile', { jid: daveUser.jid });
  assert.deepEqual([forMallory.state, forMallory.fields], ['forbidden', noFields]);
  // Naming another account in the command is refused outright, not ignored.
  for (const extra of [{ account: alice.accountId }, { accountId: alice.accountId }, { via: alice.jid }]) {
    const smuggled = await mallory.tab.rawCommand('profile', { jid: daveUser.jid, fresh: true, ...extra });
    assert.equal(smuggled.ok, false, JSON.stringify(extra));
    assert.match(smuggled.error!, /Invalid profile/);
  }
  // A second tab of Mallory's browser is still Mallory.
  const malloryTab2 = mallory.openTab();
  await malloryTab2.waitFor('hello');
  assert.equal((await malloryTab2.command('profile', { jid: daveUser.jid, fresh: true })).state, 'forbidden');
});
