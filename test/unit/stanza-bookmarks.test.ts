import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { parseItems, parseEvent } from '../../server/stanza/pubsub.js';
import {
  buildBookmark2Publish, buildBookmark2Retract, buildBookmarks2Get, buildPrivateBookmarksGet, buildPrivateBookmarksSet, parseBookmarks2,
  parseBookmarks2Retractions, parsePrivateBookmarks, MAX_BOOKMARKS,
} from '../../server/stanza/bookmarks.js';

const el = (s: string) => parse(s) as unknown as Element;

test('XEP-0402 items are read: name, autojoin, nick, password; extensions kept as they came', () => {
  const result = el(`<iq type='result' to='juliet@capulet.lit/balcony' id='retrieve1'>
    <pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'>
      <item id='theplay@conference.shakespeare.lit'>
        <conference xmlns='urn:xmpp:bookmarks:1' name='The Play&apos;s the Thing' autojoin='true'><nick>JC</nick>
          <extensions><state xmlns='http://myclient.example/bookmark/state' minimized='true'/></extensions></conference>
      </item>
      <item id='orchard@conference.shakespeare.lit'>
        <conference xmlns='urn:xmpp:bookmarks:1' name='The Orchard' autojoin='1'><password>secret</password></conference>
      </item>
      <item id='nothing@conference.shakespeare.lit'><conference xmlns='urn:xmpp:bookmarks:1'/></item>
    </items></pubsub></iq>`);
  const b = parseBookmarks2(parseItems(result));
  assert.deepEqual(b, [
    { room: 'theplay@conference.shakespeare.lit', name: "The Play's the Thing", autojoin: true, nick: 'JC', password: null,
      extensions: '<extensions><state xmlns="http://myclient.example/bookmark/state" minimized="true"/></extensions>' },
    { room: 'orchard@conference.shakespeare.lit', name: 'The Orchard', autojoin: true, nick: null, password: 'secret', extensions: null },
    { room: 'nothing@conference.shakespeare.lit', name: null, autojoin: false, nick: null, password: null, extensions: null },
  ]);
});

test('hostile items: a wrong payload, a non-room id, an empty nick, an oversized name, thousands of items → dropped or bounded', () => {
  const items = [
    { id: 'room@muc.example', payload: el(`<conference xmlns='urn:xmpp:bookmarks:0'/>`) },
    { id: 'muc.example', payload: el(`<conference xmlns='urn:xmpp:bookmarks:1'/>`) },
    { id: 'room@muc.example/nick', payload: el(`<conference xmlns='urn:xmpp:bookmarks:1'/>`) },
    { id: null, payload: el(`<conference xmlns='urn:xmpp:bookmarks:1'/>`) },
    { id: 'room@muc.example', payload: null },
    { id: 'ok@muc.example', payload: el(`<conference xmlns='urn:xmpp:bookmarks:1' name='${'n'.repeat(5000)}' autojoin='yes'><nick></nick></conference>`) },
  ];
  assert.deepEqual(parseBookmarks2(items), [{ room: 'ok@muc.example', name: null, autojoin: false, nick: null, password: null, extensions: null }]);
  const flood = Array.from({ length: MAX_BOOKMARKS + 500 }, (_, i) => ({ id: `r${i}@muc.example`, payload: el(`<conference xmlns='urn:xmpp:bookmarks:1'/>`) }));
  assert.equal(parseBookmarks2(flood).length, MAX_BOOKMARKS);
});

test('publish with the XEP-0402 §3.2 options (whitelist, max items); retract; get', () => {
  const publish = buildBookmark2Publish({
    room: 'theplay@conference.shakespeare.lit', name: 'The Play', autojoin: true, nick: 'JC', password: null,
    extensions: `<extensions><state xmlns='http://myclient.example/bookmark/state' minimized='true'/></extensions>`,
  });
  const s = publish.toString();
  assert.ok(s.includes('<publish node="urn:xmpp:bookmarks:1"><item id="theplay@conference.shakespeare.lit">' +
    '<conference xmlns="urn:xmpp:bookmarks:1" autojoin="true" name="The Play"><nick>JC</nick>' +
    '<extensions><state xmlns="http://myclient.example/bookmark/state" minimized="true"/></extensions></conference></item></publish>'), s);
  for (const [k, v] of [['pubsub#persist_items', 'true'], ['pubsub#max_items', 'max'], ['pubsub#send_last_published_item', 'never'], ['pubsub#access_model', 'whitelist']]) {
    assert.ok(s.includes(`<field var="${k}"><value>${v}</value></field>`), k);
  }
  // stored extensions that no longer parse are dropped, the bookmark still written
  assert.ok(!buildBookmark2Publish({ room: 'a@b.c', name: null, autojoin: false, nick: null, password: null, extensions: '<broken' }).toString().includes('broken'));
  assert.equal(buildBookmark2Retract('a@b.c').toString(),
    '<iq type="set"><pubsub xmlns="http://jabber.org/protocol/pubsub"><retract node="urn:xmpp:bookmarks:1" notify="true"><item id="a@b.c"/></retract></pubsub></iq>');
  assert.equal(buildBookmarks2Get('juliet@capulet.lit').toString(),
    '<iq type="get" to="juliet@capulet.lit"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1"/></pubsub></iq>');
});

test('PEP notifications from another client: added items and retractions', () => {
  const added = el(`<message from='juliet@capulet.lit' to='juliet@capulet.lit/balcony' type='headline'>
    <event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'>
      <item id='theplay@conference.shakespeare.lit'><conference xmlns='urn:xmpp:bookmarks:1' name='The Play' autojoin='true'><nick>JC</nick></conference></item>
    </items></event></message>`);
  assert.deepEqual(parseBookmarks2(parseEvent(added)!.items).map((b) => b.room), ['theplay@conference.shakespeare.lit']);
  const removed = el(`<message from='juliet@capulet.lit' type='headline'><event xmlns='http://jabber.org/protocol/pubsub#event'>
    <items node='urn:xmpp:bookmarks:1'><retract id='theplay@conference.shakespeare.lit'/><retract id='bad id'/></items></event></message>`);
  assert.deepEqual(parseBookmarks2Retractions(removed), ['theplay@conference.shakespeare.lit']);
  const other = el(`<message><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:other'><retract id='a@b.c'/></items></event></message>`);
  assert.deepEqual(parseBookmarks2Retractions(other), []);
});

test('XEP-0048 private storage: read conferences (urls kept apart), write the whole list back', () => {
  assert.equal(buildPrivateBookmarksGet().toString(), '<iq type="get"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>');
  const read = parsePrivateBookmarks(el(`<iq type='result'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>
    <conference name='Council of Oberon' autojoin='true' jid='council@conference.underhill.org'><nick>Puck</nick><password>titania</password></conference>
    <url name='Complete Works of Shakespeare' url='http://the-tech.mit.edu/Shakespeare/'/>
    <conference jid='not a room'/>
    <conference jid='Council@conference.underhill.org' name='dup'/>
  </storage></query></iq>`))!;
  assert.deepEqual(read.bookmarks, [{ room: 'council@conference.underhill.org', name: 'Council of Oberon', autojoin: true, nick: 'Puck', password: 'titania', extensions: null }]);
  assert.equal(read.others.length, 1);
  assert.equal(parsePrivateBookmarks(el(`<iq type='result'><query xmlns='jabber:iq:private'/></iq>`)), null);
  assert.equal(
    buildPrivateBookmarksSet([{ room: 'council@conference.underhill.org', name: 'Council of Oberon', autojoin: true, nick: 'Puck', password: 'titania', extensions: null }], read.others).toString(),
    '<iq type="set"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks">' +
      '<url name="Complete Works of Shakespeare" url="http://the-tech.mit.edu/Shakespeare/"/>' +
      '<conference jid="council@conference.underhill.org" autojoin="true" name="Council of Oberon"><nick>Puck</nick><password>titania</password></conference>' +
      '</storage></query></iq>',
  );
});

test('a name, nick or password XML cannot carry is left out of what we publish', () => {
  const s = buildBookmark2Publish({ room: 'a@b.c', name: 'x\u0000', autojoin: true, nick: 'n\u0001', password: '\udc00', extensions: null }).toString();
  assert.ok(s.includes('<conference xmlns="urn:xmpp:bookmarks:1" autojoin="true"/>'), s);
  const p = buildPrivateBookmarksSet([{ room: 'a@b.c', name: '\uffff', autojoin: false, nick: null, password: 'ok', extensions: null }]).toString();
  assert.ok(p.includes('<conference jid="a@b.c" autojoin="false"><password>ok</password></conference>'), p);
});
