/**
 * A hostile room's configuration form through a real Parley session: the hostile XMPP server answers Parley's
 * muc#owner request with a form of 10,000 fields (under the stanza size limit: the form parser's bound refuses it),
 * and with one over the stanza size limit (the connection cuts it). Either way the tab gets a clear error, nothing
 * is submitted, and the session carries on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { HostileXmppServer } from '../harness/hostile-xmpp.js';

let hostile: HostileXmppServer;
let stack: TestStack;

before(async () => {
  hostile = await HostileXmppServer.start();
  stack = await TestStack.start({ services: [hostile.service] });
});
after(async () => {
  await stack?.close();
  await hostile?.stop();
});

test('a room answering with a 10,000-field configuration form (or an oversized one): refused with a clear error, nothing submitted', async () => {
  const bare = `owner@${hostile.domain}`;
  const browser = new HttpBrowser(stack.url);
  assert.equal((await browser.login(bare, 'any-password')).status, 303);
  const hs = await hostile.sessionOf(bare);
  const tab = browser.tab();
  await tab.waitFor('hello');
  const session = stack.parley.sessions.sessions().find((s) => s.jid === bare)!;

  const room = `evil@rooms.${hostile.domain}`;
  let fieldBytes = 0;
  const seen: Element[] = [];
  hs.on('stanza', (el: Element) => {
    seen.push(el);
    // Answered before the harness's own empty result (written synchronously, first): the room's hostile form.
    if (el.name === 'iq' && el.attrs.to === room && el.attrs.type === 'get' && el.getChild('query', 'http://jabber.org/protocol/muc#owner')) {
      const field = fieldBytes ? (i: number) => `<field var='f${i}'><value>${'v'.repeat(fieldBytes)}</value></field>` : (i: number) => `<field var='f${i}'/>`;
      let fields = '';
      for (let i = 0; i < 10_000; i++) fields += field(i);
      void hs.write(`<iq type='result' id='${el.attrs.id}' from='${room}' to='${hs.jid}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='form'>${fields}</x></query></iq>`);
    }
  });

  const small = await tab.rawCommand('roomConfig', { room });
  assert.equal(small.ok, false);
  assert.match(small.error!, /too many fields \(10000 > 200\)/);
  const submit = await tab.rawCommand('roomConfigure', { room, values: { f1: ['x'] } });
  assert.match(submit.error ?? '', /too many fields/);

  fieldBytes = 40; // ~600 KB: past the 256 KiB stanza limit
  const big = await tab.rawCommand('roomConfig', { room });
  assert.equal(big.ok, false);
  assert.match(big.error!, /too large to handle/);

  assert.equal(seen.some((el) => el.name === 'iq' && el.attrs.type === 'set' && el.attrs.to === room), false, 'nothing was submitted to the room');
  // The session is fine: a command still answers.
  assert.deepEqual((await tab.command('blocklist', {})).jids, []);
});
