/**
 * burst: a stranger sends 1,000 markable messages with receipt requests as fast as its socket allows, to an account
 * with the conversation open in two tabs that mark what they render (issue 15 item 2: PostgreSQL deadlocked in
 * MessageStore.markDisplayedUpTo). Real Prosody, real PostgreSQL, two socket.io tabs of one account.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, type TestTab } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { MessagesStore } from '../../client/state/messages.js';
import { ReadMarker } from '../../client/state/read-marker.js';
import type { MessageDTO } from '../../server/realtime/contract.js';

const COUNT = 1000;
const MARKERS = 'urn:xmpp:chat-markers:0';

let stack: TestStack;
const logLines: { level: number; msg?: string; err?: { message?: string } }[] = [];
const cleanup: (() => unknown)[] = [];

before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  stack = await TestStack.start({ log: pino({ level: 'warn' }, sink) });
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
  await stack?.close();
});

/**
 * A tab with the conversation open, as client/ui/conversation.ts behaves: it keeps the messages in the client's own
 * store and, after each render (batched per event burst), shows the newest incoming message to the client's own
 * ReadMarker, which paces the markDisplayed commands.
 */
function openConversation(tab: TestTab, peer: string) {
  const store = new MessagesStore();
  const failures: string[] = [];
  let commands = 0;
  const marker = new ReadMarker((p, id) => {
    commands++;
    return tab.command('markDisplayed', { peer: p, id }, 30_000).catch((err: Error) => {
      failures.push(err.message);
      throw err;
    });
  });
  let rendering = false;
  tab.socket.on('message', ({ message }: { message: MessageDTO }) => {
    if (message.peer !== peer) return;
    store.upsert(message);
    if (rendering) return;
    rendering = true;
    queueMicrotask(() => {
      rendering = false;
      const newest = [...store.get(peer).messages].reverse().find((m) => m.direction === 'in');
      if (newest) marker.shown(peer, newest.id);
    });
  });
  return {
    store,
    failures,
    commands: () => commands,
    settled: () => marker.idle(peer) && marker.upTo(peer) === store.get(peer).messages.at(-1)?.id,
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a polled condition: the tabs' state has no event of its own
  }
}

test('burst: 1,000 markable messages, two tabs marking as they render: no deadlock, stored once, in order, one marker', async () => {
  const alice = await stack.loggedIn('burst-a');
  const secondTab = alice.openTab();
  await secondTab.waitFor('hello');
  const stranger = await stack.newUser('burst-s');
  const peer = await XmppPeer.login(stack.prosody, stranger.jid, stranger.password);
  cleanup.push(() => peer.stop());

  const tabs = [alice.tab, secondTab].map((tab) => openConversation(tab, stranger.jid));
  for (const tab of [alice.tab, secondTab]) await tab.command('history', { peer: stranger.jid, limit: 50 });

  const run = randomUUID().slice(0, 8);
  const ids = Array.from({ length: COUNT }, (_, i) => `${run}-${i}`);
  // As fast as the socket allows: every stanza written before the first is acknowledged.
  const started = performance.now();
  await Promise.all(
    ids.map((id, i) =>
      peer.conn.send(
        xml(
          'message',
          { to: alice.jid, type: 'chat', id },
          xml('body', {}, `burst ${i}`),
          xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }),
          xml('request', { xmlns: 'urn:xmpp:receipts' }),
          xml('markable', { xmlns: MARKERS }),
        ),
      ),
    ),
  );

  const lastId = ids.at(-1)!;
  const isDisplayed = (el: Element) => el.getChild('displayed', MARKERS) !== undefined;
  const lastMarker = await peer.waitForMessage((el) => el.getChild('displayed', MARKERS)?.attrs.id === lastId, 60_000).catch((err: Error) => {
    const shown = tabs.map((t) => t.store.get(stranger.jid).messages.length);
    const markers = peer.messages.filter(isDisplayed).map((el) => el.getChild('displayed', MARKERS)?.attrs.id);
    const reads = [alice.tab, secondTab].map((tab) => tab.events.filter((e) => e.name === 'read').map((e) => (e.payload as { upTo: string }).upTo).join(','));
    const newest = tabs.map((t) => t.store.get(stranger.jid).messages.at(-1)?.id);
    throw new Error(`${err.message}; reads ${reads} newest ${newest} settled ${tabs.map((t) => t.settled())} failures ${JSON.stringify(tabs.map((t) => t.failures))} commands ${tabs.map((t) => t.commands())}; tabs show ${shown}, markers ${JSON.stringify(markers)}, log ${JSON.stringify(logLines).slice(0, 2000)}`);
  });
  const markerAfterMs = performance.now() - started;
  await until(() => tabs.every((t) => t.settled()), 'both tabs marked the newest message');

  // Nothing failed, nothing deadlocked.
  assert.deepEqual(tabs.flatMap((t) => t.failures), []);
  const bad = logLines.filter((l) => l.level >= 50 || JSON.stringify(l).includes('deadlock'));
  assert.deepEqual(bad, [], 'no error and no deadlock in the log');

  // Every message stored exactly once.
  const rows = await stack.parley.stores.messages.page(alice.accountId, stranger.jid, { limit: COUNT + 10 });
  assert.equal(rows.length, COUNT);
  assert.equal(new Set(rows.map((r) => r.body)).size, COUNT, 'no message stored twice');
  assert.ok(rows.every((r) => r.state === 'displayed'), 'every message is read');

  // Shown in both tabs, once each, in the order sent.
  const expected = ids.map((_, i) => `burst ${i}`);
  for (const t of tabs) assert.deepEqual(t.store.get(stranger.jid).messages.map((m) => m.body), expected);

  // The same read state in both tabs: the last 'read' each heard names the newest message.
  const newestId = tabs[0]!.store.get(stranger.jid).messages.at(-1)!.id;
  for (const tab of [alice.tab, secondTab]) {
    const reads = tab.events.filter((e) => e.name === 'read' && (e.payload as { peer: string }).peer === stranger.jid);
    assert.equal((reads.at(-1)?.payload as { upTo: string } | undefined)?.upTo, newestId);
  }
  const fresh = alice.openTab();
  assert.equal((await fresh.waitFor('hello')).conversations.find((c) => c.peer === stranger.jid)?.unread, 0);

  // Markers are cumulative (XEP-0333): a few, coalesced (how many depends on how fast the tabs render on a loaded
  // machine), never one per message, each for a later message than the one before, the last for the newest.
  const markers = peer.messages.filter(isDisplayed).map((el) => el.getChild('displayed', MARKERS)!.attrs.id as string);
  assert.ok(markers.length <= 10, `${markers.length} displayed markers for ${COUNT} messages`);
  const positions = markers.map((id) => ids.indexOf(id));
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'each marker is for a later message');
  assert.equal(new Set(markers).size, markers.length, 'no marker sent twice');
  assert.equal(markers.at(-1), lastId);
  assert.equal(peer.messages.filter(isDisplayed).at(-1), lastMarker);
  // Receipts: one per message (XEP-0184), answered as they were stored.
  await until(() => peer.messages.filter((el) => el.getChild('received', 'urn:xmpp:receipts')).length >= COUNT, 'every receipt arrived');
  assert.equal(peer.messages.filter((el) => el.getChild('received', 'urn:xmpp:receipts')).length, COUNT);
  // Both tabs sent a few commands each, far fewer than one per message.
  console.log(`# ${COUNT} messages: marker for the last after ${Math.round(markerAfterMs)} ms; markDisplayed commands: ${tabs.map((t) => t.commands()).join(' + ')}`);
});
