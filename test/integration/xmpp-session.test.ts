/** A live XmppConnection against real Prosody: stanzas, iq, acks, resumption, reconnection, clean stop. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { TestProsody } from '../harness/prosody.js';
import { XmppConnection, XmppStanzaError, type ConnectOptions, type ConnectionState } from '../../server/xmpp/connection.js';

let prosody: TestProsody;
let aliceJid: string;
let bobJid: string;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

before(async () => {
  process.on('uncaughtException', onUncaught);
  prosody = await TestProsody.start();
  aliceJid = await prosody.createUser('alice', 'pw');
  bobJid = await prosody.createUser('bob', 'pw');
});
after(async () => {
  process.off('uncaughtException', onUncaught);
  await prosody.stop();
});

const open = (jid: string, extra: Partial<ConnectOptions> = {}) =>
  XmppConnection.open({ jid, password: 'pw', service: `xmpp://127.0.0.1:${prosody.c2sPort}`, ...extra });

function waitStanza(conn: XmppConnection, test: (el: Element) => boolean, ms = 5000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no matching stanza')), ms);
    const on = (el: Element) => {
      if (!test(el)) return;
      clearTimeout(timer);
      conn.off('stanza', on);
      resolve(el);
    };
    conn.on('stanza', on);
  });
}

/** Unlike events.once, not rejected by the non-fatal 'error' events a reconnect reports. */
const nextOnline = (conn: XmppConnection) => new Promise<[{ resumed: boolean }]>((resolve) => conn.once('online', (info: { resumed: boolean }) => resolve([info])));

const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: randomUUID() }, xml('body', {}, body));
const hasBody = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;

test('messages both ways, sendAcked resolves on the server ack', async (t) => {
  const a = await open(aliceJid);
  const b = await open(bobJid);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const toB = waitStanza(b, hasBody('hello bob'));
  await a.sendAcked(chat(b.jid, 'hello bob'));
  assert.equal(a.smStatus.acked, a.smStatus.outbound);
  assert.equal((await toB).attrs.from, a.jid);
  const toA = waitStanza(a, hasBody('hello alice'));
  await b.send(chat(a.jid, 'hello alice'));
  assert.equal((await toA).attrs.from, b.jid);
});

test('iq roundtrip between clients; unhandled -> service-unavailable; handler errors -> their condition', async (t) => {
  const a = await open(aliceJid);
  const b = await open(bobJid);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  b.onIq('get', 'urn:test:echo', (iq) => xml('echo', { xmlns: 'urn:test:echo' }, iq.getChild('echo')?.getText() ?? ''));
  b.onIq('set', 'urn:test:echo', () => {
    throw new XmppStanzaError('item-not-found', 'cancel');
  });
  const result = await a.iq(xml('iq', { type: 'get', to: b.jid }, xml('echo', { xmlns: 'urn:test:echo' }, 'ping')));
  assert.equal(result.attrs.type, 'result');
  assert.equal(result.getChild('echo', 'urn:test:echo')?.getText(), 'ping');
  await assert.rejects(a.iq(xml('iq', { type: 'get', to: b.jid }, xml('query', { xmlns: 'urn:test:nobody' }))), (err: XmppStanzaError) => err.condition === 'service-unavailable');
  await assert.rejects(a.iq(xml('iq', { type: 'set', to: b.jid }, xml('echo', { xmlns: 'urn:test:echo' }))), (err: XmppStanzaError) => err.condition === 'item-not-found' && err.type === 'cancel');
  // To the server (no 'to'): roster get.
  const roster = await a.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  assert.ok(roster.getChild('query', 'jabber:iq:roster'));
  // Iq results are counted by SM too: Prosody would drop us on a wrong h, so ask it for an ack round.
  await a.sendAcked(chat(b.jid, 'after iqs'));
  assert.equal(a.state, 'online');
});

test('resumption after the TCP socket is destroyed: online {resumed:true}, messages sent meanwhile arrive once', async (t) => {
  const a = await open(aliceJid, { backoff: { baseMs: 100 } });
  const b = await open(bobJid);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const aGot: Element[] = [];
  const bGot: Element[] = [];
  a.on('stanza', (el: Element) => el.name === 'message' && aGot.push(el));
  b.on('stanza', (el: Element) => el.name === 'message' && bGot.push(el));
  const states: ConnectionState[] = [];
  a.on('state', (s: ConnectionState) => states.push(s));
  const online = nextOnline(a);

  a.socketForTests!.destroy();
  // While A is away: B writes to A, A queues a message to B.
  await b.sendAcked(chat(a.jid, 'while you were away'));
  const queued = a.sendAcked(chat(b.jid, 'queued during the drop'));
  const [info] = await online;
  assert.equal(info.resumed, true);
  assert.deepEqual(states, ['resuming', 'online']);
  await queued;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(aGot.filter(hasBody('while you were away')).length, 1);
  assert.equal(bGot.filter(hasBody('queued during the drop')).length, 1);
  assert.equal(await prosody.c2sSessionCount(aliceJid), 1);
});

test('full reconnect after a Prosody restart: online {resumed:false}, re-login from cached keys', async (t) => {
  const p2 = await TestProsody.start({ storage: 'internal' });
  t.after(() => p2.stop());
  const jid = await p2.createUser('carol', 'pw');
  const c = await XmppConnection.open({ jid, password: 'pw', service: `xmpp://127.0.0.1:${p2.c2sPort}`, backoff: { baseMs: 200, maxMs: 1000 } });
  t.after(() => c.stop());
  const events: string[] = [];
  c.on('state', (s: ConnectionState) => events.push(s));
  c.on('fatal', (err: Error) => events.push(`fatal ${err.message}`));
  const online = nextOnline(c);
  const iqBefore = c.iq(xml('iq', { type: 'get', to: 'nobody@nowhere.invalid' }, xml('query', { xmlns: 'urn:test:x' })), 20_000);
  iqBefore.catch(() => {});
  await p2.restart();
  const [info] = await online;
  assert.equal(info.resumed, false);
  assert.equal(c.state, 'online');
  assert.ok(events.includes('resuming'), events.join());
  assert.equal(events.at(-1), 'online');
  // The old session's iq cannot be answered any more: rejected, not left hanging.
  await assert.rejects(iqBefore, XmppStanzaError);
  const roster = await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  assert.equal(roster.attrs.type, 'result');
  assert.equal(await p2.c2sSessionCount(jid), 1);
});

test('stop() is clean: no uncaught exceptions, Prosody holds no session, idempotent', async () => {
  const conns = await Promise.all(Array.from({ length: 10 }, () => open(aliceJid)));
  assert.equal(await prosody.c2sSessionCount(aliceJid), 10);
  const started = Date.now();
  await Promise.all(conns.map((c) => c.stop()));
  assert.ok(Date.now() - started < 2000, `stop took ${Date.now() - started} ms`);
  await Promise.all(conns.map((c) => c.stop()));
  assert.ok(conns.every((c) => c.state === 'offline'));
  await assert.rejects(conns[0]!.send(chat(bobJid, 'too late')));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await prosody.c2sSessionCount(aliceJid), 0);
  assert.deepEqual(uncaught, []);
});

test('20 logins in a row while messages pour in around <enabled/>: correct h, no stream error', async () => {
  const dave = await prosody.createUser('dave', 'pw');
  const sender = await open(bobJid);
  try {
    for (let round = 0; round < 20; round++) {
      const resource = `round${round}`;
      // Offline messages (delivered after initial presence) plus a stream of messages to the full JID that
      // Prosody routes to the new session as soon as it is bound, i.e. around <enable/>/<enabled/>.
      for (let i = 0; i < 5; i++) sender.send(chat(dave, `offline ${round}.${i}`)).catch(() => {});
      let flooding = true;
      let sent = 0;
      const flood = (async () => {
        while (flooding && sent < 300) {
          await sender.send(chat(`${dave}/${resource}`, `direct ${round}.${sent++}`));
          if (sent % 5 === 0) await new Promise((r) => setTimeout(r, 1));
        }
      })();
      const conn = await open(dave, { resource });
      const stanzas: Element[] = [];
      const problems: unknown[] = [];
      conn.on('stanza', (el: Element) => stanzas.push(el));
      conn.on('error', (err: unknown) => problems.push(err));
      conn.on('state', (s: ConnectionState) => problems.push(`state ${s}`));
      await conn.send(xml('presence'));
      await new Promise((r) => setTimeout(r, 30));
      flooding = false;
      await flood;
      // Several ack rounds: Prosody checks every h we send and closes the stream if one goes backwards.
      for (let k = 0; k < 3; k++) await conn.sendAcked(xml('iq', { type: 'get', id: `ping${k}` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(conn.state, 'online', `round ${round}`);
      assert.deepEqual(problems, [], `round ${round}`);
      // Our h = every stanza parsed after <enabled/>; with the 0.14 bug it was lower than what Prosody had seen acked.
      const roster = await conn.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      assert.equal(roster.attrs.type, 'result');
      assert.ok(stanzas.filter((el) => el.name === 'message').length >= 5, `round ${round}: ${stanzas.length} stanzas`);
      await conn.stop();
    }
    assert.equal(await prosody.c2sSessionCount(dave), 0);
  } finally {
    await sender.stop();
  }
});
