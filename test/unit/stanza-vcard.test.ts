import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import {
  buildOwnDiscoInfo, buildVcard4Get, buildVcardTempGet, clipText, convertsVcardTemp, emptyProfile, parseVcard4, parseVcardTemp, PROFILE_LIMITS, vcard4FromItems,
  vcardTempFromResult, VcardShapeError,
} from '../../server/stanza/vcard.js';

const el = (s: string) => parse(s) as unknown as Element;

test('requests: vCard4 from the PEP node, vcard-temp as an iq get', () => {
  assert.equal(
    buildVcard4Get('bob@example.org').toString(),
    '<iq type="get" to="bob@example.org"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:vcard4" max_items="1"/></pubsub></iq>',
  );
  assert.equal(buildVcardTempGet('bob@example.org').toString(), '<iq type="get" to="bob@example.org"><vCard xmlns="vcard-temp"/></iq>');
});

test('our server says whether vcard-temp is a view of vCard4', () => {
  assert.equal(buildOwnDiscoInfo().toString(), '<iq type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>');
  const info = (features: string) => el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'>${features}</query></iq>`);
  assert.equal(convertsVcardTemp(info(`<feature var='urn:xmpp:mam:2'/><feature var='urn:xmpp:pep-vcard-conversion:0'/>`)), true);
  assert.equal(convertsVcardTemp(info(`<feature var='urn:xmpp:mam:2'/>`)), false);
  assert.equal(convertsVcardTemp(el(`<iq type='result'><query xmlns='urn:other'><feature var='urn:xmpp:pep-vcard-conversion:0'/></query></iq>`)), false);
  assert.equal(convertsVcardTemp(el(`<iq type='result'/>`)), false);
});

test('a full vCard4 (RFC 6351) gives every field; the photo is ignored', () => {
  const result = el(`<iq type='result' from='bob@example.org'><pubsub xmlns='http://jabber.org/protocol/pubsub'>
    <items node='urn:xmpp:vcard4'><item id='current'>
      <vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
        <fn><text>Bob Builder</text></fn>
        <n><surname>Builder</surname><given>Bob</given></n>
        <nickname><text>bobby</text></nickname>
        <email><parameters><type><text>work</text></type></parameters><text>bob@work.example</text></email>
        <email><text>bob@home.example</text></email>
        <tel><uri>tel:+1-555-0100</uri></tel>
        <tel><text>+1 555 0101</text></tel>
        <url><uri>https://bob.example/</uri></url>
        <org><text>Builders Ltd</text></org>
        <title><text>Foreman</text></title>
        <bday><date>1970-04-01</date></bday>
        <note><text>Can we fix it?
Yes we can.</text></note>
        <adr><street>1 Site Road</street><locality>Bobtown</locality><country>Nowhere</country></adr>
        <photo><uri>https://evil.example/track.png</uri></photo>
      </vcard>
    </item></items></pubsub></iq>`);
  const vcard = vcard4FromItems(result);
  assert.ok(vcard);
  assert.deepEqual(parseVcard4(vcard), {
    fn: 'Bob Builder',
    nickname: 'bobby',
    emails: ['bob@work.example', 'bob@home.example'],
    tels: ['+1-555-0100', '+1 555 0101'],
    urls: ['https://bob.example/'],
    org: 'Builders Ltd',
    title: 'Foreman',
    bday: '1970-04-01',
    note: 'Can we fix it?\nYes we can.',
    locality: 'Bobtown',
    country: 'Nowhere',
  });
  assert.ok(!JSON.stringify(parseVcard4(vcard)).includes('evil.example'), 'no photo address leaks out');
});

test('a full vcard-temp (XEP-0054) gives every field; BINVAL and EXTVAL are ignored', () => {
  const result = el(`<iq type='result'><vCard xmlns='vcard-temp'>
    <FN>Bob Builder</FN><N><FAMILY>Builder</FAMILY><GIVEN>Bob</GIVEN></N><NICKNAME>bobby</NICKNAME>
    <EMAIL><INTERNET/><PREF/><USERID>bob@work.example</USERID></EMAIL>
    <EMAIL>old-style@example.org</EMAIL>
    <TEL><WORK/><VOICE/><NUMBER>+1-555-0100</NUMBER></TEL>
    <URL>https://bob.example/</URL>
    <ORG><ORGNAME>Builders Ltd</ORGNAME><ORGUNIT>Cranes</ORGUNIT></ORG>
    <TITLE>Foreman</TITLE><BDAY>1970-04-01</BDAY><DESC>Can we fix it?</DESC>
    <ADR><HOME/><LOCALITY>Bobtown</LOCALITY><CTRY>Nowhere</CTRY></ADR>
    <PHOTO><TYPE>image/png</TYPE><BINVAL>${'A'.repeat(50_000)}</BINVAL><EXTVAL>http://169.254.169.254/</EXTVAL></PHOTO>
  </vCard></iq>`);
  const vcard = vcardTempFromResult(result);
  assert.ok(vcard);
  const p = parseVcardTemp(vcard);
  assert.deepEqual(p, {
    fn: 'Bob Builder',
    nickname: 'bobby',
    emails: ['bob@work.example', 'old-style@example.org'],
    tels: ['+1-555-0100'],
    urls: ['https://bob.example/'],
    org: 'Builders Ltd',
    title: 'Foreman',
    bday: '1970-04-01',
    note: 'Can we fix it?',
    locality: 'Bobtown',
    country: 'Nowhere',
  });
  assert.ok(JSON.stringify(p).length < 1000, 'photo data is never carried');
});

test('missing elements: empty node, empty vcard-temp result, empty properties', () => {
  assert.equal(vcard4FromItems(el(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:vcard4'/></pubsub></iq>`)), null);
  assert.equal(vcard4FromItems(el(`<iq type='result'/>`)), null, 'a result without pubsub is no item');
  assert.equal(vcardTempFromResult(el(`<iq type='result'/>`)), null, 'XEP-0054: an empty result means no vCard');
  // What Prosody's vcard_legacy writes for an empty vcard-temp: empty name parts, empty fn.
  const v4 = el(`<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'><fn><text/></fn><n><surname/><given/></n><email/><tel><uri></uri></tel><adr/><url/></vcard>`);
  assert.deepEqual(parseVcard4(v4), emptyProfile());
  assert.deepEqual(parseVcardTemp(el(`<vCard xmlns='vcard-temp'><FN>   </FN><EMAIL><INTERNET/></EMAIL><ORG/><ADR/></vCard>`)), emptyProfile());
});

test('malformed payloads are refused with VcardShapeError, never a crash', () => {
  const item = (payload: string) => el(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:vcard4'><item id='current'>${payload}</item></items></pubsub></iq>`);
  assert.throws(() => vcard4FromItems(item(`<garbage xmlns='urn:example'/>`)), VcardShapeError);
  assert.throws(() => vcard4FromItems(item(`<vcard xmlns='vcard-temp'/>`)), VcardShapeError, 'right name, wrong namespace');
  assert.throws(() => vcard4FromItems(item('')), VcardShapeError, 'an item without payload');
  assert.throws(() => vcardTempFromResult(el(`<iq type='result'><query xmlns='jabber:iq:version'/></iq>`)), VcardShapeError);
  assert.throws(() => vcardTempFromResult(el(`<iq type='result'><vCard xmlns='urn:ietf:params:xml:ns:vcard-4.0'/></iq>`)), VcardShapeError);
  assert.throws(() => parseVcard4(el(`<vCard xmlns='vcard-temp'/>`)), VcardShapeError);
  assert.throws(() => parseVcardTemp(el(`<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'/>`)), VcardShapeError);
});

test('nested garbage: markup inside a value is not text, foreign namespaces and deep nesting are ignored', () => {
  const deep = '<x>'.repeat(200) + 'deep' + '</x>'.repeat(200);
  const p = parseVcard4(el(`<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
    <fn><text>Bob<b>bold</b> Builder<script>alert(1)</script></text><text>second</text></fn>
    <nickname>${deep}<text>nick</text></nickname>
    <email><uri>mailto:not-a-text@example.org</uri></email>
    <org xmlns='urn:example:other'><text>foreign</text></org>
    <url><uri>javascript:alert(1)</uri></url>
    <unknown><text>ignored</text></unknown>
    <fn><text>later fn is ignored</text></fn>
  </vcard>`));
  assert.equal(p.fn, 'Bob Builder', 'only the text nodes of the first fn');
  assert.equal(p.nickname, 'nick');
  assert.deepEqual(p.emails, [], 'email must be a text value');
  assert.equal(p.org, null, 'a property in another namespace is not a vCard property');
  assert.deepEqual(p.urls, ['javascript:alert(1)'], 'kept as text: the tab decides whether it is a link');
});

test('huge values are cut, lists are bounded, the number of properties looked at is bounded', () => {
  const huge = 'x'.repeat(100_000);
  const emails = Array.from({ length: 50 }, (_, i) => `<email><text>e${i}@example.org</text></email>`).join('');
  const p = parseVcard4(el(`<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
    <fn><text>${huge}</text></fn><note><text>${huge}</text></note><url><uri>https://x.example/${huge}</uri></url>${emails}
  </vcard>`));
  assert.equal(p.fn!.length, PROFILE_LIMITS.shortChars);
  assert.ok(p.fn!.endsWith('…'));
  assert.equal(p.note!.length, PROFILE_LIMITS.noteChars);
  assert.equal(p.urls[0]!.length, PROFILE_LIMITS.urlChars);
  assert.equal(p.emails.length, PROFILE_LIMITS.listEntries);

  const filler = '<title><text>t</text></title>'.repeat(PROFILE_LIMITS.scannedChildren);
  const late = parseVcardTemp(el(`<vCard xmlns='vcard-temp'>${filler.replace(/title/g, 'X-JUNK')}<FN>too late</FN></vCard>`));
  assert.equal(late.fn, null, 'properties past the scan bound are not read');
});

test('clipText trims, drops empty text and never splits a surrogate pair', () => {
  assert.equal(clipText('  a  ', 10), 'a');
  assert.equal(clipText(' \n\t ', 10), null);
  assert.equal(clipText(undefined, 10), null);
  assert.equal(clipText('abcdef', 4), 'abc…');
  const emoji = 'ab😀cd'; // 😀 is two UTF-16 units at indices 2-3
  assert.equal(clipText(emoji, 4), 'ab…', 'the half emoji is dropped');
  assert.equal(clipText('<script>alert(1)</script>', 100), '<script>alert(1)</script>', 'text stays text');
});
