/**
 * Room administration in real Chromium against Prosody's MUC: Alice creates a private group from the sidebar, renames
 * it through the room's own configuration form (the generic data-form renderer), invites Bob, who accepts in his tab;
 * she kicks him, he comes back, she bans him and finds him on the ban list, moderates a message and destroys the room.
 * Hostile texts: XSS payloads in a configuration form's title, instructions, labels, descriptions, options and fixed
 * text (injected into the tab's socket), in room names and in invitation reasons (strangers' collapsed under one line)
 * render as text and never run; a 10,000-field form renders its first 200 fields with a notice, without freezing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { xml } from '@xmpp/xml';
import type { Page } from 'playwright-core';
import type { DataFormDTO } from '../../server/realtime/contract.js';
import { e2eStack } from '../harness/e2e.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { logInPage, watchedPage, saveScreenshot } from '../harness/browser.js';
import { until } from '../harness/poll.js';
import { xssPayloads } from '../fixtures/xss-payloads.js';

const e2e = e2eStack({ prosody: { muc: true } });

async function openAdmin(page: Page, item: 'configure' | 'invite' | 'lists' | 'destroy'): Promise<void> {
  await page.getByTestId('room-admin-menu').locator('summary').click();
  await page.getByTestId(`room-admin-${item}`).click();
}

async function occupantAction(page: Page, nick: string, action: string, reason?: string): Promise<void> {
  const menu = page.locator(`[data-testid="occupant-actions"][data-nick="${nick}"]`);
  await menu.locator('summary').click();
  await menu.getByTestId(`occupant-${action}`).click();
  if (reason !== undefined) {
    await menu.getByTestId('occupant-reason').fill(reason);
    await menu.getByTestId('occupant-reason-confirm').click();
  }
}

test('create a private group, rename it through its form, invite Bob who accepts, kick, ban, moderate, destroy', async () => {
  const { stack, browser } = e2e;
  const alice = await stack.loggedIn('rga');
  const bob = await stack.loggedIn('rgb');
  // Bob knows Alice: her invitation is listed on its own, not among strangers'.
  await bob.tab.command('addContact', { jid: alice.jid, name: 'Alice', groups: [] });
  const a = await watchedPage(browser);
  const b = await watchedPage(browser);
  await logInPage(a.page, stack.url, alice.jid, alice.password);
  await logInPage(b.page, stack.url, bob.jid, bob.password);

  const local = `family-${randomUUID().slice(0, 6)}`;
  const room = `${local}@${stack.prosody.mucDomain}`;

  // Create: name → address, the service found through roomServices.
  await a.page.getByTestId('create-room-open').click();
  const dialog = a.page.getByTestId('create-room-dialog');
  await dialog.waitFor();
  await until(async () => (await dialog.getByTestId('create-room-service').inputValue()) === stack.prosody.mucDomain, 'the MUC service filled in');
  await dialog.getByTestId('create-room-preset-group').check();
  await dialog.getByTestId('create-room-name').fill(local.replace('-', ' '));
  assert.equal(await dialog.getByTestId('create-room-local').inputValue(), local, 'the address follows the name');
  await dialog.getByTestId('create-room-submit').click();
  await a.page.waitForURL((u) => decodeURIComponent(u.hash).includes(room));
  // The features are read again once the preset is applied: the event that says members-only.
  const created = await alice.tab.waitFor('room', (e) => e.room.jid === room && e.room.state === 'joined' && e.room.features.membersOnly);
  assert.equal(created.room.affiliation, 'owner');
  assert.equal(created.room.features.membersOnly, true);
  assert.equal(created.room.features.nonAnonymous, true);
  assert.equal(created.room.features.persistent, true);

  // Configure: the room's own form; rename through its text-single field, with markup that must stay text.
  const hostileName = `Family <img src=x onerror=xss(9001)> & co`;
  await openAdmin(a.page, 'configure');
  const form = a.page.getByTestId('room-config-dialog').getByTestId('data-form');
  const nameField = form.locator('[data-var="muc#roomconfig_roomname"]');
  await nameField.waitFor();
  assert.ok((await form.getByTestId('data-form-field').count()) >= 5, 'the whole form is rendered');
  assert.ok((await form.locator('[data-type="boolean"] input[type="checkbox"]').count()) >= 2, 'booleans as checkboxes');
  assert.ok((await form.locator('[data-type="list-single"] select').count()) >= 1, 'a list-single as a select');
  await nameField.fill(hostileName);
  await form.getByTestId('data-form-submit').click();
  await a.page.getByTestId('room-config-dialog').waitFor({ state: 'detached' });
  await until(async () => (await alice.tab.command('roomInfo', { room })).name === hostileName, 'the room renamed');

  // Invite Bob (direct): his tab shows the invitation, the reason as text; he accepts with a nickname.
  const reason = `<script>xss(9002)</script> come in`;
  await openAdmin(a.page, 'invite');
  await a.page.getByTestId('room-invite-jid').fill(bob.jid);
  await a.page.getByTestId('room-invite-reason').fill(reason);
  await a.page.getByTestId('room-invite-send').click();
  await a.page.getByTestId('room-invite-dialog').waitFor({ state: 'detached' });
  const invitation = b.page.locator(`[data-testid="room-invitation"][data-room="${room}"]`);
  await invitation.waitFor();
  assert.equal(await invitation.getByTestId('room-invitation-reason').textContent(), reason);
  assert.equal(await b.page.getByTestId('room-invitations-strangers').count(), 0, 'Alice is a contact, not a stranger');
  await invitation.getByTestId('room-invitation-accept').click();
  await invitation.getByTestId('room-invitation-nick').fill('bob');
  await invitation.getByTestId('room-invitation-accept').click();
  await b.page.waitForURL((u) => decodeURIComponent(u.hash).includes(room));
  await bob.tab.waitFor('room', (e) => e.room.jid === room && e.room.state === 'joined' && e.room.affiliation === 'member');
  assert.equal(await invitation.count(), 0, 'the answered invitation is gone');
  await saveScreenshot(a.page, 'e2e-rooms-admin-owner.png');

  // Bob's message, removed by Alice for everyone (XEP-0425), where Prosody has muc_moderation.
  if (created.room.features.moderation) {
    await bob.tab.command('send', { to: room, body: 'please remove me', originId: randomUUID() });
    // Alice's own row of it (row ids are per account).
    const got = await alice.tab.waitFor('message', (e) => e.message.peer === room && e.message.body === 'please remove me');
    const row = a.page.locator(`[data-testid="message"][data-id="${got.message.id}"]`);
    await row.waitFor();
    // The confirmation is the one native dialog expected here: accepted (watchedPage would dismiss it).
    const watcher = (a.page as unknown as EventEmitter).listeners('dialog');
    a.page.removeAllListeners('dialog');
    a.page.once('dialog', (d) => void d.accept());
    await row.getByTestId('message-actions').locator('summary').click();
    await row.getByTestId('message-moderate').click();
    await alice.tab.waitFor('moderated', (e) => e.room === room && e.id === got.message.id);
    for (const l of watcher) a.page.on('dialog', l as (d: unknown) => void);
  }

  // Kick: Bob's tab learns it with the reason; he comes back; then the ban.
  await occupantAction(a.page, 'bob', 'kick', 'cool down');
  const kicked = await bob.tab.waitFor('room', (e) => e.room.jid === room && e.room.state === 'left');
  assert.equal(kicked.room.error?.reason, 'kicked');
  await a.page.locator('[data-testid="occupant-actions"][data-nick="bob"]').waitFor({ state: 'detached' });
  await bob.tab.command('roomJoin', { room, nick: 'bob' });
  await occupantAction(a.page, 'bob', 'ban', 'bye');
  await bob.tab.waitFor('room', (e) => e.room.jid === room && e.room.state === 'left' && e.room.error?.reason === 'banned');
  await openAdmin(a.page, 'lists');
  await a.page.getByTestId('room-list-outcast').click();
  await a.page.locator(`[data-testid="room-list-item"][data-jid="${bob.jid}"]`).waitFor();
  await a.page.getByTestId('room-lists-dialog-close').click();

  // Destroy, with a reason.
  await openAdmin(a.page, 'destroy');
  await a.page.getByTestId('room-destroy-reason').fill('done');
  await a.page.getByTestId('room-destroy-confirm').click();
  await until(async () => alice.tab.events.some((e) => (e.name === 'roomRemoved' && (e.payload as { jid: string }).jid === room)
    || (e.name === 'room' && (e.payload as { room: { jid: string; state: string } }).room.jid === room && (e.payload as { room: { state: string } }).room.state === 'left')), 'the room gone');
  const info = await alice.tab.rawCommand('roomInfo', { room });
  assert.equal(info.ok, false, 'destroyed on the server');

  assert.deepEqual(await a.hits(), []);
  assert.deepEqual(await b.hits(), []);
  assert.deepEqual([...a.dialogs, ...b.dialogs], []);
});

/** A form every text of which is hostile, and one with 10,000 fields. */
function hostileForm(payloads: string[]): DataFormDTO {
  let n = 0;
  const next = () => payloads[n++ % payloads.length]!;
  return {
    title: next(),
    instructions: [next(), next()],
    fields: [
      { var: 'FORM_TYPE', type: 'hidden', label: null, desc: null, required: false, values: ['http://jabber.org/protocol/muc#roomconfig'], options: [] },
      { var: null, type: 'fixed', label: next(), desc: null, required: false, values: [next()], options: [] },
      ...(['text-single', 'text-private', 'text-multi', 'jid-single', 'jid-multi', 'boolean'] as const).map((type, i) => ({
        var: `f${i}`, type, label: next(), desc: next(), required: i === 0, values: type === 'boolean' ? ['1'] : [], options: [],
      })),
      { var: 'ls', type: 'list-single', label: next(), desc: next(), required: false, values: ['a'], options: [{ label: next(), value: 'a' }, { label: next(), value: 'b' }] },
      { var: 'lm', type: 'list-multi', label: next(), desc: next(), required: false, values: [], options: [{ label: next(), value: 'a' }, { label: next(), value: 'b' }] },
    ],
  };
}

const HUGE: DataFormDTO = {
  title: 'Huge',
  instructions: [],
  fields: Array.from({ length: 10_000 }, (_, i) => ({ var: `v${i}`, type: 'text-single' as const, label: `Field ${i}`, desc: null, required: false, values: [], options: [] })),
};

/**
 * Answers this tab's `roomConfig` commands with `form()` instead of the server's answer: the socket is intercepted in
 * Chromium (socket.io frames: "42<id>[name, payload]" out, "43<id>[result]" back), the rest passes through unchanged.
 */
async function injectConfigForms(page: Page, form: () => DataFormDTO): Promise<void> {
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    const asked = new Set<string>();
    ws.onMessage((m) => {
      const id = typeof m === 'string' ? /^42(\d+)\["roomConfig"/.exec(m)?.[1] : undefined;
      if (id) asked.add(id);
      server.send(m);
    });
    server.onMessage((m) => {
      const id = typeof m === 'string' ? /^43(\d+)\[/.exec(m)?.[1] : undefined;
      if (id && asked.delete(id)) return ws.send(`43${id}${JSON.stringify([{ ok: true, data: { form: form() } }])}`);
      ws.send(m);
    });
  });
}

test('XSS in form texts, room names and invitation reasons renders as text; strangers collapse; 10,000 fields do not freeze', async () => {
  const { stack, browser } = e2e;
  const payloads = xssPayloads();
  const alice = await stack.loggedIn('rxa');
  const room = `chan-${randomUUID().slice(0, 6)}@${stack.prosody.mucDomain}`;
  await alice.tab.command('roomCreate', { room, preset: 'channel', name: payloads[3]!, members: [] });
  let form = hostileForm(payloads);
  const { page, hits, dialogs } = await watchedPage(browser);
  await injectConfigForms(page, () => form);
  await logInPage(page, stack.url, alice.jid, alice.password);
  await page.goto(`${stack.url}/#chat/${encodeURIComponent(room)}`);

  await openAdmin(page, 'configure');
  const shown = page.getByTestId('room-config-dialog');
  await shown.getByTestId('data-form').waitFor();
  assert.equal(await shown.locator('h2').textContent(), `Settings of ${payloads[3]}`, 'the room name as text in the title');
  const text = (await shown.getByTestId('data-form').textContent()) ?? '';
  const expected = [form.title!, ...form.instructions, ...form.fields.flatMap((f) => [f.label, f.desc, ...(f.type === 'fixed' ? f.values : []), ...f.options.map((o) => o.label)])]
    .filter((s): s is string => !!s);
  for (const s of expected) assert.ok(text.includes(s), `shown verbatim: ${s}`);
  assert.equal(await shown.locator('img, script, svg, iframe, a[href]').count(), 0, 'no element from the payloads');
  // A required field left empty: the error is a sentence, nothing is sent.
  await shown.getByTestId('data-form-submit').click();
  await shown.getByTestId('data-form-error').first().waitFor();
  await shown.getByTestId('room-config-dialog-close').click();

  form = HUGE;
  const started = Date.now();
  await openAdmin(page, 'configure');
  await shown.getByTestId('data-form-too-big').waitFor();
  const ms = Date.now() - started;
  assert.equal(await shown.getByTestId('data-form-field').count(), 200);
  assert.equal(await shown.getByTestId('data-form-submit').isDisabled(), true, 'a partial form cannot be submitted');
  const responsive = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  assert.ok(Date.now() - responsive < 1000 && ms < 5000, `rendered in ${ms} ms, then a frame in ${Date.now() - responsive} ms`);
  await shown.getByTestId('room-config-dialog-close').click();

  // Strangers' invitations: one collapsed line, the reasons as text once opened.
  const carol = await stack.newUser('rxc');
  const stranger = await XmppPeer.login(stack.prosody, carol.jid, carol.password);
  try {
    const reasons = payloads.slice(10, 13);
    for (const [i, r] of reasons.entries()) {
      await stranger.sendRaw(xml('message', { to: alice.jid, id: randomUUID() },
        xml('x', { xmlns: 'jabber:x:conference', jid: `hostile${i}@${stack.prosody.mucDomain}`, reason: r })));
    }
    const strangers = page.getByTestId('room-invitations-strangers');
    await until(async () => ((await strangers.locator('summary').textContent()) ?? '').startsWith('3 invitations from people not in your contacts'), 'three strangers collapsed');
    assert.equal(await strangers.getAttribute('open'), null, 'collapsed');
    await strangers.locator('summary').click();
    const shownReasons = await strangers.getByTestId('room-invitation-reason').allTextContents();
    assert.deepEqual([...shownReasons].sort(), [...reasons].sort());
    await saveScreenshot(page, 'e2e-rooms-admin-xss.png');
  } finally {
    await stranger.stop();
  }

  assert.deepEqual(await hits(), []);
  assert.deepEqual(dialogs, []);
});
