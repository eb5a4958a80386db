/**
 * Group chats in real Chromium against Parley + Prosody's MUC component: Alice joins a room by its address in one tab,
 * a second tab of her account shows it too, Bob (another Parley account, over socket.io) talks with her both ways,
 * the occupants list groups and badges them, a mention of Alice's nick is highlighted, joins show as a presence line,
 * a private message through the room (MUC-PM) stays apart from Bob's direct chat, and leaving removes the room from
 * both tabs. Then the XSS corpus as room name, description, subject, nicknames and bodies: nothing executes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import parse from 'ltx/lib/parse.js';
import type { Browser, BrowserContext } from 'playwright-core';
import { TestStack, HttpBrowser } from '../harness/parley.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { launchBrowser, saveScreenshot, logInPage, watchedPage } from '../harness/browser.js';
import { buildConfigGet, buildConfigSubmit, buildJoin, parseConfigForm } from '../../server/stanza/muc.js';
import { buildSubmitForm, type FieldAnswer } from '../../server/stanza/data-form.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';

let stack: TestStack;
let browser: Browser;
let muc: string;
const peers: XmppPeer[] = [];
const WAIT = { timeout: 15_000 };

before(async () => {
  stack = await TestStack.start({ prosody: { muc: true }, env: { PARLEY_SOCKET_RATE: '1000', PARLEY_SOCKET_BURST: '1000' } });
  muc = stack.prosody.mucDomain;
  browser = await launchBrowser();
});
after(async () => {
  for (const p of peers) await p.stop().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

function stanzaAt(peer: XmppPeer, match: (el: Element) => boolean, what: string, ms = 10_000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what}`)), ms);
    const on = (el: Element) => {
      if (!match(el)) return;
      clearTimeout(timer);
      peer.conn.off('stanza', on);
      resolve(el);
    };
    peer.conn.on('stanza', on);
  });
}

/** A plain XMPP client creates the room (it stays in it as its owner) and configures it with `answers`. */
async function ownRoom(owner: XmppPeer, nick: string, answers: Record<string, FieldAnswer> = {}): Promise<string> {
  const room = `room-${randomUUID().slice(0, 8)}@${muc}`;
  const self = stanzaAt(owner, (el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}`, 'owner self-presence');
  const join = buildJoin({ room, nick, history: { kind: 'none' } });
  assert.ok(join, `joinable as ${JSON.stringify(nick)}`);
  await owner.sendRaw(join);
  await self;
  const form = parseConfigForm(await owner.conn.iq(buildConfigGet(room)!));
  assert.ok(form.ok);
  const submit = buildSubmitForm(form.form, { 'muc#roomconfig_persistentroom': true, 'muc#roomconfig_publicroom': true, ...answers });
  assert.ok(submit.ok, submit.ok ? '' : submit.error);
  assert.equal((await owner.conn.iq(buildConfigSubmit(room, submit.element)!)).attrs.type, 'result');
  return room;
}

async function newPeer(): Promise<XmppPeer> {
  const u = await stack.newUser('peer');
  const p = await XmppPeer.login(stack.server, u.jid, u.password);
  peers.push(p);
  return p;
}

test('two accounts, two tabs, one room: join by address, messages both ways, occupants, a mention, a MUC-PM apart, leave', async () => {
  const owner = await newPeer();
  const room = await ownRoom(owner, 'Owner');
  const alice = await stack.newUser('roomalice');
  const bob = await stack.newUser('roombob');
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const tab1 = await context.newPage();
  const errors: string[] = [];
  tab1.on('pageerror', (e) => errors.push(e.message));
  await logInPage(tab1, stack.url, alice.jid, alice.password);

  // Join by typed address from the sidebar's join link; the preview shows the room's info first.
  await tab1.getByTestId('room-join-open').click();
  await tab1.getByTestId('join-address').fill(`xmpp:${room}?join`);
  await tab1.getByTestId('room-preview').waitFor(WAIT);
  assert.equal(await tab1.getByTestId('room-preview-omemo').getAttribute('data-allowed'), 'false', 'an open room: no OMEMO, said so');
  await tab1.getByTestId('join-nick').fill('Alice');
  await tab1.getByTestId('join-submit').click();
  const header = tab1.getByTestId('room-header');
  await header.waitFor(WAIT);
  assert.equal(await header.getAttribute('data-room'), room);
  await tab1.waitForFunction(() => location.hash.startsWith('#chat/room-'), undefined, WAIT);

  // The second tab of the account has the room in its sidebar, never among the contacts.
  const tab2 = await context.newPage();
  tab2.on('pageerror', (e) => errors.push(e.message));
  await tab2.goto(stack.url);
  await tab2.locator(`[data-testid="room"][data-jid="${room}"]`).waitFor(WAIT);
  assert.equal(await tab2.locator(`[data-testid="contact"][data-jid="${room}"]`).count(), 0);

  // Bob joins through Parley (socket.io): Alice's timeline says so in a compact line.
  const bobBrowser = new HttpBrowser(stack.url);
  assert.equal((await bobBrowser.login(bob.jid, bob.password)).status, 303);
  const bobTab = bobBrowser.tab();
  await bobTab.waitFor('hello');
  const joined = await bobTab.command('roomJoin', { room, nick: 'Bob' });
  assert.equal(joined.room.state, 'joined');
  await tab1.getByTestId('presence-line').filter({ hasText: 'Bob' }).first().waitFor(WAIT);

  // Occupants (open by default on a wide window): grouped by role, the owner's badge, our own row marked.
  const occupants = tab1.getByTestId('occupants');
  await occupants.locator('[data-testid="occupant"][data-nick="Bob"]').waitFor(WAIT);
  await occupants.locator('[data-testid="occupant"][data-nick="Owner"]').waitFor(WAIT);
  assert.equal(await occupants.locator('[data-testid="occupant"][data-nick="Owner"]').getAttribute('data-role'), 'moderator');
  assert.equal(await occupants.locator('[data-testid="occupant"][data-nick="Owner"] [data-testid="affiliation-badge"]').count(), 1);
  const groups = await occupants.getByTestId('occupant-group').evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
  assert.deepEqual(groups, ['moderator', 'participant']);

  // Messages both ways: Bob's bubble carries his nick; Alice's own is on the right.
  const fromBob = `Hi all from Bob ${randomUUID()}`;
  await bobTab.command('send', { to: room, body: fromBob, originId: randomUUID() });
  const bubble = tab1.locator('[data-testid="message"]').filter({ hasText: fromBob });
  await bubble.waitFor(WAIT);
  assert.equal(await bubble.getByTestId('message-nick').textContent(), 'Bob');
  await tab2.locator(`[data-testid="room"][data-jid="${room}"]`).click();
  await tab2.locator('[data-testid="message"]').filter({ hasText: fromBob }).waitFor(WAIT);

  const fromAlice = `Hello Bob from Alice ${randomUUID()}`;
  await tab1.getByTestId('composer-input').fill(fromAlice);
  await tab1.getByTestId('composer-input').press('Enter');
  await bobTab.waitFor('message', (e) => e.message.peer === room && e.message.body === fromAlice);
  const own = tab1.locator('[data-testid="message"][data-direction="out"]').filter({ hasText: fromAlice });
  await own.waitFor(WAIT);
  await tab2.locator('[data-testid="message"][data-direction="out"]').filter({ hasText: fromAlice }).waitFor(WAIT);
  assert.equal(await tab1.locator('[data-testid="message"]').filter({ hasText: fromAlice }).count(), 1, 'the reflection is not shown twice');

  // A mention of Alice's nick is highlighted.
  const mention = `Alice: have a look ${randomUUID()}`;
  await bobTab.command('send', { to: room, body: mention, originId: randomUUID() });
  const mentioned = tab1.locator('[data-testid="message"]').filter({ hasText: mention });
  await mentioned.waitFor(WAIT);
  await tab1.waitForFunction((text) => [...document.querySelectorAll('[data-testid="message"]')].some((m) => m.textContent?.includes(text) && m.getAttribute('data-mention') === 'true'), mention, WAIT);
  assert.equal(await bubble.getAttribute('data-mention'), null, 'a message without the nick is not highlighted');

  // A private message through the room, and a direct message from Bob: two conversations, never merged.
  const pmText = `Psst, privately ${randomUUID()}`;
  await bobTab.command('send', { to: `${room}/Alice`, body: pmText, originId: randomUUID() });
  const directText = `Direct hello ${randomUUID()}`;
  await bobTab.command('send', { to: alice.jid, body: directText, originId: randomUUID() });
  // On Alice's side the PM's peer is Bob's occupant JID in the room: a full JID, never Bob's bare one.
  const pmRow = tab1.locator(`[data-testid="room-pm"][data-jid="${room}/Bob"]`);
  await pmRow.waitFor(WAIT);
  await tab1.locator(`[data-testid="contact"][data-jid="${bob.jid}"]`).waitFor(WAIT);
  await pmRow.click();
  await tab1.getByTestId('pm-header').waitFor(WAIT);
  assert.match((await tab1.getByTestId('pm-title').textContent()) ?? '', /Private message · Bob in room-/);
  await tab1.getByTestId('message-body').filter({ hasText: pmText }).waitFor(WAIT);
  assert.equal(await tab1.getByTestId('message-body').filter({ hasText: directText }).count(), 0, 'the direct message is not in the PM');
  await tab1.locator(`[data-testid="contact"][data-jid="${bob.jid}"]`).click();
  await tab1.getByTestId('message-body').filter({ hasText: directText }).waitFor(WAIT);
  assert.equal(await tab1.getByTestId('message-body').filter({ hasText: pmText }).count(), 0, 'the PM is not in the direct chat');
  await saveScreenshot(tab1, 'e2e-rooms-direct.png');

  // Leave from tab 1: the room leaves both tabs' sidebars.
  await tab1.locator(`[data-testid="room"][data-jid="${room}"]`).click();
  await header.waitFor(WAIT);
  await saveScreenshot(tab1, 'e2e-rooms.png');
  await tab1.getByTestId('room-leave').click();
  await tab1.getByTestId('room-leave-confirm').click();
  await tab1.locator(`[data-testid="room"][data-jid="${room}"]`).waitFor({ state: 'detached', ...WAIT });
  await tab2.locator(`[data-testid="room"][data-jid="${room}"]`).waitFor({ state: 'detached', ...WAIT });
  await bobTab.waitFor('occupants', (e) => e.room === room && e.gone.includes('Alice'));

  bobTab.close();
  await context.close();
  assert.deepEqual(errors, []);
});

test('a room on a phone: the occupants are a panel toggled over the conversation', async () => {
  const owner = await newPeer();
  const room = await ownRoom(owner, 'Owner');
  const alice = await stack.newUser('roomphone');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#join/${encodeURIComponent(`xmpp:${room}?join`)}`);
  assert.equal(await page.getByTestId('join-address').inputValue(), room, 'opened with an xmpp: join link');
  await page.getByTestId('join-submit').click();
  await page.getByTestId('room-header').waitFor(WAIT);
  assert.equal(await page.getByTestId('occupants').count(), 0, 'closed at first on a phone');
  await page.getByTestId('occupants-toggle').click();
  await page.locator('[data-testid="occupant"][data-nick="Owner"]').waitFor(WAIT);
  const box = await page.getByTestId('occupants').boundingBox();
  assert.ok(box && box.width >= 380, `the panel takes the width (${box?.width})`);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `no horizontal scroll (${scrollWidth})`);
  await saveScreenshot(page, 'e2e-rooms-phone.png');
  await page.getByTestId('occupants-close').click();
  await page.getByTestId('occupants').waitFor({ state: 'detached', ...WAIT });
  await context.close();
});

test('XSS corpus as room name, description, subject, nicknames and bodies: shown as text, nothing executes', async () => {
  const payloads = xssPayloads();
  const owner = await newPeer();
  const room = await ownRoom(owner, 'Owner', {
    'muc#roomconfig_roomname': payloads[0]!,
    'muc#roomconfig_roomdesc': payloads[1]!,
    'muc#roomconfig_changesubject': true,
  });
  await owner.sendRaw(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, payloads[2]!)));

  // Occupants with hostile nicknames (those the MUC accepts as nicknames).
  const nicks: string[] = [];
  for (const p of payloads.slice(3, 23)) {
    const join = buildJoin({ room, nick: p, history: { kind: 'none' } });
    if (!join) continue;
    const peer = await newPeer();
    const self = stanzaAt(peer, (el) => el.name === 'presence' && el.attrs.from === `${room}/${p}` && el.attrs.type !== 'error', 'hostile nick joined', 5_000);
    await peer.sendRaw(join);
    if (await self.then(() => true, () => false)) {
      nicks.push(p);
      await peer.sendRaw(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, `from ${p}`)));
    }
  }
  assert.ok(nicks.length >= 10, `only ${nicks.length} hostile nicknames joined`);

  const alice = await stack.newUser('roomxss');
  const { page, hits, dialogs } = await watchedPage(browser);
  await page.setViewportSize({ width: 1200, height: 800 });
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#join/${encodeURIComponent(room)}`);
  await page.getByTestId('room-preview-name').waitFor(WAIT);
  assert.equal(await page.getByTestId('room-preview-name').textContent(), payloads[0]);
  assert.equal(await page.getByTestId('room-preview-description').textContent(), payloads[1]);
  await page.getByTestId('join-nick').fill('Alice');
  await page.getByTestId('join-submit').click();
  await page.getByTestId('room-header').waitFor(WAIT);
  await page.waitForFunction((s) => document.querySelector('[data-testid="room-subject"]')?.textContent?.includes(s), payloads[2]!, WAIT);
  assert.equal(await page.getByTestId('room-title').textContent(), payloads[0]);

  // Bodies: the owner sends the whole corpus into the room.
  for (const body of payloads) await owner.sendRaw(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, body)));
  await page.getByTestId('message-body').filter({ hasText: payloads.at(-1)!.slice(0, 30) }).first().waitFor({ timeout: 30_000 });

  // Every hostile nick is listed as text in the occupants.
  const listed = new Set<string>();
  const scroller = page.locator('.occupants-scroller');
  for (let step = 0; step < 50; step++) {
    for (const n of await page.locator('[data-testid="occupant"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-nick') ?? ''))) listed.add(n);
    if (nicks.every((n) => listed.has(n))) break;
    await scroller.evaluate((el) => el.scrollBy(0, el.clientHeight * 0.5));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
  assert.deepEqual(nicks.filter((n) => !listed.has(n)), [], 'every nickname listed');
  const nickTexts = await page.locator('.occupant-nick').allTextContents();
  assert.ok(nickTexts.some((t) => nicks.includes(t)), 'nicknames rendered verbatim');
  await page.waitForTimeout(500);
  await saveScreenshot(page, 'e2e-rooms-xss.png');
  assert.deepEqual(await hits(), [], 'no payload executed');
  assert.deepEqual(dialogs, [], 'no dialog opened');
});

test('5,000 occupants: the list renders with fewer than 100 rows in the DOM, scrolls to the last one, groups by role', async (t) => {
  const owner = await newPeer();
  const room = await ownRoom(owner, 'Owner');
  const alice = await stack.newUser('roomcrowd');
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#join/${encodeURIComponent(room)}`);
  await page.getByTestId('join-nick').fill('Alice');
  await page.getByTestId('join-submit').click();
  await page.getByTestId('room-header').waitFor(WAIT);
  await page.locator('[data-testid="occupant"][data-nick="Owner"]').waitFor(WAIT);

  // As the room would relay them (Prosody cannot be made to hold 5,000 real sessions here): into Alice's session.
  const session = stack.parley.sessions.sessions().find((s) => s.conn.jid?.toString().startsWith(`${alice.jid}/`));
  assert.ok(session, "Alice's session");
  const to = session.conn.jid!.toString();
  const started = Date.now();
  for (let i = 0; i < 5000; i++) {
    const role = i % 10 === 0 ? 'visitor' : 'participant';
    session.conn.emit('stanza', parse(`<presence from='${room}/p${i}' to='${to}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='${role}'/></x></presence>`) as Element);
  }
  await page.waitForFunction(() => document.querySelector('[data-testid="occupant-count"]')?.textContent === '5002', undefined, { timeout: 30_000 });
  const ms = Date.now() - started;
  const rows = await page.getByTestId('occupant-row').count();
  assert.ok(rows > 10 && rows < 100, `${rows} occupant rows in the DOM for 5,002 occupants`);
  assert.ok(ms < 20_000, `5,000 joins shown in ${ms} ms`);
  t.diagnostic(`5,000 injected presences shown in ${ms} ms; ${rows} occupant rows in the DOM`);
  const groups = await page.getByTestId('occupant-group').evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
  assert.deepEqual(groups.slice(0, 2), ['moderator', 'participant']);

  // The last occupant (a visitor, by nick order) is reachable by scrolling, and the DOM stays bounded there too.
  await page.locator('.occupants-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.locator('[data-testid="occupant"][data-nick="p4990"]').waitFor(WAIT);
  assert.ok((await page.getByTestId('occupant-row').count()) < 100);
  // The timeline got one coalesced line, not 5,000.
  const lines = await page.getByTestId('presence-line').count();
  assert.ok(lines >= 1 && lines <= 3, `${lines} presence lines`);
  assert.match((await page.getByTestId('presence-line').last().textContent()) ?? '', /others joined/);
  await saveScreenshot(page, 'e2e-rooms-5000.png');
  await context.close();
  assert.deepEqual(errors, []);
});

test('joining: a taken nickname offers the server suggestion; a password-protected room asks for its password', async () => {
  const owner = await newPeer();
  const room = await ownRoom(owner, 'Owner', { 'muc#roomconfig_roomsecret': 'open sesame' });
  const alice = await stack.newUser('roomjoin');
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#join/${encodeURIComponent(room)}`);
  await page.getByTestId('join-nick').fill('Owner');
  // The preview says it is password-protected: the field is there; first try without it.
  await page.getByTestId('join-submit').click();
  await page.getByTestId('join-error').waitFor(WAIT);
  await page.getByTestId('join-password').waitFor(WAIT);
  await page.getByTestId('join-password').fill('open sesame');
  await page.getByTestId('join-submit').click();
  // Right password, taken nickname: a free one is offered.
  await page.getByTestId('join-suggestion').waitFor(WAIT);
  const offered = await page.getByTestId('join-suggestion').textContent();
  await page.getByTestId('join-suggestion').click();
  const nick = await page.getByTestId('join-nick').inputValue();
  assert.notEqual(nick, 'Owner');
  assert.ok(offered?.includes(nick), `${offered} offers ${nick}`);
  await page.getByTestId('join-submit').click();
  await page.getByTestId('room-header').waitFor(WAIT);
  await page.locator(`[data-testid="occupant"][data-nick="${nick}"]`).waitFor(WAIT);
  await context.close();
});
