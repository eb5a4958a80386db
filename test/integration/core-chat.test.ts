/**
 * Chat between two accounts through Parley, many tabs of one account on one XMPP connection,
 * history paging, and isolation between accounts.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';

for (const kind of testServers()) describe(serverLabel(kind), () => {
  let stack: TestStack;
  const tabs: TestTab[] = [];

  before(async () => {
    stack = await TestStack.start({ server: kind });
  });
  after(async () => {
    for (const t of tabs) t.close();
    await stack?.close();
  });

  test('two accounts exchange messages both ways, live, and both histories hold them', async () => {
    const alice = await stack.loggedIn('alice');
    const bob = await stack.loggedIn('bob');

    const sent = await alice.tab.command('send', { to: bob.jid, body: 'Hello Bob <b>!</b>', originId: randomUUID() });
    assert.equal(sent.message.direction, 'out');
    const atBob = await bob.tab.waitFor('message', (e) => e.message.body === 'Hello Bob <b>!</b>');
    assert.equal(atBob.message.direction, 'in');
    assert.equal(atBob.message.peer, alice.jid);
    // The server's ack (sent) and Bob's receipt (delivered) race; states only move forward.
    await alice.tab.waitFor('message', (e) => e.message.id === sent.message.id && ['sent', 'delivered'].includes(e.message.state));

    await bob.tab.command('send', { to: alice.jid, body: 'Hi Alice', originId: randomUUID() });
    const atAlice = await alice.tab.waitFor('message', (e) => e.message.body === 'Hi Alice' && e.message.direction === 'in');
    assert.equal(atAlice.message.peer, bob.jid);

    const aliceHistory = await alice.tab.command('history', { peer: bob.jid, limit: 10 });
    assert.deepEqual(aliceHistory.messages.map((m) => m.body), ['Hi Alice', 'Hello Bob <b>!</b>']);
    const bobHistory = await bob.tab.command('history', { peer: alice.jid, limit: 10 });
    assert.deepEqual(bobHistory.messages.map((m) => [m.direction, m.body]), [['out', 'Hi Alice'], ['in', 'Hello Bob <b>!</b>']]);
  });

  test('a retried send with the same origin-id is stored and sent once', async () => {
    const alice = await stack.loggedIn('retry');
    const bob = await stack.loggedIn('retrypeer');
    const originId = randomUUID();
    const [a, b] = await Promise.all([
      alice.tab.command('send', { to: bob.jid, body: 'once', originId }),
      alice.tab.command('send', { to: bob.jid, body: 'once', originId }),
    ]);
    assert.equal(a.message.id, b.message.id);
    await bob.tab.waitFor('message', (e) => e.message.body === 'once');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bob.tab.events.filter((e) => e.name === 'message').length, 1);
  });

  test('ten tabs in two browsers share ONE XMPP connection and all see the same messages live', async () => {
    const user = await stack.newUser('multi');
    const peer = await stack.loggedIn('multipeer');
    const browsers = [new HttpBrowser(stack.url), new HttpBrowser(stack.url)];
    for (const b of browsers) assert.equal((await b.login(user.jid, user.password)).status, 303);
    const many: TestTab[] = [];
    for (let i = 0; i < 10; i++) many.push(browsers[i % 2]!.tab());
    tabs.push(...many);
    await Promise.all(many.map((t) => t.waitFor('hello')));
    assert.equal(await stack.server.c2sSessionCount(user.jid), 1, 'Prosody must see exactly one c2s session');
    assert.equal(stack.parley.sessions.size >= 1, true);

    const body = `from tab 0 ${randomUUID()}`;
    await many[0]!.command('send', { to: peer.jid, body, originId: randomUUID() });
    await Promise.all(many.map((t) => t.waitFor('message', (e) => e.message.body === body)));
    const reply = `reply ${randomUUID()}`;
    await peer.tab.command('send', { to: user.jid, body: reply, originId: randomUUID() });
    await Promise.all(many.map((t) => t.waitFor('message', (e) => e.message.body === reply && e.message.direction === 'in')));
  });

  test('history pages newest first with a stable cursor', async () => {
    const alice = await stack.loggedIn('pager');
    const bob = await stack.loggedIn('pagerpeer');
    const total = 120;
    // Three tabs share the sending: each socket is rate-limited (bursts of 60), the account is not.
    const senders = [alice.tab, alice.openTab(), alice.openTab()];
    for (let i = 0; i < total; i++) await senders[i % 3]!.command('send', { to: bob.jid, body: `m${i}`, originId: randomUUID() });
    const seen: string[] = [];
    let before: { stamp: string; id: string } | undefined;
    for (;;) {
      const page = await alice.tab.command('history', { peer: bob.jid, limit: 50, before });
      seen.push(...page.messages.map((m) => m.body!));
      if (!page.hasMore) break;
      const oldest = page.messages.at(-1)!;
      before = { stamp: oldest.stamp, id: oldest.id };
    }
    assert.equal(seen.length, total);
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => `m${total - 1 - i}`));
  });

  test('a tab of one account never receives or reaches anything of another account', async () => {
    const alice = await stack.loggedIn('iso-a');
    const bob = await stack.loggedIn('iso-b');
    const carol = await stack.loggedIn('iso-c');
    await bob.tab.command('send', { to: carol.jid, body: 'secret for carol', originId: randomUUID() });
    await carol.tab.waitFor('message', (e) => e.message.body === 'secret for carol');
    // Alice asks for the bob<->carol conversation: she only ever sees her own conversations.
    const page = await alice.tab.command('history', { peer: carol.jid, limit: 50 });
    assert.equal(page.messages.length, 0);
    assert.equal(alice.tab.events.some((e) => JSON.stringify(e.payload).includes('secret for carol')), false);
  });

  test('a socket from a foreign Origin or without a session is refused', async () => {
    const alice = await stack.loggedIn('origin');
    const foreign = alice.browser.tab('https://evil.example');
    tabs.push(foreign);
    const err = await new Promise<Error>((resolve) => foreign.socket.on('connect_error', resolve));
    assert.ok(err);
    assert.equal(foreign.socket.connected, false);

    const anonymous = new HttpBrowser(stack.url).tab();
    tabs.push(anonymous);
    const out = await anonymous.waitFor('logout');
    assert.equal(out.reason, 'not-logged-in');
  });

  test('bad commands get clear errors and change nothing', async () => {
    const alice = await stack.loggedIn('badcmd');
    const r1 = await alice.tab.rawCommand('send', { to: 'not a jid', body: 'x', originId: randomUUID() });
    assert.equal(r1.ok, false);
    assert.match(r1.error!, /bare JID/);
    const r2 = await alice.tab.rawCommand('send', { to: 'x@y.z', body: 'a'.repeat(10_001), originId: randomUUID() });
    assert.equal(r2.ok, false);
    const r3 = await alice.tab.rawCommand('send', { to: 'x@y.z', encrypted: '<script>alert(1)</script>', originId: randomUUID() });
    assert.equal(r3.ok, false);
    assert.match(r3.error!, /encrypted/);
    const r4 = await alice.tab.rawCommand('history', null);
    assert.equal(r4.ok, false);
    const page = await alice.tab.command('history', { peer: 'x@y.z', limit: 10 });
    assert.equal(page.messages.length, 0);
  });

  test('a flooding socket is slowed down with a clear error, and recovers', async () => {
    const alice = await stack.loggedIn('flood');
    const results = await Promise.all(Array.from({ length: 100 }, () => alice.tab.rawCommand('history', { peer: 'x@y.z', limit: 1 })));
    const refused = results.filter((r) => !r.ok);
    assert.ok(refused.length >= 30, `only ${refused.length} of 100 refused`);
    assert.match(refused[0]!.error!, /Too many requests/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await alice.tab.rawCommand('history', { peer: 'x@y.z', limit: 1 })).ok, true);
  });
});
