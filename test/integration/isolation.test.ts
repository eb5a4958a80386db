/**
 * Multi-tenant isolation on a real stack: a tab of Alice aims EVERY socket.io command at Bob's data (his
 * conversation, message ids, origin-ids, roster, OMEMO devices) and Alice's browser tries the HTTP routes; Bob's
 * state does not change and nothing of Bob's reaches Alice. The list of commands is read from the contract, so a
 * new command fails this test until its isolation case is written here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import parse from 'ltx/lib/parse.js';
import { TestStack, HttpBrowser, type LoggedIn } from '../harness/parley.js';
import { commandSchemas } from '../../server/realtime/contract.js';

let stack: TestStack;

before(async () => {
  // With a MUC component: Bob is in a room, and the room commands aim at it. Alice's tab sends ~70 commands in a row:
  // the per-socket rate limit (tested in core-chat) must not answer them instead of the isolation checks.
  stack = await TestStack.start({ prosody: { muc: true }, env: { PARLEY_SOCKET_RATE: '1000', PARLEY_SOCKET_BURST: '1000' } });
});
after(async () => {
  await stack?.close();
});

type Case = (ctx: { alice: LoggedIn; bob: LoggedIn; carol: LoggedIn; bobMessage: { id: string; originId: string } }) => Promise<void>;

test('a tab of Alice reaches nothing of Bob through any command or HTTP route', async () => {
  const alice = await stack.loggedIn('iso-alice');
  const bob = await stack.loggedIn('iso-bob');
  const carol = await stack.loggedIn('iso-carol');

  // Bob's state: a conversation with Carol, Carol in his roster, one OMEMO device of his.
  const bobOrigin = randomUUID();
  const bobSent = await bob.tab.command('send', { to: carol.jid, body: 'secret for carol', originId: bobOrigin });
  await carol.tab.waitFor('message', (e) => e.message.body === 'secret for carol');
  // Carol's receipt moves Bob's message on; let that settle before taking Bob's state.
  await bob.tab.waitFor('message', (e) => e.message.id === bobSent.message.id && e.message.state === 'delivered');
  await carol.tab.command('send', { to: bob.jid, body: 'secret reply', originId: randomUUID() });
  const bobIncoming = await bob.tab.waitFor('message', (e) => e.message.body === 'secret reply');
  await bob.tab.command('addContact', { jid: carol.jid, name: 'Carol' });
  // The roster pushes (the item, then the pending request) are stored after the command's answer: wait for the last.
  await bob.tab.waitFor('contact', (e) => e.contact.jid === carol.jid && e.contact.ask);
  const bobDevice = 1_000_001;
  await bob.tab.command('omemoAnnounce', { deviceId: bobDevice, bundle: null });
  await bob.tab.command('block', { jid: 'spammer@example.net' });
  const bobBefore = {
    history: await bob.tab.command('history', { peer: carol.jid, limit: 50 }),
    devices: (await bob.tab.command('omemoDevices', { jid: bob.jid, fresh: true })).devices,
    contacts: await stack.parley.stores.contacts.list(bob.accountId),
    blocklist: (await bob.tab.command('blocklist', {})).jids,
  };
  assert.deepEqual(bobBefore.blocklist, ['spammer@example.net']);
  assert.deepEqual(bobBefore.devices, [bobDevice]);
  // Bob is in a room of his, under his nickname.
  const bobRoom = `iso-room-${randomUUID().slice(0, 8)}@${stack.prosody.mucDomain}`;
  assert.equal((await bob.tab.command('roomJoin', { room: bobRoom, nick: 'Bob', bookmark: false })).room.state, 'joined');
  const bobRooms = () => stack.parley.sessions.sessions().find((s) => s.accountId === bob.accountId)!.rooms;
  // Bob's bookmarks, invitations and room administration, and a pending invitation from Carol to another room.
  const bobAdmin = () => stack.parley.sessions.byAccountId(bob.accountId)!.roomsAdmin;
  const bobInvitedRoom = `iso-bob-${randomUUID().slice(0, 8)}@${stack.prosody.mucDomain}`;
  bobAdmin()?.invitations.receive(parse(`<message from="${carol.jid}/x" to="${bob.jid}"><x xmlns="jabber:x:conference" jid="${bobInvitedRoom}"/></message>`) as never, new Date());
  const bobInvitationId = bobAdmin()?.invitations.list()[0]?.id;
  const bobBookmarksBefore = bobAdmin()?.bookmarks.list() ?? [];
  const bobEventsBefore = bob.tab.events.length;

  let avatarHash = '';
  const cases: Record<keyof typeof commandSchemas, Case> = {
    async history({ alice, carol }) {
      // Even with an extra field naming Bob's account: unknown fields are dropped, the socket's account is used.
      const page = await alice.tab.rawCommand('history', { peer: carol.jid, limit: 50, accountId: bob.accountId });
      assert.equal(page.ok, true);
      assert.deepEqual((page.data as { messages: unknown[] }).messages, []);
    },
    async send({ alice, carol, bobMessage }) {
      // Bob's origin-id is not a key into Bob's messages: Alice gets a message of her own.
      const r = await alice.tab.command('send', { to: carol.jid, body: 'from alice', originId: bobMessage.originId });
      assert.notEqual(r.message.id, bobMessage.id);
      assert.equal(r.message.body, 'from alice');
      assert.match(r.message.from, new RegExp(`^${alice.jid}/`));
    },
    async markDisplayed({ alice, carol }) {
      const r = await alice.tab.rawCommand('markDisplayed', { peer: bob.jid, id: bobIncoming.message.id });
      assert.equal(r.ok, false);
      const r2 = await alice.tab.rawCommand('markDisplayed', { peer: carol.jid, id: bobIncoming.message.id });
      assert.equal(r2.ok, false);
      assert.match(r2.error!, /no such message/);
    },
    async react({ alice, carol }) {
      // Bob's message, named by its row id, is not in any conversation of Alice's: nothing sent, nothing stored.
      const r = await alice.tab.rawCommand('react', { peer: carol.jid, id: bobIncoming.message.id, emojis: ['👍'] });
      assert.equal(r.ok, false);
      assert.match(r.error!, /no such message/);
      assert.deepEqual(await stack.parley.stores.reactions.forMessages([bobIncoming.message.id]), []);
    },
    async setPresence({ alice }) {
      await alice.tab.command('setPresence', { show: 'dnd', status: 'busy alice' });
      const session = stack.parley.sessions.byAccountId(bob.accountId)!;
      assert.notEqual(session.presence.own.status, 'busy alice');
    },
    async visibility({ alice }) {
      // Alice hides her own tab; Bob's session still counts his tab as looking.
      await alice.tab.command('visibility', { visible: false });
      assert.equal(stack.parley.sessions.byAccountId(alice.accountId)!.clientState.anyVisible, false);
      assert.equal(stack.parley.sessions.byAccountId(bob.accountId)!.clientState.anyVisible, true);
      assert.equal((await alice.tab.rawCommand('visibility', { visible: false, accountId: bob.accountId })).ok, false);
      await alice.tab.command('visibility', { visible: true });
    },
    async addContact({ alice, carol }) {
      await alice.tab.command('addContact', { jid: carol.jid, name: 'Alice calls her Caz' });
    },
    async updateContact({ alice, carol }) {
      await alice.tab.command('updateContact', { jid: carol.jid, name: 'Caz', groups: ['Alice only'] });
      // Bob is not in Alice's roster: naming him changes nothing anywhere.
      const r = await alice.tab.rawCommand('updateContact', { jid: bob.jid, name: 'Bobby', groups: [] });
      assert.equal(r.ok, false);
      assert.match(r.error!, /not in your contacts/);
    },
    async approveSubscription({ alice, carol }) {
      // Requests live in each account's own session: Alice has none to approve, whatever Bob's session holds.
      const bobsPending = stack.parley.sessions.byAccountId(bob.accountId)!.subscriptions.snapshot();
      const r = await alice.tab.rawCommand('approveSubscription', { jid: carol.jid });
      assert.equal(r.ok, false);
      assert.match(r.error!, /no longer pending/);
      assert.deepEqual(stack.parley.sessions.byAccountId(bob.accountId)!.subscriptions.snapshot(), bobsPending);
    },
    async denySubscription({ alice, carol }) {
      const r = await alice.tab.rawCommand('denySubscription', { jid: carol.jid, accountId: bob.accountId });
      assert.equal(r.ok, false);
    },
    async denyAllSubscriptions({ alice }) {
      const bobsPending = stack.parley.sessions.byAccountId(bob.accountId)!.subscriptions.snapshot();
      await alice.tab.command('denyAllSubscriptions', {});
      assert.deepEqual(stack.parley.sessions.byAccountId(bob.accountId)!.subscriptions.snapshot(), bobsPending);
    },
    async setOwnProfile({ alice }) {
      // No address in the command: it can only ever write the profile of the tab's own account.
      const r = await alice.tab.command('setOwnProfile', { fn: 'Alice, not Bob', nickname: 'alice-nick' });
      assert.equal(r.profile.jid, alice.jid);
      const bobs = await stack.parley.sessions.byAccountId(bob.accountId)!.profiles.get(bob.jid, true);
      assert.notEqual(bobs.fields.fn, 'Alice, not Bob');
    },
    async removeContact({ alice, carol }) {
      await alice.tab.command('removeContact', { jid: carol.jid });
    },
    async omemoAnnounce({ alice }) {
      // The same device id as Bob's goes into Alice's own list, never Bob's.
      const r = await alice.tab.command('omemoAnnounce', { deviceId: bobDevice, bundle: null });
      assert.deepEqual(r.devices, [bobDevice]);
    },
    async omemoRelay({ alice }) {
      // Only as a device this very socket announced; and it reaches Alice's other tabs, never Bob's (checked below).
      const foreign = await alice.tab.rawCommand('omemoRelay', { from: 1_000_002, to: null, encrypted: null });
      assert.equal(foreign.ok, false);
      assert.match(foreign.error!, /has not announced/);
      await alice.tab.command('omemoRelay', { from: bobDevice, to: bobDevice, encrypted: '<encrypted/>' });
    },
    async omemoDevices({ alice, bob }) {
      // Public by design (published open for every OMEMO client): readable, and only that.
      const r = await alice.tab.command('omemoDevices', { jid: bob.jid, fresh: true });
      assert.deepEqual(r.devices, [bobDevice]);
    },
    async omemoBundle({ alice, bob }) {
      // Bob announced no bundle: Prosody answers a non-contact 'forbidden' for a node that does not exist.
      const r = await alice.tab.rawCommand('omemoBundle', { jid: bob.jid, deviceId: bobDevice, fresh: true });
      assert.ok(r.ok ? (r.data as { bundle: unknown }).bundle === null : /to contacts only/.test(r.error!), JSON.stringify(r));
    },
    async profile({ alice, bob }) {
      // Asked through Alice's own XMPP session, as Alice; naming another account in the command is refused.
      const named = await alice.tab.rawCommand('profile', { jid: bob.jid, accountId: bob.accountId });
      assert.equal(named.ok, false);
      const r = await alice.tab.command('profile', { jid: bob.jid, fresh: true });
      assert.notEqual(r.state, 'found', 'Bob published no profile');
    },
    async omemoRevoke({ alice }) {
      // Revokes in Alice's own list only.
      const r = await alice.tab.command('omemoRevoke', { deviceId: bobDevice });
      assert.deepEqual(r.devices, []);
    },
    async setAvatar({ alice }) {
      // Alice's own avatar only: a command naming another account is refused, and nothing of it reaches Bob (checked below).
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c04' } }).png().toBuffer();
      const named = await alice.tab.rawCommand('setAvatar', { data: png.toString('base64'), type: 'image/png', accountId: bob.accountId });
      assert.equal(named.ok, false);
      const r = await alice.tab.command('setAvatar', { data: png.toString('base64'), type: 'image/png' });
      assert.match(r.hash, /^[0-9a-f]{40}$/);
      await alice.tab.waitFor('avatar', (e) => e.jid === alice.jid && e.hash === r.hash);
      avatarHash = r.hash;
    },
    async removeAvatar({ alice }) {
      // Alice's own avatar only (set just above): a field naming another account is refused.
      assert.equal((await alice.tab.rawCommand('removeAvatar', { accountId: bob.accountId })).ok, false);
      const gone = alice.tab.waitFor('avatar', (e) => e.jid === alice.jid && e.hash === null);
      assert.deepEqual(await alice.tab.command('removeAvatar', {}), {});
      await gone;
    },
    async omemoPublication({ alice }) {
      // Alice's own session's state; extra fields naming another account are refused.
      assert.deepEqual(await alice.tab.command('omemoPublication', {}), { open: true, problem: null });
      assert.equal((await alice.tab.rawCommand('omemoPublication', { accountId: bob.accountId })).ok, false);
    },
    async blocklist({ alice }) {
      // Alice's own list: nothing of Bob's, and no field names another account.
      assert.deepEqual((await alice.tab.command('blocklist', {})).jids, []);
      assert.equal((await alice.tab.rawCommand('blocklist', { accountId: bob.accountId })).ok, false);
    },
    async block({ alice, carol }) {
      // Into Alice's list only; naming Bob's account is refused; Bob's session's list is unchanged.
      assert.equal((await alice.tab.rawCommand('block', { jid: carol.jid, accountId: bob.accountId })).ok, false);
      await alice.tab.command('block', { jid: carol.jid });
      assert.deepEqual((await alice.tab.command('blocklist', {})).jids, [carol.jid]);
      assert.deepEqual(stack.parley.sessions.byAccountId(bob.accountId)!.blocking.list(), ['spammer@example.net']);
      assert.equal(stack.parley.sessions.byAccountId(bob.accountId)!.blocking.isBlocked(carol.jid), false);
    },
    async unblock({ alice, carol }) {
      // Unblocking what Bob blocked is a no-op in Alice's own list: Bob still blocks it.
      await alice.tab.command('unblock', { jid: 'spammer@example.net' });
      assert.equal((await alice.tab.rawCommand('unblock', { jid: 'spammer@example.net', accountId: bob.accountId })).ok, false);
      await alice.tab.command('unblock', { jid: carol.jid });
      assert.deepEqual((await alice.tab.command('blocklist', {})).jids, []);
      assert.deepEqual(stack.parley.sessions.byAccountId(bob.accountId)!.blocking.list(), ['spammer@example.net']);
    },
    async chatState({ alice, carol }) {
      // Sent as Alice to Carol; naming Bob's account is refused.
      assert.equal((await alice.tab.rawCommand('chatState', { peer: carol.jid, state: 'composing', accountId: bob.accountId })).ok, false);
      await alice.tab.command('chatState', { peer: carol.jid, state: 'composing' });
    },
    async correct({ alice, carol, bobMessage }) {
      // Bob's message id, in Bob's conversation or Alice's own: not a message of Alice's.
      for (const peer of [carol.jid, bob.jid]) {
        const r = await alice.tab.rawCommand('correct', { peer, id: bobMessage.id, body: 'edited by alice', originId: randomUUID() });
        assert.equal(r.ok, false);
        assert.match(r.error!, /no such message/);
      }
    },
    async retract({ alice, carol, bobMessage }) {
      const r = await alice.tab.rawCommand('retract', { peer: carol.jid, id: bobMessage.id });
      assert.equal(r.ok, false);
      assert.match(r.error!, /no such message/);
    },
    async versions({ alice, carol, bobMessage }) {
      const r = await alice.tab.rawCommand('versions', { peer: carol.jid, id: bobMessage.id });
      assert.equal(r.ok, false);
    },
    async deleteMessage({ alice, carol, bobMessage }) {
      const r = await alice.tab.rawCommand('deleteMessage', { peer: carol.jid, id: bobMessage.id });
      assert.equal(r.ok, false);
      assert.match(r.error!, /no such message/);
    },
    async deleteConversation({ alice, carol }) {
      // Alice's own conversation with Carol (her 'from alice' message); Bob's with Carol is checked below.
      const r = await alice.tab.command('deleteConversation', { peer: carol.jid });
      assert.equal(r.deleted, 1);
      assert.equal((await alice.tab.rawCommand('deleteConversation', { peer: carol.jid, accountId: bob.accountId })).ok, false);
    },
    async search({ alice, carol }) {
      // Bob's words are not in Alice's results, in all conversations or in Carol's; no field names another account.
      assert.deepEqual((await alice.tab.command('search', { query: 'secret' })).hits, []);
      assert.deepEqual((await alice.tab.command('search', { query: 'secret', peer: carol.jid })).hits, []);
      assert.equal((await alice.tab.rawCommand('search', { query: 'secret', accountId: bob.accountId })).ok, false);
    },
    async historyAround({ alice, carol }) {
      // Bob's message id opens nothing, neither in Carol's conversation nor in Bob's.
      const r = await alice.tab.command('historyAround', { peer: carol.jid, id: bobSent.message.id });
      assert.deepEqual(r.messages, []);
      assert.deepEqual((await alice.tab.command('historyAround', { peer: bob.jid, id: bobIncoming.message.id })).messages, []);
    },
    async historyNewer({ alice, carol }) {
      const r = await alice.tab.command('historyNewer', { peer: carol.jid, after: { stamp: '2000-01-01T00:00:00.000Z', id: '0' } });
      assert.equal(r.messages.some((m) => /secret/.test(m.body ?? '')), false);
    },
    async mutes({ alice }) {
      assert.deepEqual((await alice.tab.command('mutes', {})).peers, []);
    },
    async setMuted({ alice, carol }) {
      // Alice's own mute: Bob's list stays empty.
      await alice.tab.command('setMuted', { peer: carol.jid, muted: true });
      assert.deepEqual(await stack.parley.stores.mutes.list(bob.accountId), []);
      assert.deepEqual(await stack.parley.stores.mutes.list(alice.accountId), [carol.jid]);
      assert.equal((await alice.tab.rawCommand('setMuted', { peer: carol.jid, muted: false, accountId: bob.accountId })).ok, false);
    },
    async roomServices({ alice }) {
      // Discovery runs on Alice's own session: the account server's public services, nothing of Bob.
      assert.deepEqual((await alice.tab.command('roomServices', {})).services, [stack.prosody.mucDomain]);
    },
    async roomBrowse({ alice }) {
      const r = await alice.tab.command('roomBrowse', { filter: '' });
      assert.equal(r.service, stack.prosody.mucDomain);
      assert.equal((await alice.tab.rawCommand('roomBrowse', { filter: '', accountId: bob.accountId })).ok, false);
    },
    async roomInfo({ alice }) {
      // Public room info only (what any XMPP client may ask the room): not Bob's nick or state.
      const info = await alice.tab.command('roomInfo', { room: bobRoom });
      assert.equal(JSON.stringify(info).includes('Bob'), false);
    },
    async roomJoin({ alice }) {
      // Alice asks for Bob's nickname in his room: the room refuses; Bob stays in, as Bob.
      const r = await alice.tab.command('roomJoin', { room: bobRoom, nick: 'Bob', bookmark: false });
      assert.equal(r.room.state, 'left');
      assert.equal(r.room.error?.reason, 'nickname-in-use');
      assert.equal(bobRooms().dto(bobRoom)?.state, 'joined');
      assert.equal((await stack.parley.stores.rooms.list(bob.accountId)).find((x) => x.jid === bobRoom)?.nick, 'Bob');
    },
    async roomLeave({ alice }) {
      // Leaving "Bob's" room from Alice's tab leaves only Alice's own (absent) entry.
      await alice.tab.command('roomLeave', { room: bobRoom, forget: true });
      assert.equal(bobRooms().dto(bobRoom)?.state, 'joined');
      assert.equal((await stack.parley.stores.rooms.list(bob.accountId)).length, 1);
    },
    async roomNick({ alice }) {
      const r = await alice.tab.rawCommand('roomNick', { room: bobRoom, nick: 'Mallory' });
      assert.equal(r.ok, false);
      assert.equal(bobRooms().dto(bobRoom)?.nick, 'Bob');
    },
    async roomSubject({ alice }) {
      const r = await alice.tab.rawCommand('roomSubject', { room: bobRoom, subject: 'hijacked' });
      assert.equal(r.ok, false);
      assert.notEqual(bobRooms().dto(bobRoom)?.subject, 'hijacked');
    },
    async roomOccupants({ alice }) {
      // Bob's occupant list is his session's: Alice, not in the room, gets none of it.
      const r = await alice.tab.rawCommand('roomOccupants', { room: bobRoom });
      assert.ok(!r.ok || (r.data as { occupants: unknown[] }).occupants.length === 0, JSON.stringify(r));
    },
    // ---- rooms-admin: room creation, configuration, invitations, moderation. A room address is no key into another
    // account: every request goes out on Alice's own XMPP session, so the room answers by Alice's rights alone.
    async roomCreate({ alice }) {
      const room = `iso-alice-${randomUUID().slice(0, 8)}@conference.${alice.jid.split('@')[1]}`;
      const r = await alice.tab.rawCommand('roomCreate', { room, preset: 'group', members: [] });
      if (!r.ok) assert.match(r.error!, /not available|room/i);
      assert.equal(bobAdmin()?.bookmarks.get(room), undefined, "Alice's new room is not bookmarked for Bob");
    },
    async roomConfig({ alice }) {
      assert.equal((await alice.tab.rawCommand('roomConfig', { room: bobRoom })).ok, false);
    },
    async roomConfigure({ alice }) {
      assert.equal((await alice.tab.rawCommand('roomConfigure', { room: bobRoom, values: { 'muc#roomconfig_roomname': ['taken'] } })).ok, false);
    },
    async roomDestroy({ alice }) {
      assert.equal((await alice.tab.rawCommand('roomDestroy', { room: bobRoom })).ok, false);
    },
    async roomInvite({ alice, carol }) {
      // Alice is not in Bob's room: she cannot invite anyone into it (and Bob hears nothing).
      assert.equal((await alice.tab.rawCommand('roomInvite', { room: bobRoom, jid: carol.jid })).ok, false);
    },
    async invitationAnswer({ alice }) {
      // Bob's pending invitation, by its id: not Alice's to answer.
      const r = await alice.tab.rawCommand('invitationAnswer', { id: bobInvitationId ?? randomUUID(), accept: true });
      assert.equal(r.ok, false);
      if (bobInvitationId) assert.deepEqual(bobAdmin()!.invitations.list().map((i) => i.id), [bobInvitationId]);
    },
    async roomAffiliations({ alice }) {
      assert.equal((await alice.tab.rawCommand('roomAffiliations', { room: bobRoom, affiliation: 'member' })).ok, false);
    },
    async roomSetAffiliation({ alice, bob }) {
      assert.equal((await alice.tab.rawCommand('roomSetAffiliation', { room: bobRoom, jid: bob.jid, affiliation: 'outcast' })).ok, false);
    },
    async roomSetRole({ alice }) {
      assert.equal((await alice.tab.rawCommand('roomSetRole', { room: bobRoom, nick: 'bob', role: 'none' })).ok, false);
    },
    async roomModerate({ alice }) {
      // Bob's message row id: not a message of any room of Alice's.
      const r = await alice.tab.rawCommand('roomModerate', { room: bobRoom, id: bobIncoming.message.id });
      assert.equal(r.ok, false);
      assert.match(r.error!, /No such message|not available/);
    },
    async roomMembers({ alice }) {
      assert.equal((await alice.tab.rawCommand('roomMembers', { room: bobRoom })).ok, false);
    },
  };
  assert.deepEqual(Object.keys(cases).sort(), Object.keys(commandSchemas).sort(), 'every command has an isolation case');
  for (const [name, run] of Object.entries(cases)) {
    await run({ alice, bob, carol, bobMessage: { id: bobSent.message.id, originId: bobOrigin } }).catch((err: Error) => {
      throw new Error(`${name}: ${err.message}`, { cause: err });
    });
  }

  // HTTP: Alice's browser sees her own shell only, and no admin or foreign data.
  const shell = await (await alice.browser.request('/')).text();
  assert.match(shell, new RegExp(`data-account="${alice.jid}"`));
  assert.equal(shell.includes(bob.jid), false);
  assert.equal((await alice.browser.request('/admin')).status, 404);
  assert.equal((await alice.browser.request('/admin/api/sessions')).status, 404);
  // Avatars: served to a logged-in browser only; anything but 40 hex digits is not found.
  assert.equal((await alice.browser.request(`/avatars/${avatarHash}`)).status, 200);
  assert.equal((await alice.browser.request(`/avatars/${avatarHash.toUpperCase()}`)).status, 404);
  assert.equal((await alice.browser.request('/avatars/..%2F..%2Fsecret')).status, 404);
  const stranger = new HttpBrowser(stack.url);
  const anonymous = await stranger.request(`/avatars/${avatarHash}`);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get('content-type')?.startsWith('image/'), false);

  // /account: Alice's page lists her browsers and devices only; Bob's browser id, his address and his password open nothing.
  const bobBrowsers = await stack.parley.stores.sessions.listForAccount(bob.accountId);
  assert.equal(bobBrowsers.length, 1);
  const accountPage = await (await alice.browser.request('/account')).text();
  assert.match(accountPage, new RegExp(alice.jid.replace(/[.]/g, '\\.')));
  assert.equal(accountPage.includes(bob.jid), false);
  assert.equal(accountPage.includes(bobBrowsers[0]!.id), false);
  assert.equal(accountPage.includes(String(bobDevice)), false, "Bob's OMEMO device is not in Alice's list");
  const csrf = await alice.browser.csrf('/account');
  const signout = await alice.browser.post('/account/browsers/signout', { _csrf: csrf, browser: bobBrowsers[0]!.id });
  assert.equal(signout.status, 404);
  assert.equal((await stack.parley.stores.sessions.listForAccount(bob.accountId)).length, 1, "Bob's browser session stays");
  assert.equal(bob.tab.socket.connected, true, "Bob's tab stays connected");
  // Deleting "Bob" from Alice's page: the typed address must be the page's own account.
  const del = await alice.browser.post('/account/delete', { _csrf: csrf, jid: bob.jid, password: bob.password });
  assert.equal(del.status, 400);
  assert.ok(await stack.parley.stores.accounts.byId(bob.accountId), "Bob's account stays");
  // Bob's password is not Alice's current password.
  const change = await alice.browser.post('/account/password', { _csrf: csrf, current: bob.password, password: 'x-new', confirm: 'x-new' });
  assert.equal(change.status, 401);
  // Without a session, the account page and its actions lead to the login page.
  assert.equal((await stranger.request('/account')).headers.get('location'), '/login');

  // Bob: unchanged, and told nothing about any of it.
  await sleep(300);
  const history = await bob.tab.command('history', { peer: carol.jid, limit: 50 });
  assert.deepEqual(history.messages.map((m) => [m.id, m.state, m.body]), bobBefore.history.messages.map((m) => [m.id, m.state, m.body]));
  assert.deepEqual((await bob.tab.command('omemoDevices', { jid: bob.jid, fresh: true })).devices, [bobDevice]);
  assert.deepEqual(await stack.parley.stores.contacts.list(bob.accountId), bobBefore.contacts);
  assert.deepEqual((await bob.tab.command('blocklist', {})).jids, bobBefore.blocklist);
  assert.deepEqual(bobAdmin()?.bookmarks.list() ?? [], bobBookmarksBefore);
  const leaked = bob.tab.events.slice(bobEventsBefore).filter((e) => JSON.stringify(e.payload).includes('alice'));
  assert.deepEqual(leaked.filter((e) => e.name !== 'presence' && e.name !== 'omemoDevices'), [], 'no event of Alice reached Bob beyond public presence/devices');
  assert.equal(bob.tab.events.slice(bobEventsBefore).some((e) => e.name === 'omemoRelay'), false, 'no relay of Alice reached Bob');
  assert.equal(alice.tab.events.some((e) => /secret (for carol|reply)/.test(JSON.stringify(e.payload))), false);
});
