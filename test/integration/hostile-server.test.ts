/**
 * Issue 13, item 2: an XMPP server that misbehaves (test/harness/hostile-xmpp.ts, a real TCP server) against a real
 * Parley with real Prosody accounts beside it. Each bound closes the stream with the RFC 6120 stream error, Parley
 * stays up, reconnects with a growing delay, and other accounts keep chatting.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TestStack, HttpBrowser, type LoggedIn, type TestTab } from '../harness/parley.js';
import { HostileXmppServer, type HostileSession } from '../harness/hostile-xmpp.js';
import { until } from '../harness/poll.js';

/** Past this, an oversized stanza ends the stream (below it, its content is dropped and the session goes on). */
const OVERSIZED_LIMIT = 1024 * 1024;
let stack: TestStack;
let hostile: HostileXmppServer;
let alice: LoggedIn;
let bob: LoggedIn;

before(async () => {
  hostile = await HostileXmppServer.start();
  stack = await TestStack.start({
    services: [hostile.service],
    // A low sustained rate: back-pressure paces a flood to what the database takes, which on a loaded machine may be
    // little more than the default 200/s, and the flood test must see the rate cut it whatever the machine's speed.
    // The burst (3000) leaves room for the back-pressure test's 2500 messages; the queue limit is low for that test.
    env: {
      PARLEY_LOGIN_ATTEMPTS: '1000',
      PARLEY_SOCKET_RATE: '10000',
      PARLEY_SOCKET_BURST: '10000',
      PARLEY_XMPP_INBOUND_QUEUE: '50',
      PARLEY_XMPP_STANZA_RATE: '20',
      PARLEY_XMPP_STANZA_BURST: '3000',
      PARLEY_XMPP_OVERSIZED_LIMIT: String(OVERSIZED_LIMIT),
    },
  });
  alice = await stack.loggedIn('alice');
  bob = await stack.loggedIn('bob');
});

after(async () => {
  await stack?.close();
  await hostile?.stop();
});

/** Logs `local`@hostile in through the form; resolves with the hostile server's side of its stream. */
async function hostileAccount(local: string): Promise<{ session: HostileSession; browser: HttpBrowser }> {
  const bare = `${local}@${hostile.domain}`;
  const browser = new HttpBrowser(stack.url);
  const res = await browser.login(bare, 'any-password');
  assert.equal(res.status, 303, res.html.slice(0, 300));
  return { session: await hostile.sessionOf(bare), browser };
}

async function closedWith(session: HostileSession): Promise<string[]> {
  await session.waitClosed();
  return session.streamErrors;
}

async function roundTrip(from: TestTab, to: TestTab, toJid: string): Promise<void> {
  const body = `rt ${randomUUID()}`;
  const arrived = to.waitFor('message', (e) => e.message.body === body, 20_000);
  await from.command('send', { to: toJid, body, originId: randomUUID() }, 20_000);
  await arrived;
}

async function parleyIsUp(): Promise<void> {
  const res = await fetch(`${stack.url}/healthz`);
  assert.equal(res.status, 200);
  await roundTrip(alice.tab, bob.tab, bob.jid);
}

test('a stanza over the stanza limit is dropped as a stub: the session stays, the next message is stored', async () => {
  const { session } = await hostileAccount('huge');
  await session.hugeElement(300 * 1024);
  await session.write(`<message type='chat' from='mallory@${hostile.domain}/x' to='${session.jid}' id='after-huge'><body>still here</body></message>`);
  const live = stack.parley.sessions.sessions().find((s) => s.jid === session.bare)!;
  await until(() => stack.parley.stores.messages.findByMessageId(live.accountId, `mallory@${hostile.domain}`, 'after-huge'), 'the message after the oversized one is stored', 20_000);
  assert.equal(await stack.parley.stores.messages.findByMessageId(live.accountId, `mallory@${hostile.domain}`, 'huge'), null);
  assert.deepEqual(session.streamErrors, []);
  assert.equal(session.closed, false);
});

test('a busy room: 6,000 occupant presences at once (over the stanza burst of 3,000) count against the room-presence bucket; the session stays', async () => {
  const { session } = await hostileAccount('busyroom');
  const room = `busy@rooms.${hostile.domain}`;
  for (let i = 0; i < 6000; i += 500) {
    let batch = '';
    for (let j = i; j < i + 500; j++) {
      batch += `<presence from='${room}/n${j}' to='${session.jid}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>`;
    }
    assert.ok(await session.write(batch), 'Parley kept reading');
  }
  await session.write(`<message type='chat' from='mallory@${hostile.domain}/x' to='${session.jid}' id='after-room'><body>still here</body></message>`);
  const live = stack.parley.sessions.sessions().find((s) => s.jid === session.bare)!;
  await until(() => stack.parley.stores.messages.findByMessageId(live.accountId, `mallory@${hostile.domain}`, 'after-room'), 'the message after the presences is stored', 30_000);
  assert.deepEqual(session.streamErrors, []);
  assert.equal(session.closed, false);
});

test('an element larger than the oversized limit: <policy-violation/>, nothing stored, Parley up, reconnect with a growing delay', async () => {
  const { session } = await hostileAccount('giant');
  await session.hugeElement(OVERSIZED_LIMIT + 512 * 1024);
  assert.deepEqual(await closedWith(session), ['policy-violation']);
  const live = stack.parley.sessions.sessions().find((s) => s.jid === session.bare)!;
  assert.equal(await stack.parley.stores.messages.findByMessageId(live.accountId, `mallory@${hostile.domain}`, 'huge'), null);
  await parleyIsUp();

  // The server does it again on every new stream: the delay before the next attempt keeps growing (no tight loop).
  let again = session;
  for (let i = 0; i < 2; i++) {
    again = await hostile.sessionOf(session.bare, { after: again });
    await again.hugeElement(OVERSIZED_LIMIT + 512 * 1024);
    await closedWith(again);
  }
  assert.ok(live.conn.backoffAttempts >= 3, `backoff attempts ${live.conn.backoffAttempts}`);
});

test('an element that never closes is cut at the limit, not buffered', async () => {
  const { session } = await hostileAccount('endless');
  // What the hostile side managed to write includes the kernel's socket buffers (several MiB on loopback).
  const sent = await session.neverClosing(64 * 2 ** 20, 64 * 1024);
  assert.ok(sent < 16 * 2 ** 20, `${sent} bytes of a never-closing element were taken before Parley closed`);
  assert.deepEqual(await closedWith(session), ['policy-violation']);
  await parleyIsUp();
});

test('deep nesting and too many attributes: <policy-violation/>; broken XML: <not-well-formed/>', async () => {
  const deep = (await hostileAccount('deep')).session;
  await deep.deepNesting(200);
  assert.deepEqual(await closedWith(deep), ['policy-violation']);

  const attrs = (await hostileAccount('attrs')).session;
  await attrs.manyAttributes(500);
  assert.deepEqual(await closedWith(attrs), ['policy-violation']);

  const broken = (await hostileAccount('broken')).session;
  await broken.write(`<message type='chat' from='m@${hostile.domain}/x'><body>x</wrong></message>`);
  assert.deepEqual(await closedWith(broken), ['not-well-formed']);
  await parleyIsUp();
});

test('flood: another account\'s tab-to-tab round trip keeps working while a hostile account is flooded; the flood is cut with <policy-violation/>', async () => {
  const { session } = await hostileAccount('flood');
  let flooding = true;
  const flood = session.flood(50_000).finally(() => (flooding = false));
  let trips = 0;
  while (flooding || trips < 5) {
    await roundTrip(alice.tab, bob.tab, bob.jid);
    trips++;
  }
  const written = await flood;
  assert.ok(written < 50_000, `all ${written} flood messages were taken`);
  assert.deepEqual(await closedWith(session), ['policy-violation']);
  await parleyIsUp();
});

test('back-pressure: past the inbound queue limit the socket is not read; nothing is dropped', async () => {
  const { session } = await hostileAccount('pressure');
  const live = stack.parley.sessions.sessions().find((s) => s.jid === session.bare)!;
  let most = 0;
  let paused = false;
  const watch = setInterval(() => {
    most = Math.max(most, live.inboundWaiting);
    paused ||= live.conn.readingPaused;
  }, 2);
  const n = 2500; // within the burst: this is about the queue, not the rate
  assert.equal(await session.flood(n, 100), n);
  // Wait until every message is stored (the condition), or give up after a minute.
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
  const stored = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM "Message" WHERE "accountId" = $1', [live.accountId])).rows[0]!.n);
  const t0 = Date.now();
  let count = 0;
  while ((count = await stored()) < n && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
  await pool.end();
  clearInterval(watch);
  assert.equal(count, n, 'a flood message was dropped');
  assert.ok(paused, 'the connection never stopped reading');
  // The limit (50) plus what one socket read already held.
  assert.ok(most < 50 + 700, `inbound queue grew to ${most}`);
  assert.equal(session.closed, false);
});

test('an archive page Parley asked for is no flood, even past the burst', async () => {
  hostile.archive = 4000; // more than PARLEY_XMPP_STANZA_BURST (3000) in one go
  const bare = `history@${hostile.domain}`;
  const browser = new HttpBrowser(stack.url);
  const login = browser.login(bare, 'any-password');
  const session = await hostile.sessionOf(bare);
  hostile.archive = 0;
  assert.equal((await login).status, 303);
  const live = stack.parley.sessions.sessions().find((s) => s.jid === bare)!;
  await live.synced;
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM "Message" WHERE "accountId" = $1', [live.accountId]);
  await pool.end();
  assert.equal(Number(rows[0]!.n), 4000);
  assert.deepEqual(session.streamErrors, []);
  assert.equal(session.closed, false);
});
