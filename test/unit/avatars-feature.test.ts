import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { AvatarCache, Avatars } from '../../server/features/avatars.js';

const el = (s: string) => parse(s) as unknown as Element;
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child() { return quiet; } } as never;

function session(jid: string, cache: AvatarCache, answer: (req: Element) => Promise<Element>) {
  const events: unknown[] = [];
  const asked: string[] = [];
  const ctx = {
    accountId: jid, jid, log: quiet, stores: {} as never,
    conn: { iq: async (req: Element) => (asked.push(req.toString()), answer(req)) } as never,
    emit: (name: string, payload: unknown) => events.push([name, payload]),
  };
  return { avatars: new Avatars(ctx as never, cache), events, asked };
}

const dataResult = (id: string, bytes: Buffer) => el(`<iq type="result"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data"><item id="${id}"><data xmlns="urn:xmpp:avatar:data">${bytes.toString('base64')}</data></item></items></pubsub></iq>`);
const metadata = (id: string, bytes: number) => [{ id, payload: el(`<metadata xmlns="urn:xmpp:avatar:metadata"><info id="${id}" bytes="${bytes}" type="image/png"/></metadata>`) }];

test('XEP-0153 fallback: a photo hash in presence fetches the vCard PHOTO once; a PEP avatar then wins', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'avatars-unit-'));
  try {
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#123' } }).png().toBuffer();
    const hash = sha1(png);
    const s = session('me@x', new AvatarCache(dir, quiet), async (req) => {
      assert.match(req.toString(), /<vCard xmlns="vcard-temp"\/>/);
      return el(`<iq type="result"><vCard xmlns="vcard-temp"><PHOTO><TYPE>image/png</TYPE><BINVAL>${png.toString('base64')}</BINVAL></PHOTO></vCard></iq>`);
    });
    const presence = el(`<presence from="bob@x/phone"><x xmlns="vcard-temp:x:update"><photo>${hash}</photo></x></presence>`);
    await s.avatars.onPresence(presence);
    await s.avatars.onPresence(presence);
    assert.deepEqual(s.events, [['avatar', { jid: 'bob@x', hash }]]);
    assert.equal(s.asked.length, 1);
    assert.deepEqual(await readdir(dir), [`${hash}.webp`]);
    // PEP says "no avatar": that wins, and later vCard hashes are ignored.
    await s.avatars.onMetadata('bob@x', [{ id: 'current', payload: el('<metadata xmlns="urn:xmpp:avatar:metadata"/>') }]);
    await s.avatars.onPresence(el(`<presence from="bob@x/phone"><x xmlns="vcard-temp:x:update"><photo>${'a'.repeat(40)}</photo></x></presence>`));
    assert.deepEqual(s.events.at(-1), ['avatar', { jid: 'bob@x', hash: null }]);
    assert.equal(s.asked.length, 1);
    assert.deepEqual(s.avatars.snapshot(), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('one fetch per hash across accounts (in flight and on disk); a refused hash is not asked again', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'avatars-unit-'));
  try {
    const png = await sharp({ create: { width: 300, height: 300, channels: 4, background: '#f008' } }).png().toBuffer();
    const hash = sha1(png);
    const cache = new AvatarCache(dir, quiet);
    let fetches = 0;
    const answer = async () => (fetches++, await new Promise((r) => setTimeout(r, 20)), dataResult(hash, png));
    const a = session('a@x', cache, answer);
    const b = session('b@x', cache, answer);
    await Promise.all([a.avatars.onMetadata('carol@x', metadata(hash, png.length)), b.avatars.onMetadata('carol@x', metadata(hash, png.length))]);
    assert.equal(fetches, 1);
    assert.deepEqual([a.events, b.events], [[['avatar', { jid: 'carol@x', hash }]], [['avatar', { jid: 'carol@x', hash }]]]);
    const c = session('c@x', cache, answer);
    await c.avatars.onMetadata('carol@x', metadata(hash, png.length));
    assert.equal(fetches, 1, 'stored: not fetched again');
    const stored = await sharp(path.join(dir, `${hash}.webp`)).metadata();
    assert.deepEqual([stored.format, stored.width, stored.height], ['webp', 256, 256]);

    const junk = Buffer.from('not an image at all');
    const bad = session('d@x', cache, async () => (fetches++, dataResult(sha1(junk), junk)));
    await bad.avatars.onMetadata('mallory@x', metadata(sha1(junk), junk.length));
    await bad.avatars.onMetadata('mallory@x', metadata(sha1(junk), junk.length));
    assert.equal(fetches, 2, 'the refused hash was asked once');
    assert.deepEqual(bad.events, []);
    assert.deepEqual((await readdir(dir)).filter((f) => !f.startsWith('.')), [`${hash}.webp`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
