/**
 * Avatars on real Prosody and ejabberd (the test matrix): a contact's XEP-0084 avatar reaches the tab as `avatar` and is served as WebP from
 * /avatars/<hash>; a contact with only a vcard-temp PHOTO and a XEP-0153 hash in presence; hostile avatars (not an
 * image, SHA-1 mismatch, 50 MB declared, a decompression bomb) store nothing and send no event, and the session goes
 * on; setAvatar publishes to PEP (data + metadata) and to vcard-temp (other fields kept), read back with a raw client.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, HttpBrowser, type LoggedIn } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import { buildPublish, buildItemsGet, parseItems } from '../../server/stanza/pubsub.js';
import { buildDataPayload, buildMetadataPayload, buildPhotoUpdate, NS_AVATAR_DATA, NS_AVATAR_METADATA, photoFromVcard } from '../../server/stanza/avatar.js';

let stack: TestStack;
let dataDir: string;
let alice: LoggedIn;
const peers: XmppPeer[] = [];

/** Each describe starts its own stack; tests run one at a time, so `stack` is the current describe's. */
function useStack(start: (env: Record<string, string>) => Promise<TestStack>): void {
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'parley-avatars-'));
    stack = await start({ PARLEY_DATA_DIR: dataDir });
    alice = await stack.loggedIn('avalice');
  });
  after(async () => {
    for (const p of peers.splice(0)) await p.stop().catch(() => undefined);
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const stored = async () => (await readdir(path.join(dataDir, 'avatars')).catch(() => [] as string[])).filter((f) => !f.startsWith('.'));
const png = (w: number, h: number, colour: string) => sharp({ create: { width: w, height: h, channels: 3, background: colour } }).png().toBuffer();

/**
 * A raw contact, mutual with Alice: Prosody's PEP learns Alice's caps (+notify) from the presence Alice sends to
 * those who see her, so a contact only Alice sees would never notify her.
 */
async function contact(prefix: string): Promise<XmppPeer> {
  const user = await stack.newUser(prefix);
  const p = await XmppPeer.login(stack.server, user.jid, user.password);
  peers.push(p);
  // An unrequested `subscribed` is a pre-approval, which ejabberd drops: answer Alice's request once it is there.
  const asked = new Promise<void>((resolve) => p.conn.on('stanza', (el: Element) => el.name === 'presence' && el.attrs.type === 'subscribe' && resolve()));
  await alice.tab.command('addContact', { jid: user.jid, name: prefix });
  await asked;
  await p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribed' }));
  await alice.tab.waitFor('presence', (e) => e.jid === user.jid && e.show === 'available');
  await p.sendRaw(xml('presence', { to: alice.jid, type: 'subscribe' }));
  // Alice sees them, so Parley approves their request itself (or the server's pre-approval did): no request to answer.
  await alice.tab.waitFor('contact', (e) => e.contact.jid === user.jid && e.contact.subscription === 'both');
  return p;
}

const open = { 'pubsub#access_model': 'open' };
async function publishAvatar(p: XmppPeer, id: string, data: Buffer | null, declared: { bytes: number; type?: string; width?: number; height?: number }) {
  if (data) await p.conn.iq(buildPublish(NS_AVATAR_DATA, id, buildDataPayload(data), open));
  await p.conn.iq(buildPublish(NS_AVATAR_METADATA, id, buildMetadataPayload({ id, bytes: declared.bytes, type: declared.type ?? 'image/png', width: declared.width ?? 64, height: declared.height ?? 64 }), open));
}

/** A PNG whose header declares width x height, with one deflated row: the decoder would need width*height*3 bytes. */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb));
    return Buffer.concat([head, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3 * 4))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const kind of testServers()) describe(serverLabel(kind), () => {
  useStack((env) => TestStack.start({ server: kind, env }));

  test('XEP-0084: a contact publishes a PNG; the tab gets `avatar`, /avatars/<hash> serves WebP, a new tab has it in hello', async () => {
    const juliet = await contact('juliet');
    const image = await png(300, 200, '#3a7');
    const hash = sha1(image);
    await publishAvatar(juliet, hash, image, { bytes: image.length, width: 300, height: 200 });
    await alice.tab.waitFor('avatar', (e) => e.jid === juliet.conn.bareJid && e.hash === hash);
    const res = await alice.browser.request(`/avatars/${hash}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/webp');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d{6,}/);
    const body = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 256, 171]);
    const tab2 = alice.openTab();
    const hello = await tab2.waitFor('hello');
    assert.ok(hello.avatars.some((a) => a.jid === juliet.conn.bareJid && a.hash === hash));
    tab2.close();
  });

  test('XEP-0153: a contact with a vcard-temp PHOTO and the hash in presence', async () => {
    const romeo = await contact('romeo');
    const image = await png(48, 48, '#a24');
    const hash = sha1(image);
    await romeo.conn.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Romeo'), xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, image.toString('base64'))))));
    await romeo.sendRaw(xml('presence', {}, buildPhotoUpdate(hash)));
    // Prosody's vcard_legacy may also turn the PHOTO into a PEP avatar; either way the picture is the same bytes.
    await alice.tab.waitFor('avatar', (e) => e.jid === romeo.conn.bareJid && e.hash === hash);
    assert.equal((await alice.browser.request(`/avatars/${hash}`)).status, 200);
  });

  test('hostile avatars: not an image, SHA-1 mismatch, 50 MB declared, a decompression bomb: nothing stored, no event, the session goes on', async () => {
    const mallory = await contact('mallory');
    const before = new Set(await stored());
    const eventsBefore = alice.tab.events.length;
    const junk = randomBytes(2000);
    await publishAvatar(mallory, sha1(junk), junk, { bytes: junk.length });
    const real = await png(32, 32, '#00f');
    const wrongId = sha1(Buffer.from('something else'));
    await publishAvatar(mallory, wrongId, real, { bytes: real.length });
    const big = await png(16, 16, '#0f0');
    await publishAvatar(mallory, sha1(big), big, { bytes: 50 * 1024 * 1024 });
    const bomb = pngBomb(30000, 30000);
    await publishAvatar(mallory, sha1(bomb), bomb, { bytes: bomb.length, width: 30000, height: 30000 });
    const hostileHashes = [sha1(junk), wrongId, sha1(big), sha1(bomb)];

    // Then a good one: it arrives, and it is the only avatar event of Mallory's.
    const good = await png(20, 20, '#ff0');
    await publishAvatar(mallory, sha1(good), good, { bytes: good.length });
    await alice.tab.waitFor('avatar', (e) => e.jid === mallory.conn.bareJid && e.hash === sha1(good));
    await sleep(500);
    const events = alice.tab.events.slice(eventsBefore).filter((e) => e.name === 'avatar').map((e) => e.payload as { jid: string; hash: string | null });
    assert.deepEqual(events, [{ jid: mallory.conn.bareJid, hash: sha1(good) }]);
    const added = (await stored()).filter((f) => !before.has(f));
    assert.deepEqual(added, [`${sha1(good)}.webp`]);
    for (const h of hostileHashes) assert.equal((await alice.browser.request(`/avatars/${h}`)).status, 404);

    // The session still works.
    await mallory.sendChat(alice.jid, 'still here?');
    await alice.tab.waitFor('message', (e) => e.message.body === 'still here?');
    assert.equal(stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)?.state, 'online');
  });

  test('setAvatar: re-encoded, published to PEP (data then metadata) and to vcard-temp with the other fields kept; presence carries the hash', async () => {
    const bob = await stack.loggedIn('avbob');
    const phone = await XmppPeer.login(stack.server, bob.jid, bob.password);
    peers.push(phone);
    await phone.conn.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Bob Builder'), xml('NICKNAME', {}, 'bobby'))));
    const presences: Element[] = [];
    phone.conn.on('stanza', (el: Element) => el.name === 'presence' && presences.push(el));

    const upload = await png(192, 192, '#123456');
    const r = await bob.tab.command('setAvatar', { data: upload.toString('base64'), type: 'image/png' });
    assert.match(r.hash, /^[0-9a-f]{40}$/);
    await bob.tab.waitFor('avatar', (e) => e.jid === bob.jid && e.hash === r.hash);

    const meta = parseItems(await phone.conn.iq(buildItemsGet(bob.jid, NS_AVATAR_METADATA)));
    const info = meta.at(-1)!.payload!.getChild('info')!;
    assert.equal(info.attrs.id, r.hash);
    assert.equal(info.attrs.type, 'image/png');
    const data = parseItems(await phone.conn.iq(buildItemsGet(bob.jid, NS_AVATAR_DATA))).find((i) => i.id === r.hash)!;
    const bytes = Buffer.from(data.payload!.getText(), 'base64');
    assert.equal(sha1(bytes), r.hash);
    assert.equal(Number(info.attrs.bytes), bytes.length);
    assert.equal((await sharp(bytes).metadata()).format, 'png');

    const vcard = await phone.conn.iq(xml('iq', { type: 'get', to: bob.jid }, xml('vCard', { xmlns: 'vcard-temp' })));
    const photo = photoFromVcard(vcard)!;
    assert.equal(sha1(photo.bytes), r.hash);
    assert.equal(vcard.getChild('vCard')!.getChildText('FN'), 'Bob Builder');
    assert.equal(vcard.getChild('vCard')!.getChildText('NICKNAME'), 'bobby');

    const deadline = Date.now() + 5000;
    while (!presences.some((p) => p.getChild('x', 'vcard-temp:x:update')?.getChildText('photo') === r.hash) && Date.now() < deadline) await sleep(50);
    assert.ok(presences.some((p) => p.getChild('x', 'vcard-temp:x:update')?.getChildText('photo') === r.hash), 'presence with the photo hash');

    // A new XMPP session learns our avatar again from our own PEP node (last item on +notify): the tab and presence have it.
    await stack.parley.sessions.logout(bob.accountId);
    const again = new HttpBrowser(stack.url);
    assert.equal((await again.login(bob.jid, bob.password)).status, 303);
    const tab = again.tab();
    const hello = await tab.waitFor('hello');
    // In the snapshot when our PEP node answered before the tab attached, else as an event.
    if (!hello.avatars.some((a) => a.jid === bob.jid && a.hash === r.hash)) await tab.waitFor('avatar', (e) => e.jid === bob.jid && e.hash === r.hash);
    tab.close();

    // Not an image: refused with a reason, nothing published.
    const bobTab = (await stack.loggedIn('avbob2')).tab;
    const bad = await bobTab.rawCommand('setAvatar', { data: randomBytes(300).toString('base64'), type: 'image/png' });
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /image/);
  });

  test('removeAvatar: empty XEP-0084 metadata, no vcard-temp PHOTO (other fields kept), an empty photo in presence; a profile save racing an avatar save undoes neither', async () => {
    const carol = await stack.loggedIn('avcarol');
    const phone = await XmppPeer.login(stack.server, carol.jid, carol.password);
    peers.push(phone);
    const presences: Element[] = [];
    phone.conn.on('stanza', (el: Element) => el.name === 'presence' && presences.push(el));
    const vcardOf = async () => (await phone.conn.iq(xml('iq', { type: 'get', to: carol.jid }, xml('vCard', { xmlns: 'vcard-temp' })))).getChild('vCard')!;

    // Both read-merge-write vcard-temp: sent together, run one after the other, so the PHOTO and the name both stay.
    const upload = await png(64, 64, '#0a8');
    const [set] = await Promise.all([
      carol.tab.command('setAvatar', { data: upload.toString('base64'), type: 'image/png' }),
      carol.tab.command('setOwnProfile', { fn: 'Carol Racer', emails: [] }),
    ]);
    let vcard = await vcardOf();
    assert.equal(sha1(photoFromVcard(xml('iq', {}, vcard))!.bytes), set.hash);
    assert.equal(vcard.getChildText('FN'), 'Carol Racer');

    const gone = carol.tab.waitFor('avatar', (e) => e.jid === carol.jid && e.hash === null);
    assert.deepEqual(await carol.tab.command('removeAvatar', {}), {});
    await gone;
    // Our empty metadata (XEP-0084 §4.7); Prosody's vcard_legacy then purges the node for a vCard without PHOTO.
    const meta = parseItems(await phone.conn.iq(buildItemsGet(carol.jid, NS_AVATAR_METADATA)));
    assert.equal(meta.at(-1)?.payload?.getChildren('info').length ?? 0, 0, 'no <info/> left in the metadata node');
    vcard = await vcardOf();
    assert.equal(vcard.getChild('PHOTO'), undefined);
    assert.equal(vcard.getChildText('FN'), 'Carol Racer');
    const deadline = Date.now() + 5000;
    const emptyPhoto = () => presences.some((p) => p.getChild('x', 'vcard-temp:x:update')?.getChild('photo')?.getText() === '');
    while (!emptyPhoto() && Date.now() < deadline) await sleep(50);
    assert.ok(emptyPhoto(), 'presence with an empty photo element');
  });
});
