/**
 * features/mutations.ts with an in-memory store: who may change which message, and archived mutations met before
 * their message (paging back through the archive) applied once it is stored, in the right order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { Mutations } from '../../server/features/mutations.js';
import type { SessionContext } from '../../server/features/context.js';
import type { MessageRow } from '../../server/store/messages.js';
import type { NewContent } from '../../server/store/mutations.js';

const ME = 'alice@example.org';
const BOB = 'bob@example.org';

type Row = MessageRow & { version: number; retractedAt: Date | null; editedAt: Date | null; correctionId: string | null };

function row(id: string, direction: 'in' | 'out', peer: string, messageId: string): Row {
  return {
    id, accountId: '1', peer, direction, fromJid: direction === 'in' ? peer : ME, toJid: direction === 'in' ? ME : peer, type: 'chat',
    body: `body of ${messageId}`, encrypted: null, messageId, originId: messageId, stanzaId: null, attachmentUrl: null, attachmentName: null,
    attachmentSize: null, attachmentType: null, stamp: new Date(0), claimedStamp: null, state: 'received', createdAt: new Date(0),
    version: 0, retractedAt: null, editedAt: null, correctionId: null, replyToId: null, replyToJid: null, replyFallbackStart: null, replyFallbackEnd: null,
    nick: null, senderJid: null, occupantId: null, mentionsMe: false, moderatedAt: null, moderatedBy: null, moderationReason: null, originSender: '',
  };
}

function setup(rows: Row[]) {
  const emitted: unknown[] = [];
  const versions: string[] = [];
  const store = {
    async findTarget(_a: string, peer: string, direction: string, id: string) {
      return rows.find((r) => r.peer === peer && r.direction === direction && (r.messageId === id || r.originId === id)) ?? null;
    },
    async existsEitherSide(_a: string, peer: string, id: string) {
      return rows.some((r) => r.peer === peer && (r.messageId === id || r.originId === id));
    },
    async correct(_a: string, id: string, c: NewContent) {
      const r = rows.find((x) => x.id === id)!;
      versions.push(r.body ?? '');
      Object.assign(r, { body: c.body, version: r.version + 1, correctionId: c.sourceId, editedAt: c.stamp });
      return r;
    },
    async retract(_a: string, id: string, at: Date) {
      const r = rows.find((x) => x.id === id)!;
      if (r.retractedAt) return null;
      Object.assign(r, { body: null, retractedAt: at });
      return r;
    },
  };
  const ctx = {
    accountId: '1', jid: ME, conn: { send: async () => undefined }, stores: { mutations: store },
    log: { info: () => undefined, debug: () => undefined, warn: () => undefined },
    emit: (...e: unknown[]) => emitted.push(e),
  } as unknown as SessionContext;
  return { m: new Mutations(ctx), emitted, versions };
}

const fix = (from: string, replaces: string, body: string, id: string): Element =>
  parse(`<message from='${from}/r' to='${ME}' type='chat' id='${id}'><body>${body}</body><replace xmlns='urn:xmpp:message-correct:0' id='${replaces}'/></message>`) as Element;
const retract = (from: string, id: string): Element =>
  parse(`<message from='${from}/r' to='${ME}' type='chat'><retract xmlns='urn:xmpp:message-retract:1' id='${id}'/><body>fallback</body></message>`) as Element;

test('a contact cannot correct or retract our message or another contact’s; nothing is emitted, the stanza is consumed', async () => {
  const rows = [row('1', 'out', BOB, 'ours'), row('2', 'in', 'carol@example.org', 'carols')];
  const { m, emitted } = setup(rows);
  assert.equal(await m.receive(fix(BOB, 'ours', 'hijack', 'c1'), new Date(), true), true);
  assert.equal(await m.receive(fix(BOB, 'carols', 'hijack', 'c2'), new Date(), true), true);
  assert.equal(await m.receive(retract(BOB, 'ours'), new Date(), true), true);
  assert.equal(await m.receive(fix(BOB, 'never-sent', 'x', 'c3'), new Date(), true), true);
  assert.deepEqual(emitted, []);
  assert.deepEqual(rows.map((r) => r.body), ['body of ours', 'body of carols']);
  // An ordinary message is not a mutation: the caller stores it.
  assert.equal(await m.receive(parse(`<message from='${BOB}/r' type='chat'><body>hi</body></message>`) as Element, new Date(), true), false);
});

test('archived corrections met before their message are applied, oldest first, once it is stored', async () => {
  const rows: Row[] = [];
  const { m, versions } = setup(rows);
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));
  // The newest page: the second correction and a retraction of a message we do not hold yet.
  await m.fromArchive([{ el: fix(BOB, 'm1', 'second fix', 'c2'), stamp: t(3) }, { el: retract(BOB, 'm2'), stamp: t(4) }], []);
  // The older page: the original, and the first correction (same second as the second one: whole-second archive stamps).
  const original = row('10', 'in', BOB, 'm1');
  rows.push(original);
  await m.fromArchive([{ el: fix(BOB, 'm1', 'first fix', 'c1'), stamp: t(3) }], [original]);
  assert.equal(original.body, 'second fix');
  assert.deepEqual(versions, ['body of m1', 'first fix']);
  const other = row('11', 'in', BOB, 'm2');
  rows.push(other);
  await m.fromArchive([], [other]);
  assert.ok(other.retractedAt);
  assert.equal(other.body, null);
});
