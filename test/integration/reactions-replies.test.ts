/**
 * Reactions (XEP-0444) and replies (XEP-0461 + XEP-0428) through Parley against a real XMPP server, with a plain
 * XMPP client as the contact and as the account's other client: live, via carbons and from the archive; hostile
 * reactions (spoofed, unknown target, floods) leave nothing behind.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import type { MessageDTO, ReactionsDTO } from '../../server/realtime/contract.js';

const NS_REACTIONS = 'urn:xmpp:reactions:0';
const reaction = (to: string, target: string, emojis: string[]): Element =>
  xml('message', { to, type: 'chat', id: randomUUID() }, xml('reactions', { xmlns: NS_REACTIONS, id: target }, ...emojis.map((e) => xml('reaction', {}, e))), xml('store', { xmlns: 'urn:xmpp:hints' }));
const replyExtra = (to: string, id: string, end: number): Element[] => [
  xml('reply', { xmlns: 'urn:xmpp:reply:0', to, id }),
  xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:reply:0' }, xml('body', { start: '0', end: String(end) })),
];
const summary = (r: ReactionsDTO | undefined) => (r?.reactions ?? []).map((x) => `${x.emoji}:${x.from.join(',')}`);

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  const cleanup: (() => unknown)[] = [];

  before(async () => {
    stack = await TestStack.start({ server: kind });
  });
  after(async () => {
    for (const c of cleanup.reverse()) await c();
    await stack?.close();
  });

  async function peer(jid: string, password: string, resource?: string) {
    const p = await XmppPeer.login(stack.server, jid, password, resource);
    cleanup.push(() => p.stop());
    return p;
  }

  /** The contact sends a message; returns its stanza id and the row the tab got. */
  async function incoming(tab: TestTab, from: XmppPeer, to: string, body: string): Promise<{ id: string; row: MessageDTO }> {
    const id = await from.sendChat(to, body);
    const { message } = await tab.waitFor('message', (e) => e.message.body === body);
    return { id, row: message };
  }

  test('a contact reacts live: each reaction stanza replaces its whole set; history pages carry it', async () => {
    const alice = await stack.loggedIn('react-a');
    const bob = await stack.newUser('react-b');
    const bobClient = await peer(bob.jid, bob.password);
    const { id, row } = await incoming(alice.tab, bobClient, alice.jid, `react to me ${randomUUID()}`);
    // Our disco#info says we understand reactions and replies (XEP-0444 §2, XEP-0461 §2).
    const parleyJid = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!.conn.jid;
    const info = await bobClient.conn.iq(xml('iq', { type: 'get', to: parleyJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const vars = (info.getChild('query')?.getChildren('feature') ?? []).map((f) => String(f.attrs.var));
    for (const ns of [NS_REACTIONS, 'urn:xmpp:reply:0', 'urn:xmpp:fallback:0', 'urn:xmpp:styling:0']) assert.ok(vars.includes(ns), ns);

    await bobClient.sendRaw(reaction(alice.jid, id, ['👍', '🎉']));
    const first = await alice.tab.waitFor('reactions', (e) => e.id === row.id && e.reactions.length === 2);
    assert.deepEqual(summary(first), [`👍:${bob.jid}`, `🎉:${bob.jid}`]);
    await bobClient.sendRaw(reaction(alice.jid, id, ['🎉']));
    await alice.tab.waitFor('reactions', (e) => e.id === row.id && e.reactions.length === 1);

    const page = await alice.tab.command('history', { peer: bob.jid, limit: 10 });
    assert.deepEqual(summary(page.reactions?.find((r) => r.id === row.id)), [`🎉:${bob.jid}`]);

    // Taking every reaction back.
    await bobClient.sendRaw(reaction(alice.jid, id, []));
    await alice.tab.waitFor('reactions', (e) => e.id === row.id && e.reactions.length === 0);
    assert.equal((await alice.tab.command('history', { peer: bob.jid, limit: 10 })).reactions?.length, 0);
  });

  test('our reactions reach the contact and every tab; toggling sends the whole new set', async () => {
    const alice = await stack.loggedIn('react-out-a');
    const second = alice.openTab();
    await second.waitFor('hello');
    const bob = await stack.newUser('react-out-b');
    const bobClient = await peer(bob.jid, bob.password);
    const { id, row } = await incoming(alice.tab, bobClient, alice.jid, `like this ${randomUUID()}`);

    const answer = await alice.tab.command('react', { peer: bob.jid, id: row.id, emojis: ['❤️'] });
    assert.deepEqual(summary(answer), [`❤️:${alice.jid}`]);
    await second.waitFor('reactions', (e) => e.id === row.id && summary(e).join() === `❤️:${alice.jid}`);
    const atBob = await bobClient.waitForMessage((el) => el.getChild('reactions', NS_REACTIONS)?.attrs.id === id);
    assert.deepEqual(atBob.getChild('reactions', NS_REACTIONS)!.getChildren('reaction').map((r) => r.text()), ['❤️']);
    assert.ok(atBob.getChild('store', 'urn:xmpp:hints'), 'store hint: reaction stanzas have no body');

    await alice.tab.command('react', { peer: bob.jid, id: row.id, emojis: [] });
    const withdrawn = await bobClient.waitForMessage((el) => el.getChild('reactions', NS_REACTIONS)?.attrs.id === id && el.getChild('reactions', NS_REACTIONS)!.getChildren('reaction').length === 0);
    assert.ok(withdrawn);
    // Text that is not one emoji is refused before anything is sent.
    const refused = await alice.tab.rawCommand('react', { peer: bob.jid, id: row.id, emojis: ['<b>hi</b>'] });
    assert.equal(refused.ok, false);
  });

  test("reactions from the account's other client arrive as carbons and count as ours", async () => {
    const alice = await stack.loggedIn('react-carbon-a');
    const bob = await stack.newUser('react-carbon-b');
    const phone = await peer(alice.jid, alice.password, 'phone');
    await phone.enableCarbons();
    const bobClient = await peer(bob.jid, bob.password);
    const { id, row } = await incoming(alice.tab, bobClient, alice.jid, `carbon target ${randomUUID()}`);
    await phone.sendRaw(reaction(bob.jid, id, ['👀']));
    const e = await alice.tab.waitFor('reactions', (r) => r.id === row.id && r.reactions.length > 0);
    assert.deepEqual(summary(e), [`👀:${alice.jid}`]);
    // Bob's own reaction keeps ours: each reactor has a set of its own.
    await bobClient.sendRaw(reaction(alice.jid, id, ['👀']));
    await alice.tab.waitFor('reactions', (r) => r.id === row.id && summary(r).join() === `👀:${alice.jid},${bob.jid}`);
  });

  test('spoofed and unknown-target reactions are ignored; a flood ends on its last set', async () => {
    const alice = await stack.loggedIn('react-evil-a');
    const bob = await stack.newUser('react-evil-b');
    const mallory = await stack.newUser('react-evil-m');
    const bobClient = await peer(bob.jid, bob.password);
    const evil = await peer(mallory.jid, mallory.password);
    const { id, row } = await incoming(alice.tab, bobClient, alice.jid, `target ${randomUUID()}`);

    // Mallory names Bob's message id: it is not in Mallory's conversation with Alice.
    await evil.sendRaw(reaction(alice.jid, id, ['💩']));
    // A forged "from": Prosody overwrites it (Mallory still reacts as Mallory), ejabberd ends that stream (invalid-from).
    const forger = await XmppPeer.login(stack.server, mallory.jid, mallory.password, 'forger');
    await forger.conn.send(xml('message', { to: alice.jid, from: `${bob.jid}/x`, type: 'chat', id: randomUUID() }, xml('reactions', { xmlns: NS_REACTIONS, id }, xml('reaction', {}, '💩')))).catch(() => undefined);
    cleanup.push(() => forger.stop().catch(() => undefined));
    await bobClient.sendRaw(reaction(alice.jid, 'no-such-message', ['👍']));
    // A reaction stanza with a body is still only a reaction.
    await bobClient.sendRaw(xml('message', { to: alice.jid, type: 'chat', id: randomUUID() }, xml('body', {}, 'fallback body'), xml('reactions', { xmlns: NS_REACTIONS, id }, xml('reaction', {}, '😀'))));
    await alice.tab.waitFor('reactions', (e) => e.id === row.id && summary(e).join() === `😀:${bob.jid}`);

    const N = 300;
    const emoji = ['👍', '🎉', '😂', '🔥'];
    for (let i = 0; i < N; i++) void bobClient.conn.send(reaction(alice.jid, id, [emoji[i % 4]!, ...Array.from({ length: 30 }, (_, k) => String.fromCodePoint(0x1f600 + k))]));
    const last = [emoji[(N - 1) % 4]!, ...Array.from({ length: 19 }, (_, k) => String.fromCodePoint(0x1f600 + k))];
    const final = await alice.tab.waitFor('reactions', (e) => e.id === row.id && summary(e).join() === last.map((x) => `${x}:${bob.jid}`).join(), 60_000);
    assert.equal(final.reactions.length, 20, 'at most 20 distinct reactions per reactor');
    // A marker message: everything before it has been handled.
    await incoming(alice.tab, evil, alice.jid, `after ${randomUUID()}`);
    assert.equal(alice.tab.events.some((e) => JSON.stringify(e.payload).includes('💩')), false);
    assert.equal(alice.tab.events.some((e) => e.name === 'message' && JSON.stringify(e.payload).includes('fallback body')), false);
    const stored = await stack.parley.stores.reactions.forMessages([row.id]);
    assert.deepEqual(stored.map((r) => r.reactor), [bob.jid]);
  });

  test('a reply is stored with its target and fallback range; ours carries reply, fallback and quote', async () => {
    const alice = await stack.loggedIn('reply-a');
    const bob = await stack.newUser('reply-b');
    const bobClient = await peer(bob.jid, bob.password);
    const sent = await alice.tab.command('send', { to: bob.jid, body: 'Shall we bake a 🎂?', originId: randomUUID() });
    const original = await bobClient.waitForMessage((el) => el.getChildText('body') === 'Shall we bake a 🎂?');

    const quote = '> Shall we bake a 🎂?\n';
    const quoteLength = [...quote].length;
    await bobClient.sendChat(alice.jid, `${quote}Yes!`, { extra: replyExtra(`${alice.jid}/parley`, String(original.attrs.id), quoteLength) });
    const { message } = await alice.tab.waitFor('message', (e) => e.message.body?.endsWith('Yes!') === true);
    assert.deepEqual(message.reply, { id: sent.message.originId, to: `${alice.jid}/parley`, fallback: { start: 0, end: quoteLength } });

    // Our reply to Bob's message.
    const ourQuote = '> Yes!\n';
    await alice.tab.command('send', { to: bob.jid, body: `${ourQuote}Great`, originId: randomUUID(), replyTo: { id: message.id, fallbackLength: [...ourQuote].length } });
    const atBob = await bobClient.waitForMessage((el) => el.getChildText('body') === `${ourQuote}Great`);
    const reply = atBob.getChild('reply', 'urn:xmpp:reply:0')!;
    assert.equal(reply.attrs.id, message.messageId ?? message.originId);
    assert.equal(reply.attrs.to, message.from);
    const fb = atBob.getChild('fallback', 'urn:xmpp:fallback:0')!;
    assert.equal(fb.attrs.for, 'urn:xmpp:reply:0');
    assert.deepEqual(fb.getChild('body')!.attrs, { start: '0', end: String([...ourQuote].length) });
    // A reply to a message of another conversation is refused.
    const other = await alice.tab.rawCommand('send', { to: 'nobody@' + stack.server.domain, body: '> x\ny', originId: randomUUID(), replyTo: { id: message.id, fallbackLength: 4 } });
    assert.equal(other.ok, false);
  });

  test('reactions and replies that reached only another client come from the archive, applied the same way', async () => {
    const alice = await stack.newUser('mam-rr-a');
    const bob = await stack.newUser('mam-rr-b');
    const phone = await peer(alice.jid, alice.password, 'phone');
    const bobClient = await peer(bob.jid, bob.password);
    const body = `archived target ${randomUUID()}`;
    const id = await bobClient.sendChat(alice.jid, body);
    await bobClient.sendRaw(reaction(alice.jid, id, ['👍']));
    await bobClient.sendRaw(reaction(alice.jid, id, ['🔥', '👍']));
    await bobClient.sendChat(alice.jid, `> ${body}\nreply from the archive`, { extra: replyExtra(alice.jid, id, [...`> ${body}\n`].length) });
    await phone.waitForMessage((el) => el.getChildText('body')?.endsWith('reply from the archive') === true);

    const browser = new HttpBrowser(stack.url);
    assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
    const tab = browser.tab();
    cleanup.push(() => tab.close());
    await tab.waitFor('hello');
    const session = stack.parley.sessions.sessions().find((s) => s.jid === alice.jid)!;
    await session.archive.catchUp();
    const page = await tab.command('history', { peer: bob.jid, limit: 10 });
    const target = page.messages.find((m) => m.body === body)!;
    const replyRow = page.messages.find((m) => m.body?.endsWith('reply from the archive'))!;
    assert.deepEqual(summary(page.reactions?.find((r) => r.id === target.id)), [`🔥:${bob.jid}`, `👍:${bob.jid}`]);
    assert.equal(replyRow.reply?.id, id);
    assert.equal(page.messages.length, 2, 'reaction stanzas are not messages');

    // Again (a reconnect's catch-up): nothing changes, nothing doubles.
    await session.archive.catchUp();
    const again = await tab.command('history', { peer: bob.jid, limit: 10 });
    assert.equal(again.messages.length, 2);
    assert.deepEqual(summary(again.reactions?.find((r) => r.id === target.id)), [`🔥:${bob.jid}`, `👍:${bob.jid}`]);
  });
});
