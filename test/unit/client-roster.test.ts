import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContactDTO, HelloEvent, MessageDTO } from '../../server/realtime/contract.js';
import { AppState, rosterEntries, previewText } from '../../client/state/app-state.js';
import { ContactsStore, bestPresence, presenceRank } from '../../client/state/contacts.js';
import { ConnectionStore } from '../../client/state/connection.js';

const ME = 'alice@example.org';
const contact = (jid: string, name: string | null = null, extra: Partial<ContactDTO> = {}): ContactDTO => ({
  jid,
  name,
  subscription: 'both',
  ask: false,
  groups: [],
  ...extra,
});
function msg(id: number, peer: string, extra: Partial<MessageDTO> = {}): MessageDTO {
  return {
    id: String(id),
    peer,
    direction: 'in',
    from: peer,
    to: ME,
    body: `hello ${id}`,
    encrypted: null,
    stamp: new Date(Date.UTC(2024, 0, 1, 12, 0, id)).toISOString(),
    state: 'received',
    originId: null,
    stanzaId: null,
    ...extra,
  };
}
function hello(extra: Partial<HelloEvent> = {}): HelloEvent {
  return { account: ME, resource: `${ME}/parley`, connection: 'online', contacts: [], presences: [], conversations: [], own: { show: 'available', status: null }, subscriptions: { requests: [], total: 0 }, avatars: [], rooms: [], invitations: [], ...extra };
}

test('presence aggregation: the most reachable presence wins; unknown contacts are offline', () => {
  assert.equal(bestPresence(['away', 'chat', 'dnd']), 'chat');
  assert.equal(bestPresence(['xa', 'away']), 'away');
  assert.equal(bestPresence([]), 'unavailable');
  assert.ok(presenceRank('available') < presenceRank('away'));
  const s = new ContactsStore();
  s.reset([contact('bob@example.org', 'Bob')], [{ jid: 'bob@example.org', show: 'dnd', status: 'busy', resources: [] }]);
  assert.deepEqual(s.presence('bob@example.org'), { jid: 'bob@example.org', show: 'dnd', status: 'busy', resources: [] });
  assert.equal(s.presence('nobody@example.org').show, 'unavailable');
  s.setPresence({ jid: 'bob@example.org', show: 'unavailable', status: null, resources: [] });
  assert.equal(s.presence('bob@example.org').show, 'unavailable');
});

test('roster pushes add, rename and remove; names fall back to the address', () => {
  const s = new ContactsStore();
  s.reset([contact('bob@example.org', 'Bob')], []);
  s.upsertContact(contact('carol@example.org', '  '));
  assert.equal(s.displayName('carol@example.org'), 'carol@example.org');
  s.upsertContact(contact('bob@example.org', 'Robert'));
  assert.equal(s.displayName('bob@example.org'), 'Robert');
  s.upsertContact(contact('bob@example.org', null, { subscription: 'remove' }));
  assert.deepEqual(s.all().map((c) => c.jid), ['carol@example.org']);
  s.addPending('dave@example.org', null);
  s.addPending('carol@example.org', null); // already there: untouched
  assert.equal(s.contact('carol@example.org')?.ask, false);
  assert.equal(s.contact('dave@example.org')?.ask, true);
});

test('roster entries: recent conversations first, then contacts by reachability and name', () => {
  const state = new AppState();
  state.apply(
    'hello',
    hello({
      contacts: [contact('zed@example.org', 'Zed'), contact('amy@example.org', 'Amy'), contact('bob@example.org', 'Bob'), contact('cat@example.org', 'Cat')],
      presences: [
        { jid: 'zed@example.org', show: 'available', status: null, resources: [] },
        { jid: 'cat@example.org', show: 'away', status: 'lunch', resources: [] },
      ],
      conversations: [
        { peer: 'bob@example.org', kind: 'chat', last: msg(1, 'bob@example.org'), unread: 2 },
        { peer: 'stranger@example.org', kind: 'chat', last: msg(5, 'stranger@example.org'), unread: 1 },
      ],
    }),
  );
  const entries = rosterEntries(state);
  assert.deepEqual(entries.map((e) => e.jid), ['stranger@example.org', 'bob@example.org', 'zed@example.org', 'cat@example.org', 'amy@example.org']);
  const bob = entries[1]!;
  assert.equal(bob.unread, 2);
  assert.equal(bob.lastText, 'hello 1');
  assert.equal(entries[0]!.inRoster, false);
  assert.equal(entries[3]!.status, 'lunch');
});

test('unread: snapshot count, plus live incoming, cleared by read events (from any client)', () => {
  const state = new AppState();
  const bob = 'bob@example.org';
  state.apply('hello', hello({ conversations: [{ peer: bob, kind: 'chat', last: msg(10, bob), unread: 3 }] }));
  assert.equal(state.conversations.get(bob)?.unread, 3);
  state.apply('message', { message: msg(10, bob) }); // the same message again: already counted
  assert.equal(state.conversations.get(bob)?.unread, 3);
  state.apply('message', { message: msg(11, bob) });
  state.apply('message', { message: msg(12, bob) });
  state.apply('message', { message: msg(13, bob, { direction: 'out', state: 'sent' }) });
  assert.equal(state.conversations.get(bob)?.unread, 5);
  assert.equal(state.conversations.get(bob)?.last.id, '13');
  state.apply('read', { peer: bob, upTo: '11' });
  assert.equal(state.conversations.get(bob)?.unread, 1, 'only 12 is left');
  state.apply('message', { message: msg(12, bob, { state: 'displayed' }) });
  assert.equal(state.conversations.get(bob)?.unread, 0);
  assert.equal(state.messages.get(bob).messages.find((m) => m.id === '12')?.state, 'displayed');
});

test('a new conversation appears with the first message; an older message does not replace the last one', () => {
  const state = new AppState();
  state.apply('hello', hello());
  state.apply('message', { message: msg(5, 'new@example.org') });
  state.apply('message', { message: msg(3, 'new@example.org') });
  assert.equal(state.conversations.get('new@example.org')?.last.id, '5');
  assert.equal(state.conversations.get('new@example.org')?.unread, 2);
});

test('hello replaces the previous snapshot and keeps only the open conversation loaded', () => {
  const state = new AppState();
  state.apply('hello', hello({ contacts: [contact('old@example.org')] }));
  state.apply('message', { message: msg(1, 'bob@example.org') });
  state.apply('message', { message: msg(2, 'carol@example.org') });
  state.openPeer = 'bob@example.org';
  state.apply('hello', hello({ contacts: [contact('new@example.org')], own: { show: 'dnd', status: 'focus' } }));
  assert.deepEqual(state.contacts.all().map((c) => c.jid), ['new@example.org']);
  assert.equal(state.messages.get('bob@example.org').messages.length, 1);
  assert.equal(state.messages.get('carol@example.org').messages.length, 0);
  assert.equal(state.own.show, 'dnd');
  assert.equal(state.own.status, 'focus');
});

test('the own account never shows as a conversation; previews are one line of text', () => {
  const state = new AppState();
  state.apply('hello', hello({ conversations: [{ peer: ME, kind: 'chat', last: msg(1, ME), unread: 0 }] }));
  assert.deepEqual(rosterEntries(state), []);
  assert.equal(previewText('  two\n\nlines  ', null), 'two lines');
  assert.equal(previewText(null, '<encrypted/>'), 'Encrypted message');
  assert.equal(previewText(null, null), null);
});

test('connection notice: shown while the socket, XMPP or the database has trouble, hidden when all is well', () => {
  const c = new ConnectionStore();
  assert.equal(c.notice()?.kind, 'reconnecting');
  c.setSocket('connected');
  c.setXmpp('online');
  assert.equal(c.notice(), null);
  c.setSocket('disconnected');
  assert.equal(c.notice()?.kind, 'offline');
  c.setSocket('connected');
  c.setXmpp('resuming');
  assert.equal(c.notice()?.kind, 'reconnecting');
  c.setXmpp('offline', 'Connection refused.');
  assert.match(c.notice()!.values?.detail ?? '', /Connection refused/);
  c.setXmpp('online');
  c.setDegraded(true);
  assert.equal(c.notice()?.kind, 'degraded');
  const state = new AppState();
  state.connection.setSocket('connected');
  state.apply('hello', hello({ connection: 'reconnecting' }));
  assert.equal(state.connection.notice()?.kind, 'reconnecting');
  state.apply('connection', { state: 'online' });
  assert.equal(state.connection.notice(), null);
});
