import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import { xml } from '@xmpp/xml';
import { parseOob, cleanFileName, safeLinkUrl, MAX_ATTACHMENT_NAME, MAX_ATTACHMENT_URL } from '../../server/stanza/oob.js';
import { buildChatMessage, parseChatMessage } from '../../server/stanza/message.js';
import { buildSlotRequest, fileTooLarge, parseDiscoItems, parseSlot, parseUploadInfo, SlotError } from '../../server/stanza/http-upload.js';
import { uploadFileName } from '../../server/features/upload.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';

const me = 'alice@example.org';

/** A message as Conversations sends a file: body = URL, plus <x jabber:x:oob>. */
function fileMessage(url: string, desc?: string): ReturnType<typeof parse> {
  return xml(
    'message',
    { from: 'bob@example.org/phone', to: me, type: 'chat', id: 'f1' },
    xml('body', {}, url),
    xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url), ...(desc === undefined ? [] : [xml('desc', {}, desc)])),
  );
}

test('a Conversations-style file message: https URL, the name is the decoded last path segment', () => {
  const el = parse(`<message from='bob@example.org/phone' to='alice@example.org' type='chat' id='f1' xmlns='jabber:client'>
    <body>https://upload.example.org/abc/My%20holiday%20%F0%9F%8F%96.jpg</body>
    <x xmlns='jabber:x:oob'><url>https://upload.example.org/abc/My%20holiday%20%F0%9F%8F%96.jpg</url></x>
  </message>`);
  const m = parseChatMessage(el, me)!;
  assert.equal(m.body, 'https://upload.example.org/abc/My%20holiday%20%F0%9F%8F%96.jpg');
  assert.deepEqual(m.attachment, { url: 'https://upload.example.org/abc/My%20holiday%20%F0%9F%8F%96.jpg', name: 'My holiday 🏖.jpg', size: null, type: null });
});

test('the desc, when present, is the file name', () => {
  assert.equal(parseOob(fileMessage('http://files.example.org/x/1', 'report.pdf'))!.name, 'report.pdf');
  // An empty desc falls back to the URL.
  assert.equal(parseOob(fileMessage('http://files.example.org/x/notes.txt', ''))!.name, 'notes.txt');
  // No path at all: the host name stands in.
  assert.equal(parseOob(fileMessage('https://files.example.org'))!.name, 'files.example.org');
});

test('javascript:, data:, relative, other schemes, whitespace tricks and a missing URL give no attachment; the body stays', () => {
  const refused = [
    'javascript:xss(1)',
    'JaVaScRiPt:xss(1)',
    ' javascript:xss(1)',
    'java\tscript:xss(1)',
    'java\nscript:alert(1)',
    'data:text/html,<script>xss(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.org/a',
    'aesgcm://example.org/a#0011',
    '//example.org/a.png',
    '/relative/a.png',
    'https://',
    'http://exa mple.org/a',
    'https://example.org/a\u0000b',
    '',
  ];
  for (const url of refused) {
    const el = fileMessage(url);
    assert.equal(parseOob(el), null, JSON.stringify(url));
    const m = parseChatMessage(el, me);
    if (url.trim() !== '') assert.equal(m?.body, url, 'the body still shows as text');
  }
  const noUrl = xml('message', { from: 'bob@example.org', to: me, type: 'chat' }, xml('body', {}, 'hi'), xml('x', { xmlns: 'jabber:x:oob' }, xml('desc', {}, 'a.png')));
  assert.equal(parseChatMessage(noUrl, me)!.attachment, null);
  // The same element in another namespace is not OOB.
  const otherNs = xml('message', { from: 'bob@example.org', to: me, type: 'chat' }, xml('body', {}, 'hi'), xml('x', { xmlns: 'jabber:x:data' }, xml('url', {}, 'https://e.org/a')));
  assert.equal(parseChatMessage(otherNs, me)!.attachment, null);
});

test('a URL over 2048 characters is refused; one at the limit is accepted', () => {
  const base = 'https://files.example.org/';
  assert.ok(safeLinkUrl(base + 'a'.repeat(MAX_ATTACHMENT_URL - base.length)));
  assert.equal(safeLinkUrl(base + 'a'.repeat(MAX_ATTACHMENT_URL - base.length + 1)), null);
  assert.equal(parseOob(fileMessage(base + 'a'.repeat(100_000))), null);
});

test('hostile names: control characters and bidi overrides are stripped, length is bounded, markup stays text', () => {
  // "photo<RLO>gnp.exe" would display as "photoexe.png".
  assert.equal(parseOob(fileMessage('https://e.org/a', 'photo\u202egnp.exe'))!.name, 'photognp.exe');
  assert.equal(cleanFileName('a\u0000b\u0007c\u001bd\u007fe\u0085f\u200eg\u200fh\u2066i\u2069j\u061ck'), 'abcdefghijk');
  assert.equal(cleanFileName('  two\u00a0\u00a0words \n\r\t '), 'two words');
  const huge = parseOob(fileMessage('https://e.org/a', '😀'.repeat(10_000)))!.name;
  assert.equal([...huge].length, MAX_ATTACHMENT_NAME);
  assert.ok(huge.endsWith('…'));
  assert.ok(!/[\ud800-\udbff]$/.test(huge.slice(0, -1)), 'no half surrogate pair before the ellipsis');
  // A name made only of controls falls back to the URL.
  assert.equal(parseOob(fileMessage('https://e.org/dir/real.txt', '\u202e\u0000'))!.name, 'real.txt');
  // Markup is kept verbatim: it is text, and the view renders it as text.
  assert.equal(parseOob(fileMessage('https://e.org/a', '<img src=x onerror=xss(1)>.png'))!.name, '<img src=x onerror=xss(1)>.png');
  // Bidi and controls hidden in the URL's last segment are stripped from the derived name too.
  assert.equal(parseOob(fileMessage('https://e.org/x/evil%E2%80%AEgnp.exe'))!.name, 'evilgnp.exe');
  // A malformed %-escape is shown as it is.
  assert.equal(parseOob(fileMessage('https://e.org/x/100%zz.txt'))!.name, '100%zz.txt');
});

test('every XSS payload as a desc and in the URL path gives an http(s) attachment whose name is the cleaned payload', () => {
  for (const [i, p] of xssPayloads().entries()) {
    const url = `https://files.example.org/${i}/${encodeURIComponent(p)}`;
    const a = parseOob(fileMessage(url, p));
    assert.ok(a, `payload ${i}`);
    assert.match(a.url, /^https:\/\//);
    assert.equal(a.name, cleanFileName(p), `payload ${i}`);
    assert.equal(parseOob(fileMessage(url))!.name, cleanFileName(p), `payload ${i} from the URL`);
  }
});

test('an OMEMO message never gets a plaintext attachment', () => {
  const el = parse(`<message from='bob@example.org' to='alice@example.org' type='chat' xmlns='jabber:client'>
    <encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><iv>AA==</iv></header></encrypted>
    <x xmlns='jabber:x:oob'><url>https://evil.example.org/looks-legit.pdf</url></x>
  </message>`);
  assert.equal(parseChatMessage(el, me)!.attachment, null);
});

test('an outgoing file message carries the URL as body and as OOB, and parses back to the same attachment', () => {
  const url = 'http://127.0.0.1:5280/file_share/abc/a%20b.txt';
  const el = buildChatMessage({ to: 'bob@example.org', id: 'o1', originId: 'o1', body: url, oobUrl: url });
  assert.equal(el.getChild('x', 'jabber:x:oob')?.getChildText('url'), url);
  const m = parseChatMessage(el, me)!;
  assert.equal(m.body, url);
  assert.deepEqual(m.attachment, { url, name: 'a b.txt', size: null, type: null });
});

test('upload service discovery: items, the feature, max-file-size', () => {
  const items = parse(`<iq type='result' xmlns='jabber:client'><query xmlns='http://jabber.org/protocol/disco#items'>
    <item jid='upload.example.org'/><item jid='upload.example.org'/><item jid='pubsub.example.org' node='x'/><item jid='conference.example.org'/>
  </query></iq>`);
  assert.deepEqual(parseDiscoItems(items), ['upload.example.org', 'conference.example.org']);
  const info = (max: string) => parse(`<iq type='result' xmlns='jabber:client'><query xmlns='http://jabber.org/protocol/disco#info'>
    <identity category='store' type='file'/><feature var='urn:xmpp:http:upload:0'/>
    <x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field>
    <field var='max-file-size'><value>${max}</value></field></x></query></iq>`);
  assert.deepEqual(parseUploadInfo(info('10485760')), { maxFileSize: 10485760 });
  assert.deepEqual(parseUploadInfo(info('-5')), { maxFileSize: null });
  assert.deepEqual(parseUploadInfo(info('1e9')), { maxFileSize: null });
  const muc = parse(`<iq type='result' xmlns='jabber:client'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='http://jabber.org/protocol/muc'/></query></iq>`);
  assert.equal(parseUploadInfo(muc), undefined);
});

test('slot request and slot: only http(s) URLs, only the allowed headers, no header splitting', () => {
  const req = buildSlotRequest('upload.example.org', { name: 'a b.txt', size: 5, type: 'text/plain' });
  assert.equal(req.toString(), `<iq type="get" to="upload.example.org"><request xmlns="urn:xmpp:http:upload:0" filename="a b.txt" size="5" content-type="text/plain"/></iq>`);
  const slot = parseSlot(parse(`<iq type='result' xmlns='jabber:client'><slot xmlns='urn:xmpp:http:upload:0'>
    <put url='https://up.example.org/put/1'><header name='Authorization'>Bearer t&#10;X-Injected: 1</header><header name='Cookie'>c=1</header>
      <header name='Expires'>Tue</header><header name='Host'>evil</header><header name='X-Other'>1</header></put>
    <get url='https://up.example.org/get/1'/></slot></iq>`));
  assert.deepEqual(slot, {
    putUrl: 'https://up.example.org/put/1',
    getUrl: 'https://up.example.org/get/1',
    headers: { Authorization: 'Bearer t X-Injected: 1', Cookie: 'c=1', Expires: 'Tue' },
  });
  assert.throws(() => parseSlot(parse(`<iq type='result' xmlns='jabber:client'><slot xmlns='urn:xmpp:http:upload:0'>
    <put url='https://up.example.org/put/1'/><get url='javascript:xss(1)'/></slot></iq>`)), SlotError);
  assert.throws(() => parseSlot(parse(`<iq type='result' xmlns='jabber:client'/>`)), SlotError);
});

test('the file name given to the upload service has no path, controls or bidi, and keeps its extension when cut', () => {
  assert.equal(uploadFileName('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(uploadFileName('C:\\Users\\me\\cv.pdf'), 'C:_Users_me_cv.pdf');
  assert.equal(uploadFileName('photo\u202egnp.exe'), 'photognp.exe');
  assert.equal(uploadFileName('\u0000'), 'file');
  const long = uploadFileName('x'.repeat(500) + '.tar.gz');
  assert.equal(long.length, 120);
  assert.ok(long.endsWith('.tar.gz'));
});

test('a slot refusal says whether it was about size, and which limit', () => {
  const refusal = (inner: string) => parse(`<iq type='error' xmlns='jabber:client'><error type='modify'>
    <not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>${inner}</error></iq>`);
  assert.equal(fileTooLarge(refusal(`<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>716800</max-file-size></file-too-large>`)), 716800);
  assert.equal(fileTooLarge(refusal(`<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>lots</max-file-size></file-too-large>`)), null);
  assert.equal(fileTooLarge(refusal(`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>File type not allowed</text>`)), undefined);
  assert.equal(fileTooLarge(undefined), undefined);
});
