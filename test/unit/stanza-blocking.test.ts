import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import {
  BLOCKLIST_MAX, buildBlock, buildBlocklistGet, buildUnblock, matchesBlocklist, parseBlockingPush, parseBlocklistResult, parseItems,
} from '../../server/stanza/blocking.js';

const ME = 'alice@example.org';

test('blocklist get, block and unblock (XEP-0191 §3.2–3.5) are built as the XEP shows', () => {
  assert.equal(buildBlocklistGet().toString(), '<iq type="get"><blocklist xmlns="urn:xmpp:blocking"/></iq>');
  assert.equal(
    buildBlock(['Romeo@Montague.net', 'romeo@montague.net', 'spam.example/bot']).toString(),
    '<iq type="set"><block xmlns="urn:xmpp:blocking"><item jid="romeo@montague.net"/><item jid="spam.example/bot"/></block></iq>',
  );
  assert.equal(buildUnblock(['romeo@montague.net']).toString(), '<iq type="set"><unblock xmlns="urn:xmpp:blocking"><item jid="romeo@montague.net"/></unblock></iq>');
  assert.equal(buildUnblock('all').toString(), '<iq type="set"><unblock xmlns="urn:xmpp:blocking"/></iq>');
});

test('building refuses what is not a JID, an empty block, and more than the cap', () => {
  assert.throws(() => buildBlock([]), TypeError);
  assert.throws(() => buildUnblock([]), TypeError, 'an empty list is not "everyone": that needs all');
  assert.throws(() => buildBlock(['not a jid']), TypeError);
  assert.throws(() => buildBlock(['@example.org']), TypeError);
  assert.throws(() => buildBlock([`${'a'.repeat(100_000)}@example.org`]), TypeError);
  assert.throws(() => buildBlock(Array.from({ length: BLOCKLIST_MAX + 1 }, (_, i) => `u${i}@example.org`)), TypeError);
});

test('a blocklist result: JIDs normalised, bad items dropped, duplicates once', () => {
  const r = parseBlocklistResult(parse(`<iq type='result' id='b1'><blocklist xmlns='urn:xmpp:blocking'>
    <item jid='Romeo@Montague.NET'/><item jid='iago@shakespeare.lit/Home'/><item jid='romeo@montague.net'/>
    <item jid='spam.example'/><item jid='not a jid'/><item/><item jid='${'x'.repeat(100_000)}@example.org'/>
  </blocklist></iq>`));
  assert.deepEqual(r, { jids: ['romeo@montague.net', 'iago@shakespeare.lit/Home', 'spam.example'], truncated: false });
  assert.deepEqual(parseBlocklistResult(parse(`<iq type='result' id='b1'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)), { jids: [], truncated: false });
  assert.equal(parseBlocklistResult(parse(`<iq type='result' id='b1'/>`)), null, 'no blocklist element at all');
  assert.equal(parseBlocklistResult(parse(`<iq type='result' id='b1'><blocklist xmlns='urn:xmpp:other'/></iq>`)), null, 'wrong namespace');
});

test('a blocklist of 20,000 items is cut at 10,000 and says so', () => {
  const items = Array.from({ length: 20_000 }, (_, i) => `<item jid='u${i}@example.org'/>`).join('');
  const r = parseItems(parse(`<blocklist xmlns='urn:xmpp:blocking'>${items}</blocklist>`));
  assert.equal(r.jids.length, BLOCKLIST_MAX);
  assert.equal(r.truncated, true);
});

test('pushes from our own bare JID or without from are applied: block, unblock, unblock all', () => {
  assert.deepEqual(
    parseBlockingPush(parse(`<iq type='set' id='p1'><block xmlns='urn:xmpp:blocking'><item jid='Romeo@Montague.net'/></block></iq>`), ME),
    { kind: 'block', jids: ['romeo@montague.net'] },
  );
  assert.deepEqual(
    parseBlockingPush(parse(`<iq type='set' id='p2' from='Alice@Example.org' to='alice@example.org/parley'><unblock xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></unblock></iq>`), ME),
    { kind: 'unblock', jids: ['romeo@montague.net'] },
  );
  assert.deepEqual(parseBlockingPush(parse(`<iq type='set' id='p3'><unblock xmlns='urn:xmpp:blocking'/></iq>`), ME), { kind: 'unblock-all' });
});

test('hostile pushes: a stranger, our domain, another resource of ours, missing or bad items, both at once', () => {
  const stranger = parseBlockingPush(parse(`<iq type='set' id='e1' from='mallory@evil.example'><unblock xmlns='urn:xmpp:blocking'/></iq>`), ME);
  assert.deepEqual(stranger, { kind: 'foreign', from: 'mallory@evil.example' });
  assert.equal(parseBlockingPush(parse(`<iq type='set' id='e2' from='example.org'><block xmlns='urn:xmpp:blocking'><item jid='x@y'/></block></iq>`), ME)?.kind, 'foreign');
  assert.equal(parseBlockingPush(parse(`<iq type='set' id='e3' from='alice@example.org/other'><block xmlns='urn:xmpp:blocking'><item jid='x@y'/></block></iq>`), ME)?.kind, 'foreign');
  const long = parseBlockingPush(parse(`<iq type='set' id='e4' from='${'m'.repeat(100_000)}@evil.example'><block xmlns='urn:xmpp:blocking'><item jid='x@y'/></block></iq>`), ME);
  assert.equal(long?.kind, 'foreign');
  assert.ok(long?.kind === 'foreign' && long.from.length <= 3071, 'what is logged of it is bounded');
  assert.deepEqual(parseBlockingPush(parse(`<iq type='set' id='e5'><block xmlns='urn:xmpp:blocking'/></iq>`), ME), { kind: 'invalid', reason: 'a block without a valid item' });
  assert.equal(parseBlockingPush(parse(`<iq type='set' id='e6'><block xmlns='urn:xmpp:blocking'><item jid='${'j'.repeat(100_000)}@example.org'/></block></iq>`), ME)?.kind, 'invalid', 'a 100,000-character JID is no item');
  assert.equal(parseBlockingPush(parse(`<iq type='set' id='e7'><unblock xmlns='urn:xmpp:blocking'><item jid='not a jid'/></unblock></iq>`), ME)?.kind, 'invalid', 'a bad item does not turn into "unblock everyone"');
  assert.equal(parseBlockingPush(parse(`<iq type='set' id='e8'><block xmlns='urn:xmpp:blocking'><item jid='a@b'/></block><unblock xmlns='urn:xmpp:blocking'/></iq>`), ME)?.kind, 'invalid');
  assert.equal(parseBlockingPush(parse(`<iq type='get' id='e9'><block xmlns='urn:xmpp:blocking'><item jid='a@b'/></block></iq>`), ME), null, 'not a set');
  assert.equal(parseBlockingPush(parse(`<iq type='set' id='e10'><block xmlns='urn:xmpp:other'><item jid='a@b'/></block></iq>`), ME), null, 'another namespace');
});

test('matching: the bare JID or its whole domain', () => {
  const list = new Set(['romeo@montague.net', 'spam.example', 'iago@shakespeare.lit/Home']);
  assert.equal(matchesBlocklist(list, 'romeo@montague.net'), true);
  assert.equal(matchesBlocklist(list, 'anyone@spam.example'), true);
  assert.equal(matchesBlocklist(list, 'juliet@capulet.net'), false);
  assert.equal(matchesBlocklist(list, 'iago@shakespeare.lit'), false, 'a full-JID block is that resource only');
});
