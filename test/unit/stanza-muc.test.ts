import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import {
  admin, buildAdminGet, buildAdminSet, buildConfigSubmit, buildDecline, buildDestroy, buildDirectInvite, buildInstantRoom, buildJoin,
  buildLeave, buildMediatedInvite, buildModerate, buildMucPm, buildNickChange, buildSelfPing, isMucService, joinErrorReason, moderationVersion,
  mucPmOf, parseAdminItems, parseConfigForm, parseDecline, parseDiscoInfo, parseDiscoItems, parseGroupchat, parseInvitation, parseModeration,
  parseOccupantPresence, parseRoomInfo, parseSelfPingAnswer, roomAllowsOmemo, type OccupantPresence, type MucPresenceError,
} from '../../server/stanza/muc.js';

const el = (s: string) => parse(s) as unknown as Element;
const ROOM = 'coven@chat.shakespeare.lit';
const now = new Date('2026-12-01T12:00:00Z');

test('join presence: the MUC <x/> with password and history (XEP-0045 §7.2.2, §7.2.5, §7.2.13 maxchars=0 when MAM is used)', () => {
  assert.equal(
    buildJoin({ room: ROOM, nick: 'thirdwitch' })!.toString(),
    '<presence to="coven@chat.shakespeare.lit/thirdwitch"><x xmlns="http://jabber.org/protocol/muc"/></presence>',
  );
  assert.equal(
    buildJoin({ room: 'Coven@Chat.Shakespeare.lit', nick: 'thirdwitch', password: 'cauldronburn', history: { kind: 'none' } })!.toString(),
    '<presence to="coven@chat.shakespeare.lit/thirdwitch"><x xmlns="http://jabber.org/protocol/muc"><history maxchars="0"/><password>cauldronburn</password></x></presence>',
  );
  assert.equal(
    buildJoin({ room: ROOM, nick: 'thirdwitch', history: { kind: 'since', since: new Date('1970-01-01T00:00:00Z'), maxstanzas: 20 } })!.toString(),
    '<presence to="coven@chat.shakespeare.lit/thirdwitch"><x xmlns="http://jabber.org/protocol/muc"><history since="1970-01-01T00:00:00.000Z" maxstanzas="20"/></x></presence>',
  );
  assert.equal(buildJoin({ room: ROOM, nick: '' }), null);
  assert.equal(buildJoin({ room: ROOM, nick: 'a\u0000b' }), null);
  assert.equal(buildJoin({ room: 'chat.shakespeare.lit', nick: 'x' }), null, 'a service is not a room');
  assert.equal(buildJoin({ room: `${ROOM}/res`, nick: 'x' }), null);
  assert.equal(buildLeave(ROOM, 'thirdwitch', 'gone where?')!.toString(),
    '<presence to="coven@chat.shakespeare.lit/thirdwitch" type="unavailable"><status>gone where?</status></presence>');
  assert.equal(buildNickChange(ROOM, 'oldhag')!.toString(), '<presence to="coven@chat.shakespeare.lit/oldhag"/>');
});

const presence = (from: string, x: string, type = '') =>
  el(`<presence from='${from}' to='hag66@shakespeare.lit/pda'${type ? ` type='${type}'` : ''}>${x}</presence>`);

test('self-presence of a new room: 110 + 201, owner and moderator; 100 non-anonymous and 170 logging are read', () => {
  const p = parseOccupantPresence(presence(`${ROOM}/firstwitch`, `<x xmlns='http://jabber.org/protocol/muc#user'>
    <item affiliation='owner' role='moderator'/><status code='110'/><status code='201'/><status code='100'/><status code='170'/></x>`)) as OccupantPresence;
  assert.equal(p.kind, 'occupant');
  assert.equal(p.self, true);
  assert.equal(p.created, true);
  assert.equal(p.nonAnonymous, true);
  assert.equal(p.logging, true);
  assert.equal(p.leave, null);
  assert.deepEqual(p.occupant, {
    room: ROOM, nick: 'firstwitch', available: true, affiliation: 'owner', role: 'moderator', jid: null, show: 'available', status: null, occupantId: null,
  });
});

test("another occupant, with real JID and XEP-0421 occupant-id; 210 says the service changed our nick", () => {
  const p = parseOccupantPresence(presence(`${ROOM}/secondwitch`, `<show>away</show><status>brewing</status>
    <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='admin' jid='wiccarocks@shakespeare.lit/laptop' role='moderator'/></x>
    <occupant-id xmlns='urn:xmpp:occupant-id:0' id='dd72603deec90a38ba552f7c68cbcc61bca202cd'/>`)) as OccupantPresence;
  assert.equal(p.self, false);
  assert.equal(p.occupant.jid, 'wiccarocks@shakespeare.lit/laptop');
  assert.equal(p.occupant.show, 'away');
  assert.equal(p.occupant.status, 'brewing');
  assert.equal(p.occupant.occupantId, 'dd72603deec90a38ba552f7c68cbcc61bca202cd');
  const renamed = parseOccupantPresence(presence(`${ROOM}/thirdwitch `, `<x xmlns='http://jabber.org/protocol/muc#user'>
    <item affiliation='member' role='participant'/><status code='110'/><status code='210'/></x>`)) as OccupantPresence;
  assert.equal(renamed.nickAssigned, true);
  assert.equal(renamed.occupant.nick, 'thirdwitch ');
});

test('unavailable presences say why: left, 303 nick change, 307 kick with actor and reason, 301 ban, 321/322/332, destroy', () => {
  const gone = (x: string) => parseOccupantPresence(presence(`${ROOM}/pistol`, `<x xmlns='http://jabber.org/protocol/muc#user'>${x}</x>`, 'unavailable')) as OccupantPresence;
  assert.equal(gone(`<item affiliation='none' role='none'/>`).leave, 'left');
  const nick = gone(`<item affiliation='member' nick='oldhag' role='participant'/><status code='303'/><status code='110'/>`);
  assert.equal(nick.leave, 'nick-changed');
  assert.equal(nick.newNick, 'oldhag');
  const kick = gone(`<item affiliation='none' role='none'><actor nick='Fluellen'/><reason>Avaunt, you cullion!</reason></item><status code='307'/>`);
  assert.deepEqual([kick.leave, kick.actor, kick.reason], ['kicked', 'Fluellen', 'Avaunt, you cullion!']);
  assert.equal(gone(`<item affiliation='outcast' role='none'/><status code='301'/>`).leave, 'banned');
  assert.equal(gone(`<item affiliation='none' role='none'/><status code='321'/>`).leave, 'affiliation-changed');
  assert.equal(gone(`<item affiliation='none' role='none'/><status code='322'/>`).leave, 'members-only');
  assert.equal(gone(`<item affiliation='none' role='none'/><status code='332'/>`).leave, 'shutdown');
  const destroyed = gone(`<item affiliation='none' role='none'/><destroy jid='Heath@chat.shakespeare.lit'><reason>Macbeth doth come.</reason></destroy>`);
  assert.equal(destroyed.leave, 'destroyed');
  assert.deepEqual(destroyed.destroy, { alternate: 'heath@chat.shakespeare.lit', reason: 'Macbeth doth come.' });
  // 303 without a usable new nick is not a nick change
  assert.equal(gone(`<item affiliation='none' role='none'/><status code='303'/>`).leave, 'left');
});

test('hostile presences: no muc#user element, bad roles, a bare JID, a bad type, garbage codes → null; nothing throws', () => {
  assert.equal(parseOccupantPresence(presence(`${ROOM}/x`, '')), null, 'a presence without its muc#user element');
  assert.equal(parseOccupantPresence(presence(`${ROOM}/x`, `<x xmlns='http://jabber.org/protocol/muc#user'/>`)), null);
  assert.equal(parseOccupantPresence(presence(`${ROOM}/x`, `<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='god' role='moderator'/></x>`)), null);
  assert.equal(parseOccupantPresence(presence(ROOM, `<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x>`)), null);
  assert.equal(parseOccupantPresence(presence(`${ROOM}/x`, `<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x>`, 'subscribe')), null);
  assert.equal(parseOccupantPresence(el(`<presence><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x></presence>`)), null);
  assert.equal(parseOccupantPresence(el(`<message from='${ROOM}/x'/>`)), null);
  const p = parseOccupantPresence(presence(`${ROOM}/x`, `<status>${'s'.repeat(100_000)}</status><x xmlns='http://jabber.org/protocol/muc#user'>
    <item affiliation='none' role='visitor' jid='not a jid'/><status code='abc'/><status code='1100'/><status code='110'/><status code='110'/></x>`)) as OccupantPresence;
  assert.deepEqual(p.codes, [110]);
  assert.equal(p.occupant.jid, null);
  assert.equal(p.occupant.status!.length, 1024);
});

test('join errors become typed reasons (XEP-0045 §7.2.6 – §7.2.11)', () => {
  const err = (cond: string) =>
    parseOccupantPresence(el(`<presence from='${ROOM}/thirdwitch' type='error'><x xmlns='http://jabber.org/protocol/muc'/>
      <error by='${ROOM}' type='cancel'><${cond} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>  why  </text></error></presence>`)) as MucPresenceError;
  assert.deepEqual(err('conflict'), { kind: 'error', room: ROOM, nick: 'thirdwitch', reason: 'nickname-in-use', condition: 'conflict', text: 'why' });
  assert.equal(err('not-authorized').reason, 'password-required');
  assert.equal(err('registration-required').reason, 'members-only');
  assert.equal(err('forbidden').reason, 'banned');
  assert.equal(err('item-not-found').reason, 'room-not-found');
  assert.equal(err('not-allowed').reason, 'creation-refused');
  assert.equal(err('service-unavailable').reason, 'room-full');
  assert.equal(err('jid-malformed').reason, 'nickname-invalid');
  assert.equal(joinErrorReason('bogus'), 'other');
  const bare = parseOccupantPresence(el(`<presence from='${ROOM}/n' type='error'/>`)) as MucPresenceError;
  assert.equal(bare.condition, 'undefined-condition');
  const fromRoom = parseOccupantPresence(el(`<presence from='${ROOM}' type='error'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`)) as MucPresenceError;
  assert.deepEqual([fromRoom.room, fromRoom.nick, fromRoom.reason], [ROOM, '', 'banned']);
  assert.equal(parseOccupantPresence(el(`<presence from='shakespeare.lit' type='error'/>`)), null, 'a server is not a room');
});

test('groupchat messages: body, subject, stanza-id by the room only, occupant-id, delay from the room only', () => {
  const m = parseGroupchat(el(`<message from='${ROOM}/thirdwitch' to='crone1@shakespeare.lit/desktop' type='groupchat' id='hysf1v37'>
    <body>Harpier cries: 'tis time, 'tis time. &lt;script&gt;</body>
    <origin-id xmlns='urn:xmpp:sid:0' id='o-1'/>
    <stanza-id xmlns='urn:xmpp:sid:0' by='crone1@shakespeare.lit' id='forged-by-sender'/>
    <stanza-id xmlns='urn:xmpp:sid:0' by='${ROOM}' id='room-archive-1'/>
    <occupant-id xmlns='urn:xmpp:occupant-id:0' id='occ-3'/>
    <delay xmlns='urn:xmpp:delay' from='evil.example' stamp='2002-10-13T23:58:37Z'/>
    <delay xmlns='urn:xmpp:delay' from='${ROOM}' stamp='2002-10-13T23:58:40Z'/>
  </message>`), now)!;
  assert.deepEqual(m, {
    room: ROOM, nick: 'thirdwitch', messageId: 'hysf1v37', originId: 'o-1', stanzaId: 'room-archive-1', occupantId: 'occ-3',
    body: "Harpier cries: 'tis time, 'tis time. <script>", subject: null, delay: new Date('2002-10-13T23:58:40Z'), encrypted: null,
  });
  const subject = parseGroupchat(el(`<message from='${ROOM}/wiccarocks' type='groupchat'><subject>Fire Burn and Cauldron Bubble!</subject></message>`))!;
  assert.equal(subject.subject, 'Fire Burn and Cauldron Bubble!');
  assert.equal(subject.body, null);
  assert.equal(parseGroupchat(el(`<message from='${ROOM}' type='groupchat'><subject/></message>`))!.subject, '', 'an empty subject clears it');
  assert.equal(parseGroupchat(el(`<message from='${ROOM}' type='groupchat'><body>room says</body></message>`))!.nick, null);
  assert.equal(parseGroupchat(el(`<message from='${ROOM}/x' type='groupchat'><body>b</body><delay xmlns='urn:xmpp:delay' from='${ROOM}' stamp='2099-01-01T00:00:00Z'/></message>`), now)!.delay, null);
  assert.equal(parseGroupchat(el(`<message from='${ROOM}/x' type='chat'><body>b</body></message>`)), null);
  assert.equal(parseGroupchat(el(`<message from='${ROOM}/x' type='groupchat'/>`)), null);
  assert.equal(parseGroupchat(el(`<message from='@bad/x' type='groupchat'><body>b</body></message>`)), null);
  assert.equal(parseGroupchat(el(`<message from='shakespeare.lit' type='groupchat'><body>b</body></message>`)), null);
});

test('MUC-PM: from room/nick of a room we are in; the muc#user mark is reported, a stranger is never a MUC-PM', () => {
  const inRoom = (bare: string) => bare === ROOM;
  const pm = el(`<message from='${ROOM}/firstwitch' to='crone1@shakespeare.lit/desktop' type='chat'><body>I'll give thee a wind.</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`);
  assert.deepEqual(mucPmOf(pm, inRoom), { room: ROOM, nick: 'firstwitch', marked: true });
  assert.deepEqual(mucPmOf(el(`<message from='${ROOM}/firstwitch' type='chat'><body>x</body></message>`), inRoom), { room: ROOM, nick: 'firstwitch', marked: false });
  assert.equal(mucPmOf(el(`<message from='bob@example.org/phone' type='chat'><body>x</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`), inRoom), null);
  assert.equal(mucPmOf(el(`<message from='${ROOM}' type='chat'><body>x</body></message>`), inRoom), null);
  assert.equal(mucPmOf(el(`<message from='${ROOM}/x' type='groupchat'><body>x</body></message>`), inRoom), null);
  assert.equal(buildMucPm(ROOM, 'firstwitch', 'p1', 'hi')!.toString(),
    '<message to="coven@chat.shakespeare.lit/firstwitch" type="chat" id="p1"><body>hi</body><x xmlns="http://jabber.org/protocol/muc#user"/><origin-id xmlns="urn:xmpp:sid:0" id="p1"/></message>');
});

test('invitations: direct (XEP-0249) and mediated (XEP-0045 §7.8.2), declines; forged shapes refused', () => {
  assert.equal(buildDirectInvite('hecate@shakespeare.lit', 'darkcave@macbeth.shakespeare.lit', { reason: 'Hey Hecate, this is the place for all good witches!', password: 'cauldronburn' })!.toString(),
    '<message to="hecate@shakespeare.lit"><x xmlns="jabber:x:conference" jid="darkcave@macbeth.shakespeare.lit" reason="Hey Hecate, this is the place for all good witches!" password="cauldronburn"/></message>');
  assert.deepEqual(parseInvitation(el(`<message from='crone1@shakespeare.lit/desktop' to='hecate@shakespeare.lit'>
    <x xmlns='jabber:x:conference' jid='darkcave@macbeth.shakespeare.lit' password='cauldronburn' reason='Hey Hecate!' continue='true' thread='e0ffe42b28561960c6b12b944a092794b9683a38'/></message>`)), {
    kind: 'direct', room: 'darkcave@macbeth.shakespeare.lit', inviter: 'crone1@shakespeare.lit', reason: 'Hey Hecate!', password: 'cauldronburn',
    continueThread: 'e0ffe42b28561960c6b12b944a092794b9683a38',
  });
  assert.equal(buildMediatedInvite(ROOM, 'hecate@shakespeare.lit', 'Hey Hecate')!.toString(),
    '<message to="coven@chat.shakespeare.lit"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="hecate@shakespeare.lit"><reason>Hey Hecate</reason></invite></x></message>');
  assert.deepEqual(parseInvitation(el(`<message from='${ROOM}' id='nzd143v8' to='hecate@shakespeare.lit'>
    <x xmlns='http://jabber.org/protocol/muc#user'><invite from='crone1@shakespeare.lit/desktop'><reason>Hey Hecate, this is the place for all good witches!</reason></invite><password>cauldronburn</password></x></message>`)), {
    kind: 'mediated', room: ROOM, inviter: 'crone1@shakespeare.lit', reason: 'Hey Hecate, this is the place for all good witches!', password: 'cauldronburn', continueThread: null,
  });
  // a mediated invite from an occupant JID (not the room) or without inviter; a direct one naming no room
  assert.equal(parseInvitation(el(`<message from='${ROOM}/x'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@b'/></x></message>`)), null);
  assert.equal(parseInvitation(el(`<message from='${ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'><invite/></x></message>`)), null);
  assert.equal(parseInvitation(el(`<message from='a@b'><x xmlns='jabber:x:conference' jid='b'/></message>`)), null);
  assert.equal(buildDecline(ROOM, 'crone1@shakespeare.lit', 'Sorry, I am busy')!.toString(),
    '<message to="coven@chat.shakespeare.lit"><x xmlns="http://jabber.org/protocol/muc#user"><decline to="crone1@shakespeare.lit"><reason>Sorry, I am busy</reason></decline></x></message>');
  assert.deepEqual(parseDecline(el(`<message from='${ROOM}' to='crone1@shakespeare.lit/desktop'><x xmlns='http://jabber.org/protocol/muc#user'>
    <decline from='hecate@shakespeare.lit'><reason>Sorry, I'm too busy right now.</reason></decline></x></message>`)), { room: ROOM, invitee: 'hecate@shakespeare.lit', reason: "Sorry, I'm too busy right now." });
});

test('muc#admin: kick, ban, voice, member, moderator, admin, owner; item lists read and bounded', () => {
  assert.equal(buildAdminSet(ROOM, [admin.kick('pistol', 'Avaunt, you cullion!')])!.toString(),
    '<iq type="set" to="coven@chat.shakespeare.lit"><query xmlns="http://jabber.org/protocol/muc#admin"><item nick="pistol" role="none"><reason>Avaunt, you cullion!</reason></item></query></iq>');
  assert.equal(buildAdminSet(ROOM, [admin.ban('Earlofcambridge@shakespeare.lit/x')])!.toString(),
    '<iq type="set" to="coven@chat.shakespeare.lit"><query xmlns="http://jabber.org/protocol/muc#admin"><item jid="earlofcambridge@shakespeare.lit" affiliation="outcast"/></query></iq>');
  const roles = [admin.voice('a'), admin.revokeVoice('b'), admin.moderator('c')].map((c) => c.kind === 'role' && c.role);
  assert.deepEqual(roles, ['participant', 'visitor', 'moderator']);
  const affs = [admin.member('a@b'), admin.admin('a@b'), admin.owner('a@b'), admin.none('a@b')].map((c) => c.kind === 'affiliation' && c.affiliation);
  assert.deepEqual(affs, ['member', 'admin', 'owner', 'none']);
  assert.equal(buildAdminSet(ROOM, [admin.ban('not a jid')]), null);
  assert.equal(buildAdminSet(ROOM, []), null);
  assert.equal(buildAdminGet(ROOM, { affiliation: 'outcast' })!.toString(),
    '<iq type="get" to="coven@chat.shakespeare.lit"><query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="outcast"/></query></iq>');
  const list = parseAdminItems(el(`<iq from='${ROOM}' type='result'><query xmlns='http://jabber.org/protocol/muc#admin'>
    <item affiliation='outcast' jid='earlofcambridge@shakespeare.lit'><reason>Treason</reason></item>
    <item affiliation='member' jid='hag66@shakespeare.lit' nick='thirdwitch' role='participant'/>
    <item affiliation='bogus' jid='x@y'/><item/></query></iq>`))!;
  assert.deepEqual(list.items, [
    { jid: 'earlofcambridge@shakespeare.lit', nick: null, affiliation: 'outcast', role: null, reason: 'Treason' },
    { jid: 'hag66@shakespeare.lit', nick: 'thirdwitch', affiliation: 'member', role: 'participant', reason: null },
    { jid: 'x@y', nick: null, affiliation: null, role: null, reason: null },
  ]);
  const many = parseAdminItems(el(`<iq type='result'><query xmlns='http://jabber.org/protocol/muc#admin'>${"<item jid='a@b' affiliation='member'/>".repeat(20)}</query></iq>`), 5)!;
  assert.deepEqual([many.items.length, many.truncated], [5, true]);
  assert.equal(parseAdminItems(el(`<iq type='error'/>`)), null);
});

test('muc#owner: the config form, instant room, destroy', () => {
  const form = parseConfigForm(el(`<iq from='${ROOM}' type='result'><query xmlns='http://jabber.org/protocol/muc#owner'>
    <x xmlns='jabber:x:data' type='form'><title>Configuration for "coven" Room</title>
      <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
      <field label='Natural-Language Room Name' type='text-single' var='muc#roomconfig_roomname'/>
      <field label='Make Room Persistent?' type='boolean' var='muc#roomconfig_persistentroom'><value>0</value></field>
      <field label='Who May Discover Real JIDs?' type='list-single' var='muc#roomconfig_whois'>
        <option label='Moderators Only'><value>moderators</value></option><option label='Anyone'><value>anyone</value></option></field>
    </x></query></iq>`));
  assert.ok(form.ok);
  assert.equal(form.form.formType, 'http://jabber.org/protocol/muc#roomconfig');
  assert.equal(form.form.fields.length, 4);
  assert.equal(buildInstantRoom(ROOM)!.toString(),
    '<iq type="set" to="coven@chat.shakespeare.lit"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"/></query></iq>');
  assert.equal(buildDestroy(ROOM, { alternate: 'heath@chat.shakespeare.lit', reason: 'Macbeth doth come.', password: 'cauldronburn' })!.toString(),
    '<iq type="set" to="coven@chat.shakespeare.lit"><query xmlns="http://jabber.org/protocol/muc#owner"><destroy jid="heath@chat.shakespeare.lit"><reason>Macbeth doth come.</reason><password>cauldronburn</password></destroy></query></iq>');
  assert.equal(buildDestroy(ROOM, { alternate: 'not a room' }), null);
  assert.equal(buildConfigSubmit('nope', el('<x/>')), null);
});

test('XEP-0425 moderation: v0 (apply-to, Prosody 0.12 / ejabberd 23.01) and v1 requests; both announcements read', () => {
  assert.equal(buildModerate(ROOM, 'stanza-id-1', 0, 'spam')!.toString(),
    '<iq type="set" to="coven@chat.shakespeare.lit"><apply-to xmlns="urn:xmpp:fasten:0" id="stanza-id-1"><moderate xmlns="urn:xmpp:message-moderate:0"><retract xmlns="urn:xmpp:message-retract:0"/><reason>spam</reason></moderate></apply-to></iq>');
  assert.equal(buildModerate(ROOM, 'stanza-id-1', 1)!.toString(),
    '<iq type="set" to="coven@chat.shakespeare.lit"><moderate xmlns="urn:xmpp:message-moderate:1" id="stanza-id-1"><retract xmlns="urn:xmpp:message-retract:1"/></moderate></iq>');
  assert.equal(moderationVersion(['urn:xmpp:message-moderate:0']), 0);
  assert.equal(moderationVersion(['urn:xmpp:message-moderate:0', 'urn:xmpp:message-moderate:1']), 1);
  assert.equal(moderationVersion([]), null);
  assert.deepEqual(parseModeration(el(`<message type='groupchat' from='${ROOM}' id='retraction-id-1'>
    <apply-to id='stanza-id-1' xmlns='urn:xmpp:fasten:0'><moderated by='${ROOM}/macbeth' xmlns='urn:xmpp:message-moderate:0'>
      <retract xmlns='urn:xmpp:message-retract:0'/><reason>This message contains inappropriate content</reason></moderated></apply-to></message>`)), {
    room: ROOM, stanzaId: 'stanza-id-1', by: `${ROOM}/macbeth`, reason: 'This message contains inappropriate content',
  });
  assert.deepEqual(parseModeration(el(`<message type='groupchat' from='${ROOM}'>
    <retract id='stanza-id-1' xmlns='urn:xmpp:message-retract:1'><moderated by='${ROOM}/macbeth' xmlns='urn:xmpp:message-moderate:1'/>
    <reason>spam</reason></retract></message>`)), { room: ROOM, stanzaId: 'stanza-id-1', by: `${ROOM}/macbeth`, reason: 'spam' });
  // an occupant cannot announce a moderation: only the room's bare JID
  assert.equal(parseModeration(el(`<message type='groupchat' from='${ROOM}/evil'><retract id='x' xmlns='urn:xmpp:message-retract:1'><moderated xmlns='urn:xmpp:message-moderate:1'/></retract></message>`)), null);
});

test('XEP-0410 self-ping: built to our own occupant JID; which answers mean still joined', () => {
  assert.equal(buildSelfPing(ROOM, 'thirdwitch')!.toString(), '<iq type="get" to="coven@chat.shakespeare.lit/thirdwitch"><ping xmlns="urn:xmpp:ping"/></iq>');
  const error = (cond: string) => el(`<iq type='error' from='${ROOM}/thirdwitch'><error type='cancel'><${cond} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
  assert.equal(parseSelfPingAnswer(el(`<iq type='result' from='${ROOM}/thirdwitch'/>`)), 'joined');
  assert.equal(parseSelfPingAnswer(error('service-unavailable')), 'joined');
  assert.equal(parseSelfPingAnswer(error('feature-not-implemented')), 'joined');
  assert.equal(parseSelfPingAnswer(error('item-not-found')), 'joined');
  assert.equal(parseSelfPingAnswer(error('remote-server-timeout')), 'unknown');
  assert.equal(parseSelfPingAnswer(error('remote-server-not-found')), 'unknown');
  assert.equal(parseSelfPingAnswer(error('not-acceptable')), 'not-joined');
  assert.equal(parseSelfPingAnswer(error('bad-request')), 'not-joined');
  assert.equal(parseSelfPingAnswer(null), 'unknown');
});

test('disco: the conference component among the server items; room info with features and the muc#roominfo form', () => {
  const items = parseDiscoItems(el(`<iq type='result' from='shakespeare.lit'><query xmlns='http://jabber.org/protocol/disco#items'>
    <item jid='chat.shakespeare.lit' name='Chatrooms'/><item jid='upload.shakespeare.lit'/><item jid='@bad'/></query></iq>`))!;
  assert.deepEqual(items.items.map((i) => i.jid), ['chat.shakespeare.lit', 'upload.shakespeare.lit']);
  const service = parseDiscoInfo(el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'>
    <identity category='conference' name='Shakespearean Chat Service' type='text'/><feature var='http://jabber.org/protocol/muc'/></query></iq>`))!;
  assert.equal(isMucService(service), true);
  assert.equal(isMucService(parseDiscoInfo(el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='store' type='file'/></query></iq>`))!), false);

  const info = parseRoomInfo(el(`<iq from='${ROOM}' type='result'><query xmlns='http://jabber.org/protocol/disco#info'>
    <identity category='conference' name='A Dark Cave' type='text'/>
    <feature var='http://jabber.org/protocol/muc'/><feature var='muc_passwordprotected'/><feature var='muc_hidden'/>
    <feature var='muc_membersonly'/><feature var='muc_moderated'/><feature var='muc_nonanonymous'/><feature var='muc_persistent'/>
    <feature var='urn:xmpp:mam:2'/><feature var='urn:xmpp:occupant-id:0'/><feature var='urn:xmpp:message-moderate:0'/>
    <x xmlns='jabber:x:data' type='result'>
      <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo</value></field>
      <field var='muc#roominfo_description' label='Description'><value>The place for all good witches! &lt;img src=x onerror=alert(1)&gt;</value></field>
      <field var='muc#roominfo_occupants' label='Number of occupants'><value>3</value></field>
      <field var='muc#roominfo_subject' label='Current Discussion Topic'><value>Spells</value></field>
    </x></query></iq>`))!;
  assert.deepEqual({ ...info, form: null }, {
    name: 'A Dark Cave', membersOnly: true, nonAnonymous: true, persistent: true, passwordProtected: true, isPublic: false, moderated: true,
    mam: true, moderation: 0, occupantIds: true, description: 'The place for all good witches! <img src=x onerror=alert(1)>', subject: 'Spells',
    occupants: 3, form: null,
  });
  assert.equal(roomAllowsOmemo(info), true);
  assert.equal(parseRoomInfo(el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='pc'/></query></iq>`)), null);
  const odd = parseRoomInfo(el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text'/>
    <feature var='http://jabber.org/protocol/muc'/><feature var='muc_public'/><feature var='muc_open'/>
    <x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo</value></field>
    <field var='muc#roominfo_occupants'><value>-1e99</value></field></x></query></iq>`))!;
  assert.deepEqual([odd.isPublic, odd.membersOnly, odd.occupants, odd.name, roomAllowsOmemo(odd)], [true, false, null, null, false]);
});

test('builders refuse text that XML cannot carry (a NUL or lone surrogate would make the server close the stream)', () => {
  assert.equal(buildJoin({ room: ROOM, nick: 'ok', password: 'a\u0000b' }), null);
  assert.equal(buildJoin({ room: ROOM, nick: 'half\ud800' }), null);
  assert.ok(buildJoin({ room: ROOM, nick: 'emoji 🧙' }), 'a surrogate pair is fine');
  assert.equal(buildAdminSet(ROOM, [admin.kick('pistol', 'bad\u0001reason')]), null);
  assert.equal(buildDestroy(ROOM, { reason: '\uffff' }), null);
  assert.equal(buildMediatedInvite(ROOM, 'a@b.c', '\u0008'), null);
  assert.equal(buildModerate(ROOM, 'id', 1, '\u0000'), null);
  assert.equal(buildMucPm(ROOM, 'x', 'id', 'a\u0000'), null);
});
