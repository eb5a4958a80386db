/**
 * Rooms-admin parts with literal stanzas: invitations (rate limit, bounds, answers), bookmarks (fetch, autojoin,
 * live PEP events, merge keeping other clients' extensions, XEP-0048 fallback), room presets and configuration values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { createLogger } from '../../server/app/logger.js';
import { XmppStanzaError } from '../../server/xmpp/errors.js';
import { Invitations } from '../../server/features/rooms/invitations.js';
import { RoomBookmarks, mergeBookmark, storageOf } from '../../server/features/rooms/bookmarks.js';
import { RoomAdmin } from '../../server/features/rooms/admin.js';
import { presetAnswers } from '../../server/features/rooms/presets.js';
import { answersFromValues } from '../../server/features/rooms/form-dto.js';
import { parseDataForm, buildSubmitForm, type DataForm } from '../../server/stanza/data-form.js';
import { parseEvent } from '../../server/stanza/pubsub.js';
import type { RoomsAdminContext } from '../../server/features/rooms/context.js';
import type { JoinOptions, RoomRegistryPort, RoomView } from '../../server/features/rooms/ports.js';
import type { RoomDTO, RoomFeaturesDTO } from '../../server/realtime/contract/rooms.js';
import { CommandError } from '../../server/features/messages.js';

const ME = 'me@example.org';
const el = (s: string) => parse(s) as unknown as Element;
const log = createLogger('silent');

const FEATURES: RoomFeaturesDTO = { membersOnly: false, nonAnonymous: false, persistent: true, passwordProtected: false, public: true, moderated: false, mam: true, moderation: false };

function roomDTO(jid: string, nick: string, affiliation: RoomDTO['affiliation'] = 'none'): RoomDTO {
  return {
    jid, name: null, description: null, nick, state: 'joined', error: null, subject: null, subjectBy: null, role: 'participant', affiliation,
    features: FEATURES, omemo: { allowed: false, reason: 'anonymous' }, occupantCount: 1, bookmarked: false, autojoin: false, unread: 0, mentions: 0,
  };
}

/** A registry that records what it is asked and joins at once. */
class FakeRegistry implements RoomRegistryPort {
  readonly rooms = new Map<string, { state: RoomDTO['state']; nick: string; features: RoomFeaturesDTO; affiliation: RoomDTO['affiliation']; realJids: string[] }>();
  readonly joins: { room: string; opts: JoinOptions | undefined }[] = [];
  readonly leaves: { room: string; forget: boolean }[] = [];
  readonly bookmarks: { room: string; bookmarked: boolean; autojoin: boolean; name?: string | null }[] = [];
  joinAffiliation: RoomDTO['affiliation'] = 'owner';
  get(room: string): RoomView | undefined {
    const r = this.rooms.get(room);
    if (!r) return undefined;
    return {
      jid: room, nick: r.nick, state: r.state, features: r.features,
      occupant: (nick) => (nick === r.nick ? { room, nick, available: true, affiliation: r.affiliation, role: 'moderator', jid: null, show: 'available', status: null, occupantId: null } : undefined),
      realJids: () => r.realJids,
    };
  }
  list(): RoomView[] {
    return [...this.rooms.keys()].map((k) => this.get(k)!);
  }
  async join(room: string, opts?: JoinOptions): Promise<RoomDTO> {
    this.joins.push({ room, opts });
    const nick = opts?.nick ?? 'me';
    this.rooms.set(room, { state: 'joined', nick, features: FEATURES, affiliation: this.joinAffiliation, realJids: [] });
    return roomDTO(room, nick, this.joinAffiliation);
  }
  async leave(room: string, forget: boolean): Promise<void> {
    this.leaves.push({ room, forget });
    const r = this.rooms.get(room);
    if (r) r.state = 'left';
  }
  dto(room: string): RoomDTO | undefined {
    const r = this.rooms.get(room);
    return r ? roomDTO(room, r.nick, r.affiliation) : undefined;
  }
  readonly refreshed: string[] = [];
  async refresh(room: string): Promise<RoomDTO | undefined> {
    this.refreshed.push(room);
    return this.dto(room);
  }
  setBookmark(room: string, b: { bookmarked: boolean; autojoin: boolean; name?: string | null }): void {
    this.bookmarks.push({ room, ...b });
  }
}

/** A connection answering iqs from a script of (test, reply) pairs; every iq and send recorded. */
function fakeCtx(answer: (iq: Element) => string | undefined = () => undefined) {
  const iqs: Element[] = [];
  const sent: Element[] = [];
  const events: { event: string; payload: unknown }[] = [];
  const ctx: RoomsAdminContext = {
    jid: ME,
    log,
    emit: ((event: string, payload: unknown) => events.push({ event, payload })) as RoomsAdminContext['emit'],
    conn: {
      async iq(request: Element) {
        iqs.push(request);
        const reply = el(answer(request) ?? '<iq type="result"/>');
        if (reply.attrs.type === 'error') throw XmppStanzaError.fromStanza(reply);
        return reply;
      },
      async send(stanza: Element) {
        sent.push(stanza);
      },
    },
  };
  return { ctx, iqs, sent, events };
}

const direct = (from: string, room: string, extra = '') => el(`<message from="${from}/res" to="${ME}"><x xmlns="jabber:x:conference" jid="${room}" ${extra}/></message>`);
const mediated = (room: string, inviter: string, password = '') =>
  el(`<message from="${room}" to="${ME}"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="${inviter}/r"><reason>join us</reason></invite>${password ? `<password>${password}</password>` : ''}</x></message>`);

// ------------------------------------------------------------------------------------------------------ invitations

test('a flood of 100 stranger invitations: 5 reach the tabs within 10 minutes, one per stranger and room, more after the window', () => {
  let now = 1_000_000;
  const { ctx, events } = fakeCtx();
  const inv = new Invitations(ctx, new FakeRegistry(), { isContact: () => false, now: () => now });
  for (let i = 0; i < 100; i++) assert.equal(inv.receive(direct(`spam${i}@evil.example`, `room${i}@muc.evil.example`), new Date()), true);
  const shown = events.filter((e) => e.event === 'invitation');
  assert.equal(shown.length, 5);
  assert.equal(inv.list().length, 5);
  assert.ok(inv.list().every((i) => i.stranger));
  now += 10 * 60_000 + 1;
  // The same stranger for the same room again: still one pending.
  inv.receive(direct('spam0@evil.example', 'room0@muc.evil.example'), new Date());
  assert.equal(inv.list().length, 5);
  inv.receive(direct('new@evil.example', 'other@muc.evil.example'), new Date());
  assert.equal(inv.list().length, 6);
});

test('contacts are not rate-limited but all pending invitations are bounded (50, the newest kept, the oldest gone from the tabs)', () => {
  const { ctx, events } = fakeCtx();
  const inv = new Invitations(ctx, new FakeRegistry(), { isContact: () => true });
  for (let i = 0; i < 60; i++) inv.receive(direct('friend@example.org', `r${i}@muc.example.org`, 'reason="come"'), new Date());
  assert.equal(inv.list().length, 50);
  assert.equal(inv.list()[0]!.room, 'r10@muc.example.org');
  assert.equal(inv.list()[49]!.room, 'r59@muc.example.org');
  assert.equal(events.filter((e) => e.event === 'invitationGone').length, 10);
  assert.equal(inv.list()[49]!.reason, 'come');
  assert.equal(inv.list()[49]!.stranger, false);
});

test('invitations to a room we are in are claimed and ignored; declines are claimed; ordinary messages are not', () => {
  const reg = new FakeRegistry();
  reg.rooms.set('in@muc.example.org', { state: 'joined', nick: 'me', features: FEATURES, affiliation: 'member', realJids: [] });
  const { ctx, events } = fakeCtx();
  const inv = new Invitations(ctx, reg, { isContact: () => true });
  assert.equal(inv.receive(direct('friend@example.org', 'in@muc.example.org'), new Date()), true);
  assert.equal(inv.receive(el(`<message from="in@muc.example.org"><x xmlns="http://jabber.org/protocol/muc#user"><decline from="bob@example.org"/></x></message>`), new Date()), true);
  assert.equal(inv.receive(el(`<message from="friend@example.org/r" type="chat"><body>hi</body></message>`), new Date()), false);
  // Our own invitation to someone, as a sent carbon from another client: claimed, nothing to show.
  assert.equal(inv.receive(el(`<message from="${ME}/phone" to="bob@example.org"><x xmlns="jabber:x:conference" jid="other@muc.example.org"/></message>`), new Date()), true);
  // A mediated invitation pretending to come from a room occupant (full JID) is no invitation.
  assert.equal(inv.receive(el(`<message from="x@muc.example.org/nick"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="a@b.c"/></x></message>`), new Date()), false);
  // A mediated invitation naming a blocked inviter: claimed, dropped.
  const guarded = new Invitations(ctx, reg, { isContact: () => true, isBlocked: (b) => b === 'troll@example.org' });
  assert.equal(guarded.receive(mediated('x@muc.example.org', 'troll@example.org'), new Date()), true);
  assert.deepEqual(guarded.list(), []);
  assert.equal(events.length, 0);
});

test('a mediated invitation: accepted joins with its password and bookmarks; declined sends the decline through the room', async () => {
  const reg = new FakeRegistry();
  const { ctx, sent, events } = fakeCtx();
  const joined: string[] = [];
  const inv = new Invitations(ctx, reg, { isContact: () => true, joined: async (r, password) => void joined.push(`${r.jid} ${password}`) });
  inv.receive(mediated('club@muc.example.org', 'ann@example.org', 's3cret'), new Date('2026-01-01T00:00:00Z'));
  const [a] = inv.list();
  assert.equal(a!.kind, 'mediated');
  assert.equal(a!.from, 'ann@example.org');
  assert.equal(a!.hasPassword, true);
  assert.equal(a!.at, '2026-01-01T00:00:00.000Z');
  const r = await inv.answer({ id: a!.id, accept: true, nick: 'Me' });
  assert.equal(r.room?.jid, 'club@muc.example.org');
  assert.deepEqual(reg.joins, [{ room: 'club@muc.example.org', opts: { nick: 'Me', password: 's3cret' } }]);
  assert.deepEqual(joined, ['club@muc.example.org s3cret']);
  assert.deepEqual(events.filter((e) => e.event === 'invitationGone').map((e) => e.payload), [{ id: a!.id }]);
  await assert.rejects(inv.answer({ id: a!.id, accept: true }), CommandError);

  inv.receive(mediated('other@muc.example.org', 'ann@example.org'), new Date());
  await inv.answer({ id: inv.list()[0]!.id, accept: false, reason: 'busy' });
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.toString(), '<message to="other@muc.example.org"><x xmlns="http://jabber.org/protocol/muc#user"><decline to="ann@example.org"><reason>busy</reason></decline></x></message>');
  // A direct one declined: nothing to send.
  inv.receive(direct('ann@example.org', 'third@muc.example.org'), new Date());
  await inv.answer({ id: inv.list()[0]!.id, accept: false });
  assert.equal(sent.length, 1);
});

test('a semi-anonymous room relays from the inviter\'s occupant JID: kept whole, and the decline goes back to it', async () => {
  const { ctx, sent } = fakeCtx();
  const inv = new Invitations(ctx, new FakeRegistry(), { isContact: () => false });
  inv.receive(el(`<message from="chan@muc.example.org" to="${ME}"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="chan@muc.example.org/Carol"/></x></message>`), new Date());
  const [a] = inv.list();
  assert.equal(a!.from, 'chan@muc.example.org/Carol');
  assert.equal(a!.stranger, true);
  await inv.answer({ id: a!.id, accept: false });
  assert.equal(sent[0]!.getChild('x')!.getChild('decline')!.attrs.to, 'chan@muc.example.org/Carol');
});

// ------------------------------------------------------------------------------------------------------ bookmarks

const DISCO_COMPAT = `<iq type="result"><query xmlns="http://jabber.org/protocol/disco#info"><identity category="account" type="registered"/><identity category="pubsub" type="pep"/><feature var="urn:xmpp:bookmarks:1#compat"/></query></iq>`;
const DISCO_NONE = `<iq type="result"><query xmlns="http://jabber.org/protocol/disco#info"><identity category="account" type="registered"/></query></iq>`;
const EXT = '<extensions xmlns="urn:xmpp:bookmarks:1"><state xmlns="http://example.org/other-client" pinned="true"/></extensions>';
const ITEMS = `<iq type="result"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1">
<item id="family@muc.example.org"><conference xmlns="urn:xmpp:bookmarks:1" name="Family" autojoin="true"><nick>Mum</nick>${EXT}</conference></item>
<item id="quiet@muc.example.org"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="false"/></item>
<item id="not a jid"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true"/></item>
</items></pubsub></iq>`;

function pepAnswer(iq: Element): string | undefined {
  if (iq.getChild('query', 'http://jabber.org/protocol/disco#info')) return DISCO_COMPAT;
  if (iq.getChild('pubsub', 'http://jabber.org/protocol/pubsub')?.getChild('items')) return ITEMS;
  return undefined;
}

test('storage: #compat or PEP with publish-options means bookmarks 2; otherwise XEP-0048 private storage', () => {
  assert.equal(storageOf(['urn:xmpp:bookmarks:1#compat'], []), 'pep');
  assert.equal(storageOf(['http://jabber.org/protocol/pubsub#publish-options'], [{ category: 'pubsub', type: 'pep' }]), 'pep');
  assert.equal(storageOf(['http://jabber.org/protocol/pubsub#publish-options'], []), 'private');
  assert.equal(storageOf([], [{ category: 'pubsub', type: 'pep' }]), 'private');
});

test('session start: bookmarks fetched, autojoin rooms joined quietly with their nick, every bookmark told to the registry', async () => {
  const reg = new FakeRegistry();
  const { ctx } = fakeCtx(pepAnswer);
  const b = new RoomBookmarks(ctx, reg);
  await b.start();
  assert.equal(b.kind, 'pep');
  assert.deepEqual(reg.joins, [{ room: 'family@muc.example.org', opts: { nick: 'Mum', quiet: true } }]);
  assert.deepEqual(reg.bookmarks, [
    { room: 'family@muc.example.org', bookmarked: true, autojoin: true, name: 'Family' },
    { room: 'quiet@muc.example.org', bookmarked: true, autojoin: false, name: null },
  ]);
});

test('saving a bookmark keeps the other client\'s <extensions> and publishes with the XEP-0402 options', async () => {
  const reg = new FakeRegistry();
  const { ctx, iqs } = fakeCtx(pepAnswer);
  const b = new RoomBookmarks(ctx, reg);
  await b.start();
  const before = iqs.length;
  await b.save({ room: 'family@muc.example.org', name: null, nick: 'Mother', password: null, autojoin: true });
  const publish = iqs[before]!.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!;
  const conference = publish.getChild('publish')!.getChild('item')!.getChild('conference', 'urn:xmpp:bookmarks:1')!;
  assert.equal(publish.getChild('publish')!.attrs.node, 'urn:xmpp:bookmarks:1');
  assert.equal(publish.getChild('publish')!.getChild('item')!.attrs.id, 'family@muc.example.org');
  assert.equal(conference.attrs.name, 'Family', 'the name another client gave is kept when a tab gives none');
  assert.equal(conference.getChildText('nick'), 'Mother');
  assert.equal(conference.getChild('extensions')!.toString(), el(EXT).toString());
  const options = publish.getChild('publish-options')!.getChild('x', 'jabber:x:data')!;
  const access = options.getChildren('field').find((f) => f.attrs.var === 'pubsub#access_model');
  assert.equal(access?.getChildText('value'), 'whitelist');
  // The same again: nothing published.
  const n = iqs.length;
  await b.save({ room: 'family@muc.example.org', name: null, nick: 'Mother', password: null, autojoin: true });
  assert.equal(iqs.length, n);
  assert.deepEqual(mergeBookmark(undefined, { room: 'x@y.z', name: null, nick: 'n', password: null, autojoin: true }), { room: 'x@y.z', name: null, autojoin: true, nick: 'n', password: null, extensions: null });
});

test('live PEP events: only from our own account; a new autojoin bookmark joins, autojoin off leaves, a retraction leaves and unbookmarks', async () => {
  const reg = new FakeRegistry();
  const { ctx } = fakeCtx(pepAnswer);
  const b = new RoomBookmarks(ctx, reg);
  await b.start();
  reg.joins.length = 0;
  const event = (from: string, inner: string) => {
    const m = el(`<message from="${from}" to="${ME}/parley"><event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:bookmarks:1">${inner}</items></event></message>`);
    b.onEvent(from, parseEvent(m)!, m);
  };
  event('mallory@evil.example', `<item id="trap@muc.evil.example"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true"/></item>`);
  assert.deepEqual(reg.joins, []);
  event(ME, `<item id="new@muc.example.org"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true" name="New"><nick>Me2</nick></conference></item>`);
  assert.deepEqual(reg.joins, [{ room: 'new@muc.example.org', opts: { nick: 'Me2', quiet: true } }]);
  event(ME, `<item id="new@muc.example.org"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="false" name="New"/></item>`);
  await Promise.resolve();
  assert.deepEqual(reg.leaves, [{ room: 'new@muc.example.org', forget: false }]);
  event(ME, `<retract id="family@muc.example.org"/>`);
  await Promise.resolve();
  assert.deepEqual(reg.leaves.at(-1), { room: 'family@muc.example.org', forget: false });
  assert.deepEqual(reg.bookmarks.at(-1), { room: 'family@muc.example.org', bookmarked: false, autojoin: false, name: null });
  assert.equal(b.get('family@muc.example.org'), undefined);
});

test('a bookmark removed elsewhere while the session was down: the next start leaves the room and unbookmarks it', async () => {
  const reg = new FakeRegistry();
  let items = ITEMS;
  const { ctx } = fakeCtx((iq) => (iq.getChild('query', 'http://jabber.org/protocol/disco#info') ? DISCO_COMPAT : iq.getChild('pubsub') ? items : undefined));
  const b = new RoomBookmarks(ctx, reg);
  await b.start();
  assert.equal(reg.get('family@muc.example.org')?.state, 'joined');
  items = ITEMS.replace(/<item id="family@muc.example.org">.*?<\/item>/s, '');
  await b.start();
  await Promise.resolve();
  assert.deepEqual(reg.leaves, [{ room: 'family@muc.example.org', forget: false }]);
  assert.deepEqual(reg.bookmarks.at(-1), { room: 'family@muc.example.org', bookmarked: false, autojoin: false, name: null });
});

test('XEP-0048 fallback: the whole document is read again, merged and written back with other clients\' <url/> entries', async () => {
  const stored = `<iq type="result"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"><url name="Site" url="https://example.org/"/><conference jid="old@muc.example.org" autojoin="true"><nick>Me</nick></conference></storage></query></iq>`;
  const reg = new FakeRegistry();
  const { ctx, iqs } = fakeCtx((iq) => {
    if (iq.getChild('query', 'http://jabber.org/protocol/disco#info')) return DISCO_NONE;
    if (iq.attrs.type === 'get' && iq.getChild('query', 'jabber:iq:private')) return stored;
    return undefined;
  });
  const b = new RoomBookmarks(ctx, reg);
  await b.start();
  assert.equal(b.kind, 'private');
  assert.deepEqual(reg.joins.map((j) => j.room), ['old@muc.example.org']);
  await b.save({ room: 'new@muc.example.org', name: 'New', nick: 'Me', password: null, autojoin: true });
  const set = iqs.filter((i) => i.attrs.type === 'set').at(-1)!;
  const storage = set.getChild('query', 'jabber:iq:private')!.getChild('storage', 'storage:bookmarks')!;
  assert.deepEqual(storage.getChildren('url').map((u) => u.attrs.url), ['https://example.org/']);
  assert.deepEqual(storage.getChildren('conference').map((c) => c.attrs.jid), ['old@muc.example.org', 'new@muc.example.org']);
  await b.remove('old@muc.example.org');
  const set2 = iqs.filter((i) => i.attrs.type === 'set').at(-1)!;
  // The document as the server has it (old is still there in this fake) minus the removed room.
  assert.deepEqual(set2.getChild('query')!.getChild('storage')!.getChildren('conference').map((c) => c.attrs.jid), []);
});

// ------------------------------------------------------------------------------------------------------ presets, forms

/** Prosody 0.12's room configuration form (its fields and types, trimmed of labels). */
const PROSODY_FORM = `<iq type="result"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="form">
<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>
<field var="muc#roomconfig_roomname" type="text-single"/>
<field var="muc#roomconfig_roomdesc" type="text-single"/>
<field var="muc#roomconfig_persistentroom" type="boolean"><value>0</value></field>
<field var="muc#roomconfig_publicroom" type="boolean"><value>1</value></field>
<field var="muc#roomconfig_roomsecret" type="text-private"/>
<field var="muc#roomconfig_membersonly" type="boolean"><value>0</value></field>
<field var="muc#roomconfig_allowinvites" type="boolean"><value>0</value></field>
<field var="muc#roomconfig_changesubject" type="boolean"><value>0</value></field>
<field var="muc#roomconfig_moderatedroom" type="boolean"><value>0</value></field>
<field var="muc#roomconfig_whois" type="list-single"><value>moderators</value><option label="Moderators only"><value>moderators</value></option><option label="Anyone"><value>anyone</value></option></field>
<field var="muc#roomconfig_historylength" type="text-single"><value>20</value></field>
<field type="fixed"><value>Archive</value></field>
</x></query></iq>`;

function prosodyForm(): DataForm {
  const p = parseDataForm(el(PROSODY_FORM).getChild('query'));
  assert.ok(p.ok);
  return p.form;
}

test('presets answer only the fields the form offers, in their shape', () => {
  const form = prosodyForm();
  assert.deepEqual(presetAnswers(form, 'group', 'Family'), {
    'muc#roomconfig_membersonly': true,
    'muc#roomconfig_whois': 'anyone',
    'muc#roomconfig_persistentroom': true,
    'muc#roomconfig_publicroom': false,
    'muc#roomconfig_allowinvites': true,
    'muc#roomconfig_changesubject': true,
    'muc#roomconfig_moderatedroom': false,
    'muc#roomconfig_roomname': 'Family',
  });
  assert.deepEqual(presetAnswers(form, 'channel'), {
    'muc#roomconfig_publicroom': true,
    'muc#roomconfig_membersonly': false,
    'muc#roomconfig_whois': 'moderators',
    'muc#roomconfig_persistentroom': true,
    'muc#roomconfig_changesubject': false,
  });
  // A form whose whois has no 'anyone' and no membersonly field: those are left to the service.
  const small = parseDataForm(el(`<x xmlns="jabber:x:data" type="form"><field var="muc#roomconfig_whois" type="list-single"><option><value>moderators</value></option></field><field var="muc#roomconfig_membersonly" type="text-single"/></x>`));
  assert.ok(small.ok);
  assert.deepEqual(presetAnswers(small.form, 'group'), {});
});

test('configuration values are checked against the form: unknown field, fixed, not a boolean, several values, wrong option, too long', () => {
  const form = prosodyForm();
  const ok = answersFromValues(form, { 'muc#roomconfig_persistentroom': ['1'], 'muc#roomconfig_whois': ['anyone'], 'muc#roomconfig_roomname': ['Club'] });
  assert.ok(ok.ok);
  assert.deepEqual(ok.answers, { 'muc#roomconfig_persistentroom': true, 'muc#roomconfig_whois': 'anyone', 'muc#roomconfig_roomname': 'Club' });
  const bad = (values: Record<string, string[]>) => {
    const a = answersFromValues(form, values);
    if (!a.ok) return a.error;
    const s = buildSubmitForm(form, a.answers);
    return s.ok ? null : s.error;
  };
  assert.match(bad({ 'muc#roomconfig_nosuch': ['1'] })!, /no field “muc#roomconfig_nosuch”/);
  assert.match(bad({ 'muc#roomconfig_persistentroom': ['yes'] })!, /takes yes or no/);
  assert.match(bad({ 'muc#roomconfig_roomname': ['a', 'b'] })!, /takes one value/);
  assert.match(bad({ 'muc#roomconfig_whois': ['everyone'] })!, /not one of the options/);
  assert.match(bad({ 'muc#roomconfig_roomname': ['x'.repeat(5000)] })!, /too long/);
});

test('a hostile room\'s 10,000-field configuration form is refused whole with a clear error; other refusals are explained', async () => {
  const fields = Array.from({ length: 10_000 }, (_, i) => `<field var="f${i}" type="boolean"><value>0</value></field>`).join('');
  const huge = `<iq type="result"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="form">${fields}</x></query></iq>`;
  const { ctx } = fakeCtx((iq) => (iq.attrs.to === 'hostile@muc.evil.example' ? huge : `<iq type="error"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">owners only</text></error></iq>`));
  const admin = new RoomAdmin(ctx, new FakeRegistry(), { save: async () => undefined, remove: async () => undefined, get: () => undefined }, { row: async () => null });
  await assert.rejects(admin.config('hostile@muc.evil.example'), (err: Error) => err instanceof CommandError && /too many fields \(10000 > 200\)/.test(err.message));
  await assert.rejects(admin.configure('hostile@muc.evil.example', { f1: ['1'] }), /too many fields/);
  await assert.rejects(admin.config('room@muc.example.org'), (err: Error) => err instanceof CommandError && err.message === 'Reading the room configuration: You are not allowed to do that in this room. (owners only)');
  await assert.rejects(admin.setRole('room@muc.example.org', 'bob', 'none'), /Kicking: You are not allowed/);
});

test('moderation needs a groupchat row of that room with the room\'s stanza-id and a service that supports XEP-0425', async () => {
  const rows: Record<string, { peer: string; type: string; stanzaId: string | null }> = {
    '1': { peer: 'room@muc.example.org', type: 'groupchat', stanzaId: 'sid-1' },
    '2': { peer: 'bob@example.org', type: 'chat', stanzaId: 'x' },
  };
  let moderation = '';
  const { ctx, iqs } = fakeCtx((iq) =>
    iq.getChild('query', 'http://jabber.org/protocol/disco#info')
      ? `<iq type="result"><query xmlns="http://jabber.org/protocol/disco#info"><identity category="conference" type="text"/><feature var="http://jabber.org/protocol/muc"/>${moderation}</query></iq>`
      : undefined,
  );
  const admin = new RoomAdmin(ctx, new FakeRegistry(), { save: async () => undefined, remove: async () => undefined, get: () => undefined }, { row: async (id) => rows[id] ?? null });
  await assert.rejects(admin.moderate('room@muc.example.org', '2'), /No such message in this room/);
  await assert.rejects(admin.moderate('room@muc.example.org', '3'), /No such message in this room/);
  await assert.rejects(admin.moderate('room@muc.example.org', '1'), /does not support message moderation/);
  moderation = '<feature var="urn:xmpp:message-moderate:0"/>';
  await admin.moderate('room@muc.example.org', '1', 'spam');
  const sent = iqs.at(-1)!;
  assert.equal(sent.getChild('apply-to', 'urn:xmpp:fasten:0')?.attrs.id, 'sid-1');
});

test('roomMembers: only private groups; affiliation lists and occupants\' real JIDs, deduplicated', async () => {
  const reg = new FakeRegistry();
  reg.rooms.set('open@muc.example.org', { state: 'joined', nick: 'me', features: FEATURES, affiliation: 'owner', realJids: [] });
  reg.rooms.set('family@muc.example.org', { state: 'joined', nick: 'me', features: { ...FEATURES, membersOnly: true, nonAnonymous: true }, affiliation: 'owner', realJids: ['Ann@example.org', 'zed@example.org'] });
  const lists: Record<string, string> = {
    owner: `<item affiliation="owner" jid="me@example.org"/>`,
    admin: '',
    member: `<item affiliation="member" jid="ann@example.org" nick="Ann"/><item affiliation="member" jid="bob@example.org/phone"/>`,
  };
  const { ctx } = fakeCtx((iq) => {
    const item = iq.getChild('query', 'http://jabber.org/protocol/muc#admin')?.getChild('item');
    if (!item) return undefined;
    if (item.attrs.affiliation === 'admin') return `<iq type="error"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`;
    return `<iq type="result"><query xmlns="http://jabber.org/protocol/muc#admin">${lists[item.attrs.affiliation as string]}</query></iq>`;
  });
  const admin = new RoomAdmin(ctx, reg, { save: async () => undefined, remove: async () => undefined, get: () => undefined }, { row: async () => null });
  await assert.rejects(admin.members('open@muc.example.org'), /only for private groups.*open to anyone and hides real addresses/);
  await assert.rejects(admin.members('nowhere@muc.example.org'), /not in that room/);
  assert.deepEqual(await admin.members('family@muc.example.org'), ['ann@example.org', 'bob@example.org', 'me@example.org', 'zed@example.org']);
});

test('roomCreate: a free address joined, configured with the preset, bookmarked, members added; taken or unconfigurable rooms are left', async () => {
  const NOT_FOUND = `<iq type="error"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`;
  let submitReply = '<iq type="result"/>';
  const { ctx, iqs } = fakeCtx((iq) => {
    if (iq.getChild('query', 'http://jabber.org/protocol/disco#info')) return iq.attrs.to === 'taken@muc.example.org' ? `<iq type="result"><query xmlns="http://jabber.org/protocol/disco#info"><identity category="conference" type="text"/><feature var="http://jabber.org/protocol/muc"/></query></iq>` : NOT_FOUND;
    const owner = iq.getChild('query', 'http://jabber.org/protocol/muc#owner');
    if (owner && iq.attrs.type === 'get') return PROSODY_FORM;
    if (owner) return submitReply;
    return undefined;
  });
  const reg = new FakeRegistry();
  const saved: unknown[] = [];
  const admin = new RoomAdmin(ctx, reg, { save: async (b) => void saved.push(b), remove: async () => undefined, get: () => undefined }, { row: async () => null });
  const room = await admin.create({ room: 'family@muc.example.org', preset: 'group', name: 'Family', nick: 'Mum', members: ['kid@example.org', ME] });
  assert.equal(room.affiliation, 'owner');
  const submit = iqs.find((i) => i.attrs.type === 'set' && i.getChild('query', 'http://jabber.org/protocol/muc#owner'))!;
  const values = Object.fromEntries(submit.getChild('query')!.getChild('x')!.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
  assert.equal(values['FORM_TYPE'], 'http://jabber.org/protocol/muc#roomconfig');
  assert.equal(values['muc#roomconfig_membersonly'], '1');
  assert.equal(values['muc#roomconfig_whois'], 'anyone');
  assert.equal(values['muc#roomconfig_roomname'], 'Family');
  assert.equal(values['muc#roomconfig_historylength'], undefined, 'fields the preset does not name are left as they are');
  const members = iqs.find((i) => i.getChild('query', 'http://jabber.org/protocol/muc#admin'))!;
  assert.deepEqual(members.getChild('query')!.getChildren('item').map((i) => [i.attrs.jid, i.attrs.affiliation]), [['kid@example.org', 'member']]);
  assert.deepEqual(saved, [{ room: 'family@muc.example.org', name: 'Family', nick: 'Mum', password: null, autojoin: true }]);

  await assert.rejects(admin.create({ room: 'taken@muc.example.org', preset: 'channel', members: [] }), /exists already/);
  assert.equal(reg.joins.some((j) => j.room === 'taken@muc.example.org'), false, 'never joined');
  reg.joinAffiliation = 'none';
  await assert.rejects(admin.create({ room: 'race@muc.example.org', preset: 'channel', members: [] }), /exists already/);
  assert.deepEqual(reg.leaves.at(-1), { room: 'race@muc.example.org', forget: true });
  reg.joinAffiliation = 'owner';
  submitReply = `<iq type="error"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`;
  await assert.rejects(admin.create({ room: 'locked@muc.example.org', preset: 'channel', members: [] }), /Configuring the new room: The room did not accept that/);
  assert.deepEqual(reg.leaves.at(-1), { room: 'locked@muc.example.org', forget: true });
});

test('pending invitations expire after a week (gone from the tabs); a direct invitation we send carries the room password', async () => {
  let now = 0;
  const { ctx, events, sent } = fakeCtx();
  const reg = new FakeRegistry();
  const inv = new Invitations(ctx, reg, { isContact: () => true, now: () => now });
  inv.receive(direct('friend@example.org', 'old@muc.example.org'), new Date());
  now += 7 * 24 * 3600_000 + 1;
  assert.deepEqual(inv.list(), []);
  assert.equal(events.filter((e) => e.event === 'invitationGone').length, 1);

  reg.rooms.set('secret@muc.example.org', { state: 'joined', nick: 'me', features: FEATURES, affiliation: 'member', realJids: [] });
  const bookmark = { room: 'secret@muc.example.org', name: null, autojoin: true, nick: 'me', password: 'pw<&>', extensions: null };
  const admin = new RoomAdmin(ctx, reg, { save: async () => undefined, remove: async () => undefined, get: (r) => (r === bookmark.room ? bookmark : undefined) }, { row: async () => null });
  await admin.invite({ room: 'secret@muc.example.org', jid: 'kid@example.org', mode: 'direct' });
  const x = sent.at(-1)!.getChild('x', 'jabber:x:conference')!;
  assert.equal(sent.at(-1)!.attrs.to, 'kid@example.org');
  assert.equal(x.attrs.jid, 'secret@muc.example.org');
  assert.equal(x.attrs.password, 'pw<&>');
  await assert.rejects(admin.invite({ room: 'nowhere@muc.example.org', jid: 'kid@example.org', mode: 'direct' }), /not in that room/);
  await assert.rejects(admin.invite({ room: 'secret@muc.example.org', jid: ME, mode: 'mediated' }), /yourself/);
});
