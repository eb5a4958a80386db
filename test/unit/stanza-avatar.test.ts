import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import {
  AvatarParseError, buildDataGet, buildMetadataPayload, buildPhotoUpdate, dataFromResult, decodeBase64Strict, metadataFromItem, parseMetadata,
  parsePhotoUpdate, photoFromVcard, replacePhoto,
} from '../../server/stanza/avatar.js';
import { parseEvent } from '../../server/stanza/pubsub.js';

const el = (s: string) => parse(s) as unknown as Element;
const ID = '111f4b3c50d7b0df729d299bc6f8e9ef9066971f';

test('XEP-0084 §4.2 metadata notification: info parsed, item id must match', () => {
  const msg = el(`<message from="juliet@capulet.lit" to="romeo@montague.lit/home"><event xmlns="http://jabber.org/protocol/pubsub#event">
    <items node="urn:xmpp:avatar:metadata"><item id="${ID}"><metadata xmlns="urn:xmpp:avatar:metadata">
      <info bytes="12345" height="64" id="${ID}" type="image/png" width="64"/>
    </metadata></item></items></event></message>`);
  const event = parseEvent(msg)!;
  assert.equal(event.node, 'urn:xmpp:avatar:metadata');
  assert.deepEqual(metadataFromItem(event.items[0]!), { kind: 'avatar', info: { id: ID, bytes: 12345, type: 'image/png', width: 64, height: 64 } });
  const other = { id: '222f4b3c50d7b0df729d299bc6f8e9ef9066971f', payload: event.items[0]!.payload };
  assert.equal(metadataFromItem(other).kind, 'invalid');
});

test('metadata: empty disables, strict id/bytes/type, URL-only refused, big declared refused', () => {
  assert.deepEqual(parseMetadata(el('<metadata xmlns="urn:xmpp:avatar:metadata"/>')), { kind: 'none' });
  const bad = (attrs: string) => parseMetadata(el(`<metadata xmlns="urn:xmpp:avatar:metadata"><info ${attrs}/></metadata>`)).kind;
  assert.equal(bad(`id="${ID}" bytes="100" type="image/png"`), 'avatar');
  assert.equal(bad(`id="xyz" bytes="100" type="image/png"`), 'invalid');
  assert.equal(bad(`id="${ID}0" bytes="100" type="image/png"`), 'invalid');
  assert.equal(bad(`id="${ID}" bytes="-1" type="image/png"`), 'invalid');
  assert.equal(bad(`id="${ID}" bytes="1e3" type="image/png"`), 'invalid');
  assert.equal(bad(`id="${ID}" type="image/png"`), 'invalid');
  assert.equal(bad(`id="${ID}" bytes="52428800" type="image/png"`), 'invalid');
  assert.equal(bad(`id="${ID}" bytes="1048576" type="image/png"`), 'avatar');
  assert.equal(bad(`id="${ID}" bytes="1048577" type="image/png"`), 'invalid');
  assert.equal(bad(`id="${ID}" bytes="100" type="text/html"`), 'invalid');
  assert.equal(bad(`id="${ID}" bytes="100" type="image/png" url="http://evil.example/a.png"`), 'invalid');
  assert.equal(parseMetadata(el('<metadata xmlns="urn:other"/>')).kind, 'invalid');
  // PNG preferred among several local infos.
  const m = parseMetadata(el(`<metadata xmlns="urn:xmpp:avatar:metadata"><info id="${'a'.repeat(40)}" bytes="9" type="image/gif"/><info id="${ID}" bytes="8" type="image/png"/></metadata>`));
  assert.equal(m.kind === 'avatar' && m.info.id, ID);
});

test('data: fetched by id, base64 strict, size bound after decoding', () => {
  assert.equal(
    buildDataGet('juliet@capulet.lit', ID).toString(),
    `<iq type="get" to="juliet@capulet.lit"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data"><item id="${ID}"/></items></pubsub></iq>`,
  );
  const result = (data: string, id = ID) => el(`<iq type="result"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data"><item id="${id}"><data xmlns="urn:xmpp:avatar:data">${data}</data></item></items></pubsub></iq>`);
  assert.deepEqual(dataFromResult(result('aGVs\n bG8='), ID), Buffer.from('hello'));
  assert.throws(() => dataFromResult(result('aGVsbG8'), ID), AvatarParseError);
  assert.throws(() => dataFromResult(result('aGV*bG8='), ID), AvatarParseError);
  assert.throws(() => dataFromResult(result(''), ID), AvatarParseError);
  assert.throws(() => dataFromResult(result('aGVsbG8=', 'b'.repeat(40)), ID), AvatarParseError);
  assert.throws(() => dataFromResult(result('aGVsbG8='), ID, 4), /larger than 4/);
  assert.throws(() => decodeBase64Strict('A'.repeat(1_400_000)), /larger than/);
});

test('XEP-0153: photo hash in presence, empty photo, no photo', () => {
  const p = (x: string) => parsePhotoUpdate(el(`<presence from="juliet@capulet.lit/balcony">${x}</presence>`));
  assert.deepEqual(p(`<x xmlns="vcard-temp:x:update"><photo>${ID.toUpperCase()}</photo></x>`), { kind: 'hash', hash: ID });
  assert.deepEqual(p('<x xmlns="vcard-temp:x:update"><photo/></x>'), { kind: 'none' });
  assert.deepEqual(p('<x xmlns="vcard-temp:x:update"/>'), { kind: 'unknown' });
  assert.deepEqual(p('<x xmlns="vcard-temp:x:update"><photo>not-a-hash</photo></x>'), { kind: 'unknown' });
  assert.equal(p(''), null);
  assert.equal(buildPhotoUpdate(ID).toString(), `<x xmlns="vcard-temp:x:update"><photo>${ID}</photo></x>`);
  assert.equal(buildPhotoUpdate(null).toString(), '<x xmlns="vcard-temp:x:update"><photo/></x>');
});

test('vcard-temp PHOTO: BINVAL decoded, EXTVAL ignored, other fields kept on replace', () => {
  const r = el('<iq type="result"><vCard xmlns="vcard-temp"><FN>Juliet</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>aGVsbG8=</BINVAL></PHOTO></vCard></iq>');
  assert.deepEqual(photoFromVcard(r), { bytes: Buffer.from('hello'), type: 'image/png' });
  assert.equal(photoFromVcard(el('<iq type="result"><vCard xmlns="vcard-temp"><PHOTO><EXTVAL>http://x/</EXTVAL></PHOTO></vCard></iq>')), null);
  assert.equal(photoFromVcard(el('<iq type="result"/>')), null);
  assert.throws(() => photoFromVcard(el('<iq type="result"><vCard xmlns="vcard-temp"><PHOTO><BINVAL>@@@@</BINVAL></PHOTO></vCard></iq>')), AvatarParseError);
  const set = replacePhoto(r.getChild('vCard')!, { bytes: Buffer.from('hi'), type: 'image/webp' });
  assert.equal(set.toString(), '<iq type="set"><vCard xmlns="vcard-temp"><FN>Juliet</FN><PHOTO><TYPE>image/webp</TYPE><BINVAL>aGk=</BINVAL></PHOTO></vCard></iq>');
  assert.equal(replacePhoto(null, null).toString(), '<iq type="set"><vCard xmlns="vcard-temp"/></iq>');
  assert.equal(buildMetadataPayload({ id: ID, bytes: 2, type: 'image/png', width: 1, height: 1 }).toString(),
    `<metadata xmlns="urn:xmpp:avatar:metadata"><info id="${ID}" bytes="2" type="image/png" width="1" height="1"/></metadata>`);
});
