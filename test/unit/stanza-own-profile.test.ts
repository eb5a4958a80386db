import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { buildVcard4, mergeVcardTemp, buildNick, buildVcardTempSet } from '../../server/stanza/vcard-edit.js';
import { emptyProfile, parseVcard4, parseVcardTemp, type ProfileFields } from '../../server/stanza/vcard.js';
import { ownProfileFields } from '../../server/realtime/contract/own-profile.js';

const full: ProfileFields = {
  ...emptyProfile(),
  fn: 'Juliet <script>alert(1)</script>',
  nickname: 'Jules & co',
  emails: ['juliet@example.org', 'jc@example.net'],
  tels: ['+1 555 0100'],
  urls: ['https://example.org/~juliet'],
  org: 'Capulet',
  title: 'Heiress',
  bday: '1996-07-01',
  note: 'line one\nline two',
  locality: 'Verona',
  country: 'Italy',
};

test('our vCard4 (XEP-0292) says exactly what was saved, as text, and reads back the same', () => {
  const vcard = buildVcard4(full);
  assert.match(vcard.toString(), /<fn><text>Juliet &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/text><\/fn>/);
  assert.match(vcard.toString(), /<tel><uri>tel:\+1 555 0100<\/uri><\/tel>/);
  assert.deepEqual(parseVcard4(parse(vcard.toString())), full);
  assert.equal(buildVcard4(emptyProfile()).toString(), '<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"/>');
});

test('saving into vcard-temp keeps PHOTO and the fields Parley does not edit, and replaces the ones it does', () => {
  const existing = parse(`<vCard xmlns='vcard-temp'>
    <FN>Old name</FN><N><FAMILY>Capulet</FAMILY><GIVEN>Juliet</GIVEN></N>
    <PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO>
    <EMAIL><INTERNET/><USERID>old@example.org</USERID></EMAIL><JABBERID>juliet@example.org</JABBERID>
  </vCard>`);
  const merged = mergeVcardTemp(existing, { ...emptyProfile(), fn: 'Juliet', emails: ['new@example.org'] });
  const names = merged.getChildElements().map((c) => c.name);
  assert.deepEqual(names, ['N', 'PHOTO', 'JABBERID', 'FN', 'EMAIL']);
  assert.equal(merged.getChild('PHOTO')!.getChildText('BINVAL'), 'iVBORw0KGgo=');
  assert.deepEqual(parseVcardTemp(parse(merged.toString())), { ...emptyProfile(), fn: 'Juliet', emails: ['new@example.org'] });
  // Everything Parley edits, through vcard-temp and back.
  assert.deepEqual(parseVcardTemp(parse(mergeVcardTemp(null, full).toString())), full);
  assert.equal(buildVcardTempSet(mergeVcardTemp(null, emptyProfile())).toString(), '<iq type="set"><vCard xmlns="vcard-temp"/></iq>');
});

test('the nickname (XEP-0172) is text; none is an empty <nick/>', () => {
  assert.equal(buildNick('<b>Jules</b>').toString(), '<nick xmlns="http://jabber.org/protocol/nick">&lt;b&gt;Jules&lt;/b&gt;</nick>');
  assert.equal(buildNick(null).toString(), '<nick xmlns="http://jabber.org/protocol/nick"/>');
});

test('what a tab sends is validated: too long, a javascript: website, a bad birthday or email are clear errors; blanks are dropped', () => {
  const ok = ownProfileFields.parse({ fn: '  Juliet  ', nickname: '', emails: ['a@b.example', '', 'a@b.example'], urls: ['https://x.example'], bday: '' });
  assert.equal(ok.fn, 'Juliet');
  assert.equal(ok.nickname, null);
  assert.deepEqual(ok.emails, ['a@b.example']);
  assert.equal(ok.bday, null);
  assert.equal(ok.note, null);
  const bad = (input: unknown, pattern: RegExp) => {
    const r = ownProfileFields.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input).slice(0, 80));
    assert.match(JSON.stringify(r.error!.issues), pattern);
  };
  bad({ fn: 'x'.repeat(100_000) }, /too_big|at most/i);
  bad({ urls: ['javascript:alert(1)'] }, /http/);
  bad({ bday: '1 July' }, /YYYY-MM-DD/);
  bad({ emails: ['not an email'] }, /email/);
  bad({ emails: Array.from({ length: 6 }, (_, i) => `a${i}@b.example`) }, /too_big|at most/i);
  bad({ fn: 'x', photo: 'extra' }, /unrecognized/i);
});
