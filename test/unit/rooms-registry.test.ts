/**
 * The room registry (server/features/rooms/) with a fake connection and literal stanzas: the coalescer, the
 * occupant table, the join state machine (self-presence, refusals, kick mid-join, timeout), routing decisions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { RoomRegistry } from '../../server/features/rooms/registry.js';
import { OccupantTable } from '../../server/features/rooms/occupants.js';
import { OccupantCoalescer, MAX_PER_DELTA } from '../../server/features/rooms/coalescer.js';
import type { SessionContext } from '../../server/features/context.js';
import type { OccupantDTO, OccupantsDeltaDTO } from '../../server/realtime/contract/rooms.js';
import type { RoomMessagesPort } from '../../server/features/rooms/ports.js';
import { XmppStanzaError } from '../../server/xmpp/errors.js';

const ME = 'alice@example.org';
const ROOM = 'lobby@conference.example.org';
const el = (s: string) => parse(s) as Element;
const quiet = { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined };

const occupantDto = (nick: string): OccupantDTO => ({ nick, role: 'participant', affiliation: 'none', jid: null, show: 'available', status: null, occupantId: null, avatar: null });

const presence = (nick: string, opts: { type?: string; role?: string; aff?: string; codes?: number[]; extra?: string; jid?: string } = {}) =>
  el(
    `<presence from='${ROOM}/${nick}' to='${ME}/parley'${opts.type ? ` type='${opts.type}'` : ''}><x xmlns='http://jabber.org/protocol/muc#user'>` +
      `<item affiliation='${opts.aff ?? 'none'}' role='${opts.role ?? (opts.type === 'unavailable' ? 'none' : 'participant')}'${opts.jid ? ` jid='${opts.jid}'` : ''}>${opts.extra ?? ''}</item>` +
      `${(opts.codes ?? []).map((c) => `<status code='${c}'/>`).join('')}</x></presence>`,
  );

function fakeSession(opts: { discoAnswer?: 'none' | 'room' | 'not-found'; away?: boolean } = {}) {
  const sent: Element[] = [];
  const emitted: [string, unknown][] = [];
  const stored: unknown[] = [];
  const conn = {
    state: 'online',
    jid: `${ME}/parley`,
    async send(e: Element) {
      sent.push(e);
    },
    async iq(e: Element, timeoutMs = 30_000): Promise<Element> {
      sent.push(e);
      const q = e.getChild('query');
      if (q?.attrs.xmlns === 'http://jabber.org/protocol/disco#info') {
        if (opts.discoAnswer === 'none') return new Promise((_, rej) => setTimeout(() => rej(new XmppStanzaError('remote-server-timeout', 'wait')), Math.min(timeoutMs, 50)));
        if (opts.discoAnswer === 'not-found') throw new XmppStanzaError('item-not-found', 'cancel');
        return el(
          `<iq type='result' from='${e.attrs.to}'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text' name='The Lobby'/>` +
            `<feature var='http://jabber.org/protocol/muc'/><feature var='muc_membersonly'/><feature var='muc_nonanonymous'/><feature var='urn:xmpp:mam:2'/></query></iq>`,
        );
      }
      return el(`<iq type='result'/>`);
    },
  };
  const ctx = {
    accountId: '1',
    jid: ME,
    conn,
    stores: {
      rooms: {
        async save(_a: string, r: unknown) {
          stored.push(r);
        },
        async remove() {},
        async list() {
          return [];
        },
      },
    },
    log: quiet,
    emit: (name: string, payload: unknown) => emitted.push([name, payload]),
  } as unknown as SessionContext;
  const reg = new RoomRegistry(ctx, {
    nickname: async () => 'Ally',
    ownPresence: () => (opts.away ? { show: 'away', status: 'lunch' } : { show: 'available', status: null }),
    timing: { joinTimeoutMs: 300, discoTimeoutMs: 100, coalesceMs: 30 } });
  const joins = () => sent.filter((s) => s.name === 'presence');
  return { reg, sent, emitted, stored, joins, conn };
}

// The registry's timers are unref'd (a live session has its socket): keep the test's event loop alive meanwhile.
const keepAlive = setInterval(() => undefined, 1000);
test.after(() => clearInterval(keepAlive));

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(cond: () => boolean, what: string, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not reached: ${what}`);
    await tick();
  }
}

test('occupant table: bounded, counts past the bound, suggests a free nickname', () => {
  const t = new OccupantTable(3);
  const occ = (nick: string, available = true) => ({ room: ROOM, nick, available, affiliation: 'none' as const, role: 'participant' as const, jid: null, show: 'available' as const, status: null, occupantId: null });
  assert.deepEqual(t.apply(occ('a')).kind, 'present');
  t.apply(occ('b'));
  t.apply(occ('c'));
  assert.equal(t.apply(occ('d')).kind, 'none');
  assert.equal(t.list().length, 3);
  assert.equal(t.count, 4);
  assert.equal(t.apply(occ('a', false)).kind, 'gone');
  assert.equal(t.count, 3);
  t.apply(occ('x_'));
  assert.equal(new OccupantTable().suggest('x'), 'x_');
  const u = new OccupantTable();
  u.apply(occ('x_'));
  assert.equal(u.suggest('x'), 'x2');
});

test('coalescer: a 5,000-presence burst becomes a handful of bounded deltas, summary counted', async () => {
  const deltas: OccupantsDeltaDTO[] = [];
  let count = 0;
  const c = new OccupantCoalescer(ROOM, () => count, (d) => deltas.push(d), 40);
  for (let i = 0; i < 5000; i++) {
    count++;
    c.presentOccupant(occupantDto(`n${i}`), true);
  }
  c.goneOccupant('n1', true);
  await waitUntil(() => deltas.reduce((n, d) => n + d.present.length, 0) >= 4999, 'all present sent');
  assert.ok(deltas.length <= 6, `${deltas.length} deltas`);
  for (const d of deltas) assert.ok(d.present.length + d.gone.length <= MAX_PER_DELTA);
  assert.equal(deltas[0]!.joined.total, 5000);
  assert.equal(deltas[0]!.joined.nicks.length, 20);
  assert.equal(deltas[0]!.left.total, 1);
  assert.deepEqual(deltas[0]!.gone, [], 'joined and gone before the tabs heard of it: nothing to take back');
  // A present then gone nick is not sent as present.
  assert.ok(!deltas.some((d) => d.present.some((o) => o.nick === 'n1')));
  // Spaced at least one window apart.
  c.presentOccupant(occupantDto('late'), true);
  c.presentOccupant(occupantDto('later'), true);
  await waitUntil(() => deltas.some((d) => d.present.some((o) => o.nick === 'later')), 'late ones sent');
  assert.equal(deltas.filter((d) => d.present.some((o) => o.nick === 'late' || o.nick === 'later')).length, 1);
});

test('coalescer: 10,000 join/leave pairs of new nicks in one window keep nothing pending but the counts; a known occupant leaving is sent', async () => {
  const deltas: OccupantsDeltaDTO[] = [];
  const c = new OccupantCoalescer(ROOM, () => 1, (d) => deltas.push(d), 40);
  c.presentOccupant(occupantDto('known'), true);
  c.flush();
  for (let i = 0; i < 10_000; i++) {
    c.presentOccupant(occupantDto(`f${i}`), true);
    c.goneOccupant(`f${i}`, true);
  }
  c.goneOccupant('known', true);
  await waitUntil(() => deltas.length === 2, 'second delta');
  await tick(100);
  assert.equal(deltas.length, 2);
  assert.deepEqual(deltas[1]!.present, []);
  assert.deepEqual(deltas[1]!.gone, ['known']);
  assert.equal(deltas[1]!.joined.total, 10_000);
  assert.equal(deltas[1]!.left.total, 10_001);
});

test('join: disco#info first, default nick from the profile, resolves on the self-presence (110), occupants coalesced', async () => {
  const s = fakeSession({ away: true });
  const history: unknown[] = [];
  const joined: string[] = [];
  s.reg.messages = {
    async joinHistory(room) {
      history.push(room);
      return { kind: 'none' };
    },
    joined: (room) => joined.push(room),
    async receive() {},
  } satisfies RoomMessagesPort;
  const p = s.reg.join(ROOM);
  await waitUntil(() => s.joins().length === 1, 'join sent');
  const join = s.joins()[0]!;
  assert.equal(s.sent[0]!.name, 'iq', 'disco#info first');
  assert.equal(join.attrs.to, `${ROOM}/Ally`);
  assert.equal(join.getChild('x', 'http://jabber.org/protocol/muc')?.getChild('history')?.attrs.maxchars, '0');
  assert.equal(join.getChildText('show'), 'away', 'the join carries our presence');
  assert.equal(join.getChildText('status'), 'lunch');
  assert.equal(s.reg.dto(ROOM)?.state, 'joining');
  assert.equal(s.reg.receivePresence(presence('bob')), true);
  assert.equal(s.reg.receivePresence(presence('Ally', { aff: 'member', codes: [110, 100] })), true);
  const dto = await p;
  assert.equal(dto.state, 'joined');
  assert.equal(dto.affiliation, 'member');
  assert.equal(dto.name, 'The Lobby');
  assert.equal(dto.features.membersOnly, true);
  assert.equal(dto.omemo.allowed, true);
  assert.deepEqual(history, [ROOM]);
  assert.deepEqual(joined, [ROOM]);
  assert.equal(s.reg.occupants(ROOM).length, 2);
  await waitUntil(() => s.emitted.some(([n]) => n === 'occupants'), 'occupants delta');
  const deltas = s.emitted.filter(([n]) => n === 'occupants').map(([, d]) => d as OccupantsDeltaDTO);
  assert.equal(deltas.length, 1);
  assert.equal(deltas[0]!.count, 2);
  assert.equal(deltas[0]!.joined.total, 0, 'who was there before our self-presence did not "join"');
  assert.deepEqual(deltas[0]!.present.map((o) => o.nick).sort(), ['Ally', 'bob']);
  // Joined already: at once.
  assert.equal((await s.reg.join(ROOM)).state, 'joined');
  s.reg.close();
});

test('join refused: nickname in use gives a free suggestion; password; members-only; banned', async () => {
  for (const [condition, reason] of [['conflict', 'nickname-in-use'], ['not-authorized', 'password-required'], ['registration-required', 'members-only'], ['forbidden', 'banned']] as const) {
    const s = fakeSession({ discoAnswer: 'not-found' });
    const p = s.reg.join(ROOM, { nick: 'ally' });
    await waitUntil(() => s.joins().length === 1, 'join sent');
    s.reg.receivePresence(el(`<presence from='${ROOM}/ally' type='error'><x xmlns='http://jabber.org/protocol/muc'/><error type='cancel'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`));
    await assert.rejects(p, (err: { error: { reason: string; suggestion: string | null } }) => {
      assert.equal(err.error.reason, reason);
      assert.equal(err.error.suggestion, reason === 'nickname-in-use' ? 'ally_' : null);
      return true;
    });
    // Told to the tabs as 'left' with the reason; never joined, so not kept as a room.
    const told = s.emitted.filter(([n]) => n === 'room').at(-1)![1] as { room: { state: string; error: { reason: string } } };
    assert.equal(told.room.state, 'left');
    assert.equal(told.room.error.reason, reason);
    assert.equal(s.reg.dto(ROOM), undefined);
    assert.equal(s.reg.isRoom(ROOM), false);
    s.reg.close();
  }
});

test('kicked in the middle of joining, and kicked / destroyed while joined: left with the reason, no rejoin', async () => {
  const s = fakeSession();
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('ally', { type: 'unavailable', codes: [110, 307], extra: `<actor nick='mod'/><reason>go away</reason>` }));
  await assert.rejects(p, (err: { error: { reason: string; text: string } }) => err.error.reason === 'kicked' && err.error.text === 'go away');

  const q = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 2, 'second join sent');
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await q;
  s.reg.receivePresence(
    el(`<presence from='${ROOM}/ally' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/><destroy jid='new@conference.example.org'><reason>moved</reason></destroy><status code='110'/></x></presence>`),
  );
  const dto = s.reg.dto(ROOM)!;
  assert.equal(dto.state, 'left');
  assert.deepEqual(dto.error, { reason: 'destroyed', text: 'moved', suggestion: 'new@conference.example.org' });
  // A fresh session does not rejoin it.
  s.reg.rejoinAll();
  assert.equal(s.joins().length, 2);
  s.reg.close();
});

test('a room that never answers: timeout after joinTimeoutMs, state left, a leave is sent', async () => {
  const s = fakeSession({ discoAnswer: 'none' });
  const started = Date.now();
  await assert.rejects(s.reg.join(ROOM, { nick: 'ally' }), (err: { error: { reason: string } }) => err.error.reason === 'timeout');
  assert.ok(Date.now() - started >= 250);
  assert.equal(s.reg.dto(ROOM), undefined, 'never joined: not kept');
  assert.equal(s.joins().at(-1)?.attrs.type, 'unavailable');
  s.reg.close();
});

test('an address that answers disco#info as no room (a contact) is refused before any join presence, and stays a contact', async () => {
  const s = fakeSession();
  s.conn.iq = async (e: Element) => {
    s.sent.push(e);
    return el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/></query></iq>`);
  };
  await assert.rejects(s.reg.join('bob@example.org'), (err: { error: { reason: string } }) => err.error.reason === 'room-not-found');
  assert.equal(s.joins().length, 0);
  assert.equal(s.reg.receivePresence(el(`<presence from='bob@example.org/phone'/>`)), false);
  assert.equal(await s.reg.receivePrivate(el(`<message from='bob@example.org/phone' type='chat'><body>hi</body></message>`), new Date(), false), false);
  s.reg.close();
});

test('routing: presence without muc#user from a room is dropped, never the roster’s; unknown room presence with muc#user dropped; a contact’s passes', async () => {
  const s = fakeSession();
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await p;
  assert.equal(s.reg.receivePresence(el(`<presence from='${ROOM}/mallory'/>`)), true);
  assert.equal(s.reg.occupants(ROOM).some((o) => o.nick === 'mallory'), false);
  assert.equal(s.reg.receivePresence(presence('x').attr('from', 'other@conference.example.org/x') as Element), true);
  assert.equal(s.reg.receivePresence(el(`<presence from='bob@example.org/phone'/>`)), false);
  s.reg.close();
});

test('groupchat: subject kept, messages handed on; non-occupant live message and unknown room dropped; MUC-PM never a direct chat', async () => {
  const s = fakeSession();
  const got: Element[] = [];
  s.reg.messages = { joinHistory: async () => ({ kind: 'none' }), joined: () => undefined, receive: async (e) => void got.push(e) };
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('bob'));
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await p;
  await s.reg.receiveGroupchat(el(`<message from='${ROOM}/bob' type='groupchat'><subject>Hello &lt;b&gt;</subject></message>`), new Date());
  assert.equal(s.reg.dto(ROOM)?.subject, 'Hello <b>');
  assert.equal(s.reg.dto(ROOM)?.subjectBy, 'bob');
  // On join the room sends the subject in the name of whoever set it, maybe gone long ago: kept all the same.
  await s.reg.receiveGroupchat(el(`<message from='${ROOM}/longgone' type='groupchat'><subject>Older</subject></message>`), new Date());
  assert.equal(s.reg.dto(ROOM)?.subject, 'Older');
  await s.reg.receiveGroupchat(el(`<message from='${ROOM}/bob' type='groupchat'><body>hi</body></message>`), new Date());
  await s.reg.receiveGroupchat(el(`<message from='${ROOM}/ghost' type='groupchat'><body>boo</body></message>`), new Date());
  await s.reg.receiveGroupchat(el(`<message from='other@conference.example.org/bob' type='groupchat'><body>elsewhere</body></message>`), new Date());
  // History from someone who left since: delayed by the room, kept.
  await s.reg.receiveGroupchat(el(`<message from='${ROOM}/gone' type='groupchat'><body>old</body><delay xmlns='urn:xmpp:delay' from='${ROOM}' stamp='2020-01-01T00:00:00Z'/></message>`), new Date());
  assert.deepEqual(got.map((g) => g.getChildText('body')), [null, null, 'hi', 'old']);
  assert.equal(await s.reg.receivePrivate(el(`<message from='${ROOM}/bob' type='chat'><body>psst</body></message>`), new Date(), false), true);
  assert.equal(await s.reg.receivePrivate(el(`<message from='stranger@conference.example.org/bob' type='chat'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`), new Date(), false), true);
  assert.equal(await s.reg.receivePrivate(el(`<message from='bob@example.org/phone' type='chat'><body>direct</body></message>`), new Date(), false), false);
  assert.equal(await s.reg.receivePrivate(el(`<message from='${ME}/other' to='${ROOM}/bob' type='chat'><body>mine</body></message>`), new Date(), true), true);
  assert.equal(s.reg.fromRoomItself(el(`<message from='${ROOM}'><body>notice</body></message>`)), true);
  s.reg.close();
});

test('nick change: 303 then the new self-presence; a conflict rejects with a suggestion and keeps the old nick', async () => {
  const s = fakeSession();
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('carl'));
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await p;
  const n = s.reg.changeNick(ROOM, 'carl');
  await tick();
  s.reg.receivePresence(el(`<presence from='${ROOM}/carl' type='error'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`));
  await assert.rejects(n, (err: { error: { suggestion: string } }) => err.error.suggestion === 'carl_');
  assert.equal(s.reg.dto(ROOM)?.nick, 'ally');
  const m = s.reg.changeNick(ROOM, 'allison');
  await tick();
  s.reg.receivePresence(presence('ally', { type: 'unavailable', codes: [110, 303], extra: '' }).getChild('x')!.getChild('item')!.attr('nick', 'allison').root() as Element);
  s.reg.receivePresence(presence('allison', { codes: [110] }));
  assert.equal((await m).nick, 'allison');
  assert.deepEqual(s.reg.occupants(ROOM).map((o) => o.nick).sort(), ['allison', 'carl']);
  s.reg.close();
});

test('rejoin: a fresh session joins wanted rooms again; self-ping not-acceptable rejoins', async () => {
  const s = fakeSession();
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await p;
  s.reg.rejoinAll();
  assert.equal(s.reg.dto(ROOM)?.state, 'rejoining');
  await waitUntil(() => s.joins().length === 2, 'rejoin sent');
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  assert.equal(s.reg.dto(ROOM)?.state, 'joined');
  // Self-ping answered not-acceptable: rejoin.
  s.conn.iq = async (e: Element) => {
    s.sent.push(e);
    if (e.getChild('ping')) throw XmppStanzaError.fromStanza(el(`<iq type='error' from='${ROOM}/ally'><error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`));
    throw new XmppStanzaError('item-not-found', 'cancel');
  };
  s.reg.resumed();
  await waitUntil(() => s.joins().length === 3, 'rejoin after self-ping');
  assert.equal(s.reg.dto(ROOM)?.state, 'rejoining');
  s.reg.close();
});

test('discovery: services by their conference identity, browse filtered and paged (100 per page, next = last jid), room info', async () => {
  const s = fakeSession();
  const items = (jids: { jid: string; name?: string }[]) =>
    `<query xmlns='http://jabber.org/protocol/disco#items'>${jids.map((j) => `<item jid='${j.jid}'${j.name ? ` name='${j.name}'` : ''}/>`).join('')}</query>`;
  const rooms = Array.from({ length: 250 }, (_, i) => ({ jid: `r${String(i).padStart(3, '0')}@conference.example.org`, name: i % 2 ? `Cake ${i}` : `Tea ${i}` }));
  s.conn.iq = async (e: Element) => {
    const ns = e.getChild('query')?.attrs.xmlns;
    if (ns === 'http://jabber.org/protocol/disco#items' && e.attrs.to === 'example.org') {
      return el(`<iq type='result'>${items([{ jid: 'conference.example.org' }, { jid: 'upload.example.org' }])}</iq>`);
    }
    if (ns === 'http://jabber.org/protocol/disco#items') return el(`<iq type='result'>${items(rooms)}</iq>`);
    if (e.attrs.to === 'conference.example.org') {
      return el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text'/><feature var='http://jabber.org/protocol/muc'/></query></iq>`);
    }
    if (e.attrs.to === 'upload.example.org') return el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='store' type='file'/></query></iq>`);
    return el(
      `<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text' name='R &lt;3'/><feature var='http://jabber.org/protocol/muc'/><feature var='muc_open'/><feature var='muc_semianonymous'/></query></iq>`,
    );
  };
  assert.deepEqual(await s.reg.services(), ['conference.example.org']);
  const p1 = await s.reg.browse(undefined, '', undefined);
  assert.equal(p1.service, 'conference.example.org');
  assert.equal(p1.rooms.length, 100);
  assert.equal(p1.next, 'r099@conference.example.org');
  const p3 = await s.reg.browse('conference.example.org', '', 'r199@conference.example.org');
  assert.equal(p3.rooms.length, 50);
  assert.equal(p3.next, null);
  const cake = await s.reg.browse('conference.example.org', 'CAKE 1', undefined);
  assert.ok(cake.rooms.length > 0 && cake.rooms.every((r) => r.name!.startsWith('Cake 1')));
  const info = await s.reg.info('r001@conference.example.org');
  assert.equal(info.name, 'R <3');
  assert.equal(info.omemo.allowed, false);
  assert.match(info.omemo.reason!, /non-anonymous/);
  await assert.rejects(s.reg.info('not a room'), /not a room address/);
  s.reg.close();
});

test('a rejoin without an answer stays wanted and is tried again (backoff); a refusal that does not pass (banned) ends it', async () => {
  const s = fakeSession();
  s.reg.timing.rejoinRetryMs = 50;
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await p;
  s.reg.rejoinAll();
  await waitUntil(() => s.joins().length === 2, 'rejoin sent');
  // No answer: 'left' with timeout (after joinTimeoutMs, 300 ms here), still wanted: stored so, and retried.
  await waitUntil(() => s.reg.dto(ROOM)?.state === 'left', 'timed out');
  assert.equal(s.reg.dto(ROOM)?.error?.reason, 'timeout');
  assert.equal((s.stored.at(-1) as { joined: boolean }).joined, true);
  await waitUntil(() => s.joins().filter((j) => j.attrs.type !== 'unavailable').length === 3, 'retried');
  assert.equal(s.reg.dto(ROOM)?.state, 'rejoining');
  s.reg.receivePresence(el(`<presence from='${ROOM}/ally' type='error'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`));
  assert.equal(s.reg.dto(ROOM)?.error?.reason, 'banned');
  await s.reg.flushWrites();
  assert.equal((s.stored.at(-1) as { joined: boolean }).joined, false);
  const sentBefore = s.joins().length;
  await tick(200);
  assert.equal(s.joins().length, sentBefore, 'not tried again');
  s.reg.close();
});

test('leave mid-join sends the leave to the nick asked for; setBookmark lists a bookmarked room not joined here', async () => {
  const s = fakeSession({ discoAnswer: 'not-found' });
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  await s.reg.leave(ROOM, true);
  await assert.rejects(p);
  assert.equal(s.joins().at(-1)?.attrs.to, `${ROOM}/ally`);
  assert.equal(s.joins().at(-1)?.attrs.type, 'unavailable');
  assert.ok(s.emitted.some(([n, e]) => n === 'roomRemoved' && (e as { jid: string }).jid === ROOM));
  s.reg.setBookmark('other@conference.example.org', { bookmarked: true, autojoin: false, name: 'Other' });
  const dto = s.reg.dto('other@conference.example.org')!;
  assert.deepEqual([dto.state, dto.bookmarked, dto.autojoin, dto.name, dto.nick], ['left', true, false, 'Other', 'alice']);
  s.reg.setBookmark('nobody@conference.example.org', { bookmarked: false, autojoin: false });
  assert.equal(s.reg.dto('nobody@conference.example.org'), undefined);
  s.reg.close();
});

test('a room flooding subject changes: a few room events and a few writes, the last subject kept', async () => {
  const s = fakeSession();
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await p;
  await s.reg.flushWrites();
  const eventsBefore = s.emitted.filter(([n]) => n === 'room').length;
  const writesBefore = s.stored.length;
  for (let i = 0; i < 1000; i++) await s.reg.receiveGroupchat(el(`<message from='${ROOM}' type='groupchat'><subject>flood ${i}</subject></message>`), new Date());
  await tick(1100);
  await s.reg.flushWrites();
  const events = s.emitted.filter(([n]) => n === 'room').slice(eventsBefore);
  assert.ok(events.length <= 5, `${events.length} room events`);
  assert.equal((events.at(-1)![1] as { room: { subject: string } }).room.subject, 'flood 999');
  assert.ok(s.stored.length - writesBefore <= 5, `${s.stored.length - writesBefore} writes`);
  assert.equal((s.stored.at(-1) as { subject: string }).subject, 'flood 999');
  s.reg.close();
});

test('a room archive result (from the room bare JID) is claimed for the room history part, never the account archive', async () => {
  const s = fakeSession();
  const p = s.reg.join(ROOM, { nick: 'ally' });
  await waitUntil(() => s.joins().length === 1, 'join sent');
  s.reg.receivePresence(presence('ally', { codes: [110] }));
  await p;
  const result = (from: string) =>
    el(`<message from='${from}' to='${ME}/parley'><result xmlns='urn:xmpp:mam:2' queryid='q' id='a1'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/><message from='${ROOM}/bob' type='groupchat'><body>old</body></message></forwarded></result></message>`);
  assert.equal(s.reg.claimArchiveResult(result(ROOM)), true, 'dropped quietly without the history part');
  const got: Element[] = [];
  s.reg.archiveResult = (e) => got.push(e);
  assert.equal(s.reg.claimArchiveResult(result(ROOM)), true);
  assert.equal(got.length, 1);
  assert.equal(s.reg.claimArchiveResult(result('other@conference.example.org')), false, 'not a room of ours: the account archive decides (forged)');
  assert.equal(s.reg.claimArchiveResult(result(`${ROOM}/bob`)), false);
  assert.equal(s.reg.claimArchiveResult(el(`<message from='${ROOM}' type='groupchat'><body>x</body></message>`)), false);
  s.reg.close();
});
